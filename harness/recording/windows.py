"""A test window's side of recordings: load each service's recording as the test begins, write
what record mode captured as it ends."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.recording.cassette import Exchange, RecordingFile, read_recording, recording_path
from harness.recording.store import write_test_recordings
from harness.recording.upstream import UpstreamError

if TYPE_CHECKING:
    from harness.mocks import MockService


def begin_recordings(test: str, services: Iterable[MockService], known: Sequence[str]) -> None:
    """Give each service with ``recordings`` the test's recording (each file read once)."""
    loaded: dict[Path, RecordingFile | None] = {}
    for service in services:
        recordings = service.recordings
        if recordings is None:
            continue
        path = recording_path(recordings.folder, test)
        if path not in loaded:
            loaded[path] = read_recording(path) if not recordings.recording and path.is_file() else None
        recordings.begin_test(test, known, loaded[path])


def end_recordings(test: str, services: Iterable[MockService], known: Sequence[str]) -> list[Path]:
    """End the test for each service with ``recordings``; in record mode, write what it captured.
    Returns the files written."""
    captured: dict[str, tuple[Path, str | None, Sequence[Exchange]]] = {}
    secrets = list(known)
    for service in services:
        recordings = service.recordings
        if recordings is None:
            continue
        exchanges = recordings.end_test()
        if recordings.recording and recordings.upstream is not None:
            captured[service.name] = (recordings.folder, recordings.upstream.url, exchanges)
            with contextlib.suppress(UpstreamError):  # nothing was forwarded without them
                secrets += recordings.upstream.credential_values().values()
    if not any(exchanges for _, _, exchanges in captured.values()):
        return []
    return write_test_recordings(test, captured, secrets)
