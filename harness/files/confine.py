"""Where harness may write: inside the project, unless the configuration says otherwise.

A path is judged by where the kernel would put the file: every directory on the way is resolved
(links followed, ``..`` folded, as the kernel does), the last step is kept as written, since harness
never writes through a link there (see :mod:`harness.files.owned`).
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import UnsafePathError

#: The top-level key that lets harness write outside the project (documented in configuration.md).
ALLOW_OUTSIDE_KEY = "allow_writes_outside_project"


def resolve_for_writing(path: Path) -> Path:
    """``path`` with its directories resolved and its last step kept as written."""
    return Path(os.path.realpath(path.parent)) / path.name


def is_inside(path: Path, root: Path, *, directory: bool = False) -> bool:
    """Whether ``path`` (resolved for writing, or whole for a ``directory``) lies in ``root``
    (resolved), or is ``root`` itself."""
    real_root = Path(os.path.realpath(root))
    target = Path(os.path.realpath(path)) if directory else resolve_for_writing(path)
    return target == real_root or real_root in target.parents


def confined_problem(
    path: Path, root: Path, *, what: str, key: str, allow_outside: bool, directory: bool = False
) -> str | None:
    """Why ``path`` may not be written for ``what`` (configured by ``key``), or None if it may. A
    ``directory`` is judged by where it leads, links included: harness writes files into it."""
    if path.name in ("", ".", "..") and not directory:
        return f"{key}: {path} names a directory, not a file; fix: give {what} a file name"
    if allow_outside or is_inside(path, root, directory=directory):
        return None
    target = Path(os.path.realpath(path)) if directory else resolve_for_writing(path)
    via = f" (through a link: it resolves to {target})" if target != Path(os.path.abspath(path)) else ""
    return (
        f"{key}: {what} would be written at {path}{via}, outside the project ({os.path.realpath(root)}); "
        "harness writes only inside the project it tests. fix: use a path inside the project, or set "
        f"{ALLOW_OUTSIDE_KEY} = true in [tool.harness] if writing there is really meant"
    )


def check_confined(
    path: Path, root: Path, *, what: str, key: str, allow_outside: bool, directory: bool = False
) -> None:
    """Raise :class:`UnsafePathError` if ``path`` may not be written (see :func:`confined_problem`)."""
    problem = confined_problem(
        path, root, what=what, key=key, allow_outside=allow_outside, directory=directory
    )
    if problem:
        raise UnsafePathError(problem)
