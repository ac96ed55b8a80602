import pytest


def test_one(seen):
    pass


def test_two(seen):
    pass


@pytest.mark.harness_profile("p1")
def test_marked(seen):
    pass


def test_three(seen, harness_app_url):
    assert harness_app_url == seen.url
