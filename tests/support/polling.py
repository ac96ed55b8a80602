"""Waiting for something to happen: one polling loop, always bounded by a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Generous bound for anything that should be (nearly) instant; never a tight timing assertion.
DEADLINE = 10.0


def poll(
    probe: Callable[[], T],
    done: Callable[[T], object] = bool,
    *,
    timeout: float = DEADLINE,
    interval: float = 0.005,
) -> T:
    """Call ``probe`` every ``interval`` seconds until ``done`` holds for what it returned, or until
    ``timeout`` seconds have passed; return the last value either way."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value) or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def wait_for(
    condition: Callable[[], T],
    what: str,
    timeout: float = DEADLINE,
    *,
    interval: float = 0.005,
    unless: Callable[[], str | None] | None = None,
) -> T:
    """Poll ``condition`` until it returns something truthy, and return that.

    Fails (``AssertionError``, naming ``what``) after ``timeout`` seconds, or at once when ``unless``
    returns a reason to stop waiting (say, the process that would make it happen has ended).
    """
    stopped: list[str] = []

    def settled(value: T) -> bool:
        if value:
            return True
        reason = unless() if unless is not None else None
        if reason:
            stopped.append(reason)
        return bool(reason)

    value = poll(condition, settled, timeout=timeout, interval=interval)
    if value:
        return value
    if stopped:
        raise AssertionError(f"gave up waiting for {what}: {stopped[0]}")
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
