"""Writing a test's recordings: one file per test and ``recordings`` folder, secrets removed.

A file is written only where harness may write: a new file, or one that is already a harness
recording (its ``format`` mark), never through a link; services of the folder that were not
recorded this time keep what the file held for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.files.confine import is_inside
from harness.files.owned import write_whole
from harness.recording.cassette import (
    Exchange,
    RecordingFileError,
    is_recording,
    read_recording,
    recording_path,
    render,
)
from harness.recording.scrub import scrub_exchange

#: Recordings are meant to be committed and read by the team: readable by all, like source files.
RECORDING_MODE = 0o644


def refusal(path: Path, folder: Path) -> str | None:
    """Why a recording may not be written at ``path`` in the recordings ``folder`` (None: it may).
    The folder a test's file goes in is made from the node id: a link among those folders (or the
    file's place) could lead anywhere, and harness writes only inside the recordings folder."""
    if not is_inside(path, folder):
        return (
            f"{path} leads outside the recordings folder {folder} through a link on the way; harness "
            "writes recordings only inside that folder"
        )
    if path.is_symlink():
        return f"{path} is a symbolic link; harness writes recordings only as plain files of its own"
    if path.exists() and not path.is_file():
        return f"{path} is not a regular file"
    if path.exists() and not is_recording(path):
        return (
            f"{path} exists and is not a harness recording (harness never overwrites a file it did not write)"
        )
    return None


def write_test_recordings(
    test: str,
    captured: Mapping[str, tuple[Path, str | None, Sequence[Exchange]]],
    known: Sequence[str],
) -> list[Path]:
    """Write what ``test`` recorded: ``captured`` maps a service to its folder, upstream URL and
    exchanges (services that exchanged nothing are left out). Returns the files written.
    :class:`RecordingFileError` if a file may not be written."""
    by_file: dict[Path, dict[str, tuple[str | None, Sequence[Exchange]]]] = {}
    folders: dict[Path, Path] = {}
    for service, (folder, upstream, exchanges) in captured.items():
        if not exchanges:
            continue
        scrubbed = [scrub_exchange(exchange, known) for exchange in exchanges]
        path = recording_path(folder, test)
        folders[path] = folder
        by_file.setdefault(path, {})[service] = (upstream, scrubbed)
    written = []
    for path, services in by_file.items():
        refused = refusal(path, folders[path])
        if refused:
            raise RecordingFileError(
                f"cannot write the recording of {test}: {refused}; fix: move that file away, or point "
                "recordings at a folder of its own"
            )
        merged: dict[str, tuple[str | None, Sequence[Exchange]]] = {}
        if path.exists():
            previous = read_recording(path)
            merged = {
                name: (previous.upstreams.get(name), exchanges)
                for name, exchanges in previous.services.items()
            }
        merged.update(services)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_whole(path, render(test, dict(sorted(merged.items()))).encode("utf-8"), RECORDING_MODE)
        except OSError as error:
            raise RecordingFileError(
                f"cannot write the recording {path}: {error.strerror or error}; fix: make "
                f"{path.parent} writable"
            ) from None
        written.append(path)
    return written
