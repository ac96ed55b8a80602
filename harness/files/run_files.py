"""The files one run writes for its apps -- env files and logs -- under the rules of
:mod:`harness.files.owned`, and their removal at the end of the run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from harness.appenv.envfile import render
from harness.config import DEFAULT_PROFILE, HarnessConfig
from harness.errors import HarnessError
from harness.files.confine import check_confined
from harness.files.owned import OwnedFile, RunStamp, check_writable, open_log, remove_owned, write_owned


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
    ) -> None:
        self.config = config
        self.stamp = stamp
        self._on_written = on_written
        self._on_removed = on_removed
        self._env_files: dict[Path, OwnedFile] = {}
        self._logs: dict[Path, OwnedFile] = {}

    def _key(self, name: str) -> str:
        return f"tool.harness.{name} ({self.config.source})"

    def check_state_dir(self) -> None:
        """The run's state directory (``.harness``) must lie in the project, not behind a link out."""
        check_confined(
            self.config.state_dir,
            self.config.root,
            what="the run's state (.harness)",
            key=f"the .harness directory ({self.config.source})",
            allow_outside=self.config.allow_writes_outside_project,
            directory=True,
        )

    def path_problems(self, env_file: Path, log_path: Path) -> list[str]:
        """Why an app's env file or log could not be written there now (for ``harness check``). A
        file of a live concurrent run is no problem: this run would get names of its own."""
        problems = [
            self._problem(env_file, "env_file", "the app's env file"),
            self._problem(log_path, "log_dir", "the app's log"),
        ]
        return [problem for problem in problems if problem]

    def _problem(self, path: Path, key: str, what: str) -> str | None:
        try:
            check_writable(
                path,
                root=self.config.root,
                stamp=self.stamp,
                what=what,
                key=self._key(key),
                allow_outside=self.config.allow_writes_outside_project,
                live_runs_ok=True,
            )
        except HarnessError as error:
            return str(error)
        return None

    def write_env_file(self, path: Path, values: Mapping[str, str], profile: str) -> Path:
        owned = write_owned(
            path,
            render(values),
            root=self.config.root,
            stamp=self.stamp,
            what=f"the env file of the app (profile {profile!r}); harness removes it at the end of the run",
            key=self._key("env_file"),
            allow_outside=self.config.allow_writes_outside_project,
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
            what=f"the log of the app (profile {profile!r})",
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
        return left
