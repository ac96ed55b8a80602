"""The files one run writes for its apps -- env files and logs -- under the rules of
:mod:`harness.files.owned`, and their removal at the end of the run."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from harness.appenv import envfile
from harness.config import DEFAULT_PROFILE, HarnessConfig
from harness.errors import ConfigError, HarnessError, UnsafePathError
from harness.files.confine import check_confined
from harness.files.owned import (
    OwnedFile,
    RunStamp,
    check_writable,
    is_log_of_ended_run,
    open_log,
    remove_owned,
    write_owned,
)


def app_paths(config: HarnessConfig, profile: str, instance: str | None) -> tuple[Path, Path]:
    """Where the app of ``profile`` gets its env file and its log, in the run named ``instance``:
    ``env/functional[.<instance>][.<profile>].env`` and ``<log_dir>/<profile>[.<instance>].log``.
    A fixed env file (``env_file_fixed``) keeps its configured name: the app reads exactly that."""
    env_instance = None if config.env_file_fixed else instance
    parts = [part for part in (env_instance, None if profile == DEFAULT_PROFILE else profile) if part]
    base = config.env_file
    env_file = base.with_name(".".join([base.stem, *parts]) + base.suffix) if parts else base
    log_path = config.log_dir / (".".join([profile, *([instance] if instance else [])]) + ".log")
    return env_file, log_path


#: A log named for a run that got a pid instance name: ``default.pid4242.log``, ``p.gw0.pid7.2.log``.
_PID_LOG = re.compile(r"\.pid\d+(\.\d+)?\.log\Z")


class RunFiles:
    """Writes the env files and logs of one run; removes the env files at its end.

    ``on_written(path)`` is told of every env file written (the watchdog removes them if the
    runner dies); ``on_removed(path)`` of every env file removed.
    """

    def __init__(
        self,
        config: HarnessConfig,
        stamp: RunStamp,
        *,
        on_written: Callable[[Path], object] | None = None,
        on_removed: Callable[[Path], object] | None = None,
        keep: bool = False,
    ) -> None:
        self.config = config
        self.stamp = stamp
        #: The env files are kept after the run (``--harness-keep-env``): their mark says so.
        self.keep = keep
        self._on_written = on_written
        self._on_removed = on_removed
        self._env_files: dict[Path, OwnedFile] = {}
        self._made_directories: set[Path] = set()
        self._logs: dict[Path, OwnedFile] = {}

    def _key(self, name: str) -> str:
        return f"tool.harness.{name} ({self.config.source})"

    def check_state_dir(self) -> None:
        """The run's state directory (``.harness``) must lie in the project, not behind a link out,
        and be a directory (or not exist yet)."""
        state = self.config.state_dir
        if state.exists() and not state.is_dir():
            raise UnsafePathError(
                f"{state} is a file, not a directory: harness keeps its run state (records, locks, logs) "
                f"in a .harness directory beside {self.config.source.name}. fix: move that file away"
            )
        check_confined(
            self.config.state_dir,
            self.config.root,
            what="the run's state (.harness)",
            key=f"the .harness directory ({self.config.source})",
            allow_outside=self.config.allow_writes_outside_project,
            directory=True,
        )

    def path_problems(self, env_file: Path, log_path: Path, *, live_runs_ok: bool = True) -> list[str]:
        """Why an app's env file or log could not be written there now. ``live_runs_ok`` (for
        ``harness check``): a file of a live concurrent run is no problem, a run would get names of
        its own."""
        problems = [
            self._problem(env_file, "env_file", "the app's env file", live_runs_ok),
            self._problem(log_path, "log_dir", "the app's log", live_runs_ok),
        ]
        return [problem for problem in problems if problem]

    def _problem(self, path: Path, key: str, what: str, live_runs_ok: bool) -> str | None:
        try:
            check_writable(
                path,
                root=self.config.root,
                stamp=self.stamp,
                what=what,
                key=self._key(key),
                allow_outside=self.config.allow_writes_outside_project,
                live_runs_ok=live_runs_ok,
            )
        except HarnessError as error:
            return str(error)
        return None

    def write_env_file(self, path: Path, values: Mapping[str, str], profile: str) -> Path:
        """Write ``values`` to ``path`` in the configured ``env_file_format``. A value that format
        cannot carry exactly is refused (:class:`ConfigError` naming each, with the fix) and nothing
        is written: never a file one of the format's readers would read differently."""
        fmt = self.config.env_file_format
        self._note_missing_directories(path.parent)
        refused = envfile.problems(values, fmt)
        if refused:
            raise ConfigError(str(self.config.source), [f"profile {profile!r}: {text}" for text in refused])
        owned = write_owned(
            path,
            envfile.render(values, fmt),
            root=self.config.root,
            stamp=self.stamp,
            what="the app's env file",
            key=self._key("env_file"),
            allow_outside=self.config.allow_writes_outside_project,
            note=f"the env file of the app (profile {profile!r}); "
            + ("kept after the run (--harness-keep-env)" if self.keep else "removed at the end of the run"),
        )
        self._env_files[path] = owned
        if self._on_written is not None:
            self._on_written(path)
        return path

    def open_log(self, path: Path, profile: str) -> int:
        """Make ``path`` the app's log (fresh the first time in this run, appended to after a restart);
        return the offset where this start's output begins."""
        owned, offset = open_log(
            path,
            root=self.config.root,
            stamp=self.stamp,
            what="the app's log",
            note=f"the log of the app (profile {profile!r})",
            key=self._key("log_dir"),
            allow_outside=self.config.allow_writes_outside_project,
            previous=self._logs.get(path),
            separator=f"\n----- harness: the app (profile {profile!r}) starts again -----\n",
        )
        self._logs[path] = owned
        return offset

    def remove_env_files(self) -> list[Path]:
        """Remove every env file this run wrote that is still the file it wrote; return the ones
        left in place because something else is there now."""
        left: list[Path] = []
        for path, owned in self._env_files.items():
            if remove_owned(owned, self.stamp):
                if self._on_removed is not None:
                    self._on_removed(path)
            elif path.exists():
                left.append(path)
        self._env_files.clear()
        # Directories made for the env files go too, if nothing else has been put in them since.
        for directory in sorted(self._made_directories, key=lambda made: len(made.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty (or gone): not ours to empty
                directory.rmdir()
        self._made_directories.clear()
        return left

    def sweep_logs_of_ended_runs(self) -> list[Path]:
        """Remove the logs that runs given a ``pid<pid>`` name (beside a live run) left in
        ``log_dir`` once those runs are over: a name like that is never used again, so its log
        would only pile up. Only a regular file with harness's mark of an ended run goes."""
        removed: list[Path] = []
        try:
            candidates = [path for path in self.config.log_dir.iterdir() if _PID_LOG.search(path.name)]
        except OSError:
            return removed
        for path in candidates:
            if is_log_of_ended_run(path, self.stamp):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
        return removed

    def _note_missing_directories(self, directory: Path) -> None:
        """Remember the directories on the way to ``directory`` that do not exist yet (inside the
        project): made for an env file, they are removed with it."""
        root = Path(os.path.realpath(self.config.root))
        while not os.path.lexists(directory) and root in directory.parents:
            self._made_directories.add(directory)
            directory = directory.parent
