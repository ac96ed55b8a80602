import pytest

pytestmark = [pytest.mark.harness_profile("mine"), pytest.mark.xdist_group("chosen")]


def test_chosen(request, recorded):
    assert [m.kwargs.get("name") or m.args[0] for m in request.node.iter_markers("xdist_group")] == ["chosen"]
