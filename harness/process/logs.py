"""Read the app's log file: its tail for error messages, or what a test window added."""

from __future__ import annotations

from collections import deque
from pathlib import Path

TAIL_LINES = 50


def tail(path: Path, lines: int = TAIL_LINES, start: int = 0) -> list[str]:
    """The last ``lines`` lines of ``path`` after byte ``start`` (empty if it does not exist)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            last = deque(handle, maxlen=lines)
    except OSError:
        return []
    return [line.decode("utf-8", errors="replace").rstrip("\r\n") for line in last]


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
    text = data.decode("utf-8", errors="replace")
    return text if start == offset else f"[... {start - offset} earlier bytes cut ...]\n{text}"
