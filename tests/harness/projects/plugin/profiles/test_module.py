import pytest

pytestmark = pytest.mark.harness_profile("p2")


def test_c(seen):
    pass


def test_d(seen):
    pass
