import os
from pathlib import Path

import psutil
import pytest
from conftest import get, gone, mark, wait_for

FIRST = Path(os.environ["CHAOS_DIR"]) / "first"


def test_1_before(harness_app):
    children = [child.pid for child in psutil.Process(harness_app.pid).children()]
    assert len(children) == 1
    FIRST.write_text(f"{harness_app.pid} {children[0]}")
    assert get(harness_app.url_for("/health")) == (200, "ok")


def test_2_crashes(harness_app):
    assert get(harness_app.url_for("/crash?code=3")) == (200, "crashing")
    wait_for(lambda: not harness_app.is_alive(), "the app to die")


def test_3_after(harness, harness_app):
    first_app, first_child = (int(pid) for pid in FIRST.read_text().split())
    assert harness_app.pid != first_app
    # The dead app's child was stopped before the restart (harness returns only once it is gone).
    assert gone(first_child)
    assert get(harness_app.url_for("/pid")) == (200, str(harness_app.pid))
    assert harness.restarts == {"default": 1}


def test_4_after(harness_app):
    assert get(harness_app.url_for("/health")) == (200, "ok")


@pytest.mark.harness_profile("other")
def test_5_other_profile(harness_app):
    assert get(harness_app.url_for("/health")) == (200, "ok")
    mark("perturbed")
