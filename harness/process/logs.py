"""Read the app's log file: its tail for error messages, or what a test window added."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

TAIL_LINES = 50

#: Terminal escape sequences (colours, cursor moves, titles) and other control characters but tab
#: and newline: what a coloured logger writes is noise, or worse, in a report or a CI log viewer.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]"
)


def readable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (tabs and newlines kept),
    for quoting an app's log in a report. The log file itself is never changed."""
    return _ESCAPES.sub("", text)


def tail(path: Path, lines: int = TAIL_LINES, start: int = 0) -> list[str]:
    """The last ``lines`` lines of ``path`` after byte ``start`` (empty if it does not exist)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            last = deque(handle, maxlen=lines)
    except OSError:
        return []
    return [readable(line.decode("utf-8", errors="replace").rstrip("\r\n")) for line in last]


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_from(path: Path, offset: int, limit: int = 200_000) -> str:
    """What ``path`` gained after byte ``offset`` (the last ``limit`` bytes of it at most)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            end = handle.tell()
            start = max(offset, end - limit)
            handle.seek(start)
            data = handle.read()
    except OSError:
        return ""
    text = readable(data.decode("utf-8", errors="replace").replace("\r\n", "\n"))
    return text if start == offset else f"[... {start - offset} earlier bytes cut ...]\n{text}"
