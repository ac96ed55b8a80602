"""A test window's side of recordings: load each service's recording as the test begins, write
what record mode captured as it ends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.recording.cassette import (
    Exchange,
    RecordingFile,
    RecordingFileError,
    read_recording,
    recording_path,
)
from harness.recording.store import refusal, write_test_recordings

if TYPE_CHECKING:
    from harness.mocks import MockService


def begin_recordings(test: str, services: Iterable[MockService], known: Sequence[str]) -> None:
    """Give each service with ``recordings`` the test's recording (each file read once)."""
    loaded: dict[Path, RecordingFile | None] = {}
    services = list(services)
    known = [*known, *_credential_values(services)]
    for service in services:
        recordings = service.recordings
        if recordings is None:
            continue
        path = recording_path(recordings.folder, test)
        refused = refusal(path, recordings.folder) if recordings.recording else None
        if refused:  # said before the test sends anything to the real service
            raise RecordingFileError(
                f"cannot record {test}: {refused}; fix: move that file away, or point recordings at a "
                "folder of its own"
            )
        if path not in loaded:
            loaded[path] = read_recording(path) if not recordings.recording and path.is_file() else None
        recordings.begin_test(test, known, loaded[path])


def end_recordings(test: str, services: Iterable[MockService], known: Sequence[str]) -> list[Path]:
    """End the test for each service with ``recordings``; in record mode, write what it captured.
    Returns the files written."""
    captured: dict[str, tuple[Path, str | None, Sequence[Exchange]]] = {}
    services = list(services)
    secrets = [*known, *_credential_values(services)]
    for service in services:
        recordings = service.recordings
        if recordings is None:
            continue
        exchanges = recordings.end_test()
        if recordings.recording and recordings.upstream is not None:
            captured[service.name] = (recordings.folder, recordings.upstream.url, exchanges)
    if not any(exchanges for _, _, exchanges in captured.values()):
        return []
    return write_test_recordings(test, captured, secrets)


def _credential_values(services: Sequence[MockService]) -> list[str]:
    """The real services' credentials that are set in the runner's environment: masked wherever
    they appear, in recordings and in live requests compared with them."""
    return [
        value
        for service in services
        if service.recordings is not None and service.recordings.upstream is not None
        for value in service.recordings.upstream.known_values()
    ]
