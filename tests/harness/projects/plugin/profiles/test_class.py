import pytest


@pytest.mark.harness_profile("p1")
class TestP1:
    def test_a(self, seen):
        pass

    def test_b(self, seen):
        pass


def test_outside_class(seen):
    pass
