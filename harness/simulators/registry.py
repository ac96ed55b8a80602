"""Which ``simulator = "<kind>"`` values exist: the ``harness.simulators`` entry-point group.

Every simulator is registered by the distribution that ships it, harness's own three included
(in harness's pyproject.toml), the same way a third party's package registers its own::

    [project.entry-points."harness.simulators"]
    weather = "example_simulator:WeatherSimulator"

Nothing is imported until a configuration names a kind: listing the kinds reads the installed
distributions' metadata only, and :meth:`SimulatorRegistry.load` imports the one module named.
Tests (and a project's conftest.py) add a kind for a while with :meth:`SimulatorRegistry.register`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from importlib import metadata
from types import TracebackType
from typing import TYPE_CHECKING

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.simulators.base import Simulator

#: The entry-point group simulators are registered in.
GROUP = "harness.simulators"


class SimulatorLoadError(HarnessError, ImportError):
    """A registered simulator cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class _Entry:
    kind: str
    #: ``module:Class``, as an entry point's value.
    target: str
    #: Who registered it: ``the distribution foo 1.0`` or ``register()``.
    origin: str
    #: A class given to register() itself (else the target is imported).
    cls: type[Simulator] | None = None


class Registration:
    """A kind added by :meth:`SimulatorRegistry.register`: :meth:`unregister` (or leaving its
    ``with`` block) removes it again, and a kind it replaced is back."""

    def __init__(self, registry: SimulatorRegistry, entry: _Entry) -> None:
        self._registry = registry
        self.entry = entry

    @property
    def kind(self) -> str:
        return self.entry.kind

    def unregister(self) -> None:
        self._registry._remove(self.entry)

    def __enter__(self) -> Registration:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.unregister()


class SimulatorRegistry:
    """The simulator kinds of an entry-point ``group``, plus those registered at run time (which win)."""

    def __init__(self, group: str = GROUP) -> None:
        self.group = group
        self._lock = threading.Lock()
        self._installed: dict[str, list[_Entry]] | None = None
        self._registered: dict[str, list[_Entry]] = {}

    # -- what there is -----------------------------------------------------------------------------

    def kinds(self) -> list[str]:
        """Every kind: the installed ones in alphabetical order, then those registered at run time."""
        installed = self._entries_installed()
        with self._lock:
            return list(dict.fromkeys([*sorted(installed), *self._registered]))

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, str) and kind in self.kinds()

    def target(self, kind: str) -> str:
        """What ``kind`` names (``module:Class``); KeyError for an unknown kind."""
        return self._entries(kind)[0].target

    def load(self, kind: str) -> type[Simulator]:
        """The simulator class of ``kind``, its module imported now; KeyError for an unknown kind,
        :class:`SimulatorLoadError` (with the fix) for one that cannot be used."""
        from harness.simulators.base import Simulator  # noqa: PLC0415  # the registry itself stays light

        entries = self._entries(kind)
        if len(entries) > 1:
            claims = "; ".join(sorted(f"{entry.target} from {entry.origin}" for entry in entries))
            raise SimulatorLoadError(
                f"the {kind} simulator is registered more than once: {claims}; fix: uninstall all but one"
            )
        entry = entries[0]
        loaded: object = entry.cls
        if loaded is None:
            try:
                loaded = metadata.EntryPoint(name=kind, value=entry.target, group=self.group).load()
            except (ImportError, AttributeError) as error:
                raise SimulatorLoadError(
                    f"the {kind} simulator ({entry.target}) cannot be loaded: {type(error).__name__}: "
                    f"{error}; fix: install what it needs or remove the simulator{_by(entry)}"
                ) from error
        if not (isinstance(loaded, type) and issubclass(loaded, Simulator)):
            raise SimulatorLoadError(
                f"the {kind} simulator ({entry.target}) is not a harness.simulators.Simulator subclass "
                f"but {loaded!r}; fix: point the entry point at the simulator class{_by(entry)}"
            )
        return loaded

    # -- registering at run time ----------------------------------------------------------------------

    def register(self, kind: str, simulator: type[Simulator] | str) -> Registration:
        """Make ``simulator = "<kind>"`` select ``simulator`` (a Simulator subclass, or ``module:Class``
        imported when used) until the registration is undone; it wins over an installed kind of
        that name. ``with registry.register("echo", EchoSimulator): ...`` scopes it to a block."""
        if not isinstance(kind, str) or not kind:
            raise TypeError(f"register(kind): expected a non-empty string, got {kind!r}")
        if isinstance(simulator, str):
            module, _, attribute = simulator.partition(":")
            if not module or not attribute:
                raise TypeError(f"register(simulator): expected 'module:Class', got {simulator!r}")
            entry = _Entry(kind, simulator, "register()")
        elif isinstance(simulator, type):
            entry = _Entry(kind, f"{simulator.__module__}:{simulator.__qualname__}", "register()", simulator)
        else:
            raise TypeError(
                f"register(simulator): expected a Simulator subclass or 'module:Class', got {simulator!r}"
            )
        with self._lock:
            self._registered.setdefault(kind, []).append(entry)
        return Registration(self, entry)

    def refresh(self) -> None:
        """Read the installed distributions again (after installing one while running)."""
        with self._lock:
            self._installed = None

    # -- inside ----------------------------------------------------------------------------------------

    def _remove(self, entry: _Entry) -> None:
        with self._lock:
            stack = self._registered.get(entry.kind, [])
            if entry in stack:
                stack.remove(entry)
            if not stack:
                self._registered.pop(entry.kind, None)

    def _entries(self, kind: str) -> list[_Entry]:
        installed = self._entries_installed()
        with self._lock:
            registered = self._registered.get(kind)
            if registered:
                return [registered[-1]]
        if kind not in installed:
            raise KeyError(kind)
        return installed[kind]

    def _entries_installed(self) -> dict[str, list[_Entry]]:
        with self._lock:
            if self._installed is not None:
                return self._installed
        found: dict[str, list[_Entry]] = {}
        for point in metadata.entry_points(group=self.group):
            dist = getattr(point, "dist", None)
            origin = (
                f"the distribution {dist.metadata['Name']} {dist.version}"
                if dist is not None
                else "an entry point"
            )
            entry = _Entry(point.name, point.value, origin)
            claims = found.setdefault(point.name, [])
            if all(claim.target != entry.target for claim in claims):  # one package seen twice is one claim
                claims.append(entry)
        with self._lock:
            self._installed = found
        return found


def _by(entry: _Entry) -> str:
    return f" (registered by {entry.origin})" if entry.origin != "register()" else ""


class KindsView(MutableMapping[str, str]):
    """The deprecated ``harness.simulators.KINDS`` dict as a view of a registry: reading lists the
    kinds and their ``module:Class``; ``KINDS[kind] = "module:Class"`` registers one (``del`` undoes
    that), so ``monkeypatch.setitem(simulators.KINDS, ...)`` keeps working for one release."""

    def __init__(self, registry: SimulatorRegistry) -> None:
        self._registry = registry
        self._added: dict[str, list[Registration]] = {}

    def __getitem__(self, kind: str) -> str:
        return self._registry.target(kind)

    def __iter__(self) -> Iterator[str]:
        return iter(self._registry.kinds())

    def __len__(self) -> int:
        return len(self._registry.kinds())

    def __contains__(self, kind: object) -> bool:
        return kind in self._registry

    def __setitem__(self, kind: str, target: str) -> None:
        self._added.setdefault(kind, []).append(self._registry.register(kind, target))

    def __delitem__(self, kind: str) -> None:
        added = self._added.get(kind)
        if not added:
            raise KeyError(f"{kind!r} is not a kind added through KINDS (an installed one stays)")
        added.pop().unregister()
        if not added:
            del self._added[kind]
