import pytest


def test_base(harness_app): ...


@pytest.mark.harness_profile("retyring")
def test_one(harness_app): ...


@pytest.mark.harness_profile("retyring")
def test_two(harness_app_url): ...


@pytest.mark.harness_profile("nothing_like_it")
def test_three(harness_app): ...


@pytest.mark.harness_profile("not_a_harness_test")
def test_not_harness(): ...
