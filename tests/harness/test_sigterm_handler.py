"""The plugin turns SIGTERM into Ctrl-C, except where someone else handles SIGTERM (coverage aside)."""

from __future__ import annotations

import signal
from types import SimpleNamespace

import pytest

from harness import pytest_support


def _coverage_like_handler(signum, frame):  # stands in for coverage.control's _on_sigterm
    raise SystemExit(1)


def _someone_elses_handler(signum, frame):
    return None


_coverage_like_handler.__module__ = "coverage.control"


@pytest.fixture
def restore_sigterm():
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize(
    ("existing", "replaced"),
    [(signal.SIG_DFL, True), (_coverage_like_handler, True), (_someone_elses_handler, False)],
    ids=["default", "coverage-sigterm", "someone-else"],
)
def test_sigterm_is_handled_like_ctrl_c_unless_someone_else_handles_it(restore_sigterm, existing, replaced):
    signal.signal(signal.SIGTERM, existing)
    config = SimpleNamespace(stash={})

    pytest_support.handle_sigterm_like_ctrl_c(config)  # type: ignore[arg-type]

    handler = signal.getsignal(signal.SIGTERM)
    assert (handler is pytest_support._raise_keyboard_interrupt) is replaced
    if not replaced:
        assert handler is existing
