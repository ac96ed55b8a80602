"""Baseline expectations of the functional suite (harness itself needs no conftest: it is a plugin)."""

from __future__ import annotations

import pytest

from harness import Harness

from . import azure_responses
from .downstreams import expect_safety


@pytest.fixture(scope="session")
def content_safety_all_clear(harness: Harness) -> None:
    """Content Safety rates every question harmless, for every test of the session.

    Registered in a session-scoped fixture, so it is part of the baseline that survives between tests;
    a test overrides it with a oneshot expectation (those are matched before permanent ones).
    """
    expect_safety(harness.services["contentsafety"]).respond_with_json(azure_responses.content_safety())
