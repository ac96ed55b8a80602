"""The simulator registry: the ``harness.simulators`` entry-point group, harness's own three
simulators registered in it like anyone's, lazy imports, run-time registrations, the deprecated
``KINDS`` dict, and a simulator installed as a distribution of its own (tests/harness/plugins/
example_simulator, the example of docs/simulators.md) used by a real harness run."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from harness import simulators
from harness.config import parse_table
from harness.errors import ConfigError
from harness.simulators import GROUP, SimulatorLoadError, SimulatorRegistry
from harness.simulators.azure_search import AzureSearchSimulator
from tests.support.apps import APPS
from tests.support.projects import project_files, run_pytest, run_python, tiny_project
from tests.support.simulators import EchoSimulator, register_echo

EXAMPLE = Path(__file__).parent / "plugins" / "example_simulator"
DOCS = Path(__file__).parents[2] / "docs" / "simulators.md"
BUILTIN = {
    "azure_openai": "harness.simulators.azure_openai:AzureOpenAISimulator",
    "azure_search": "harness.simulators.azure_search:AzureSearchSimulator",
    "azure_content_safety": "harness.simulators.content_safety:ContentSafetySimulator",
}


def services_problems(services: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_table({"command": ["app"], "services": services}, Path("/project/pyproject.toml"))
    return info.value.problems


# -- harness's own simulators ------------------------------------------------------------------------


def test_the_builtin_simulators_are_entry_points_of_harness_s_distribution() -> None:
    points = metadata.distribution("pytest-app-harness").entry_points.select(group=GROUP)
    assert {point.name: point.value for point in points} == BUILTIN
    for kind, target in BUILTIN.items():
        assert simulators.registry.target(kind) == target
    assert simulators.simulator_class("azure_search") is AzureSearchSimulator


def test_only_the_named_simulator_is_imported() -> None:
    result = run_python(Path.cwd(), str(APPS / "simulator_imports.py"), timeout=60)
    assert result.returncode == 0, result.stderr
    plain, named = json.loads(result.stdout)
    assert plain == []  # a configuration without simulators reads no entry point, imports none
    assert "harness.simulators.azure_search.simulator" in named
    assert not [name for name in named if "azure_openai" in name or "content_safety" in name], named


# -- registering at run time ---------------------------------------------------------------------------


def test_a_registration_lasts_until_its_block_ends() -> None:
    assert "echo" not in simulators.kinds()
    with register_echo() as registration:
        assert registration.kind == "echo"
        assert simulators.kinds()[-1] == "echo"
        assert simulators.simulator_class("echo") is EchoSimulator
        assert simulators.registry.target("echo") == f"{EchoSimulator.__module__}:EchoSimulator"
        config = parse_table(
            {"command": ["app"], "services": {"api": {"simulator": "echo"}}}, Path("/p/pyproject.toml")
        )
        assert config.services["api"].simulator == "echo"
    assert "echo" not in simulators.kinds()
    with pytest.raises(KeyError):
        simulators.simulator_class("echo")


def test_a_registration_wins_over_an_installed_kind_and_gives_it_back() -> None:
    registration = simulators.register("azure_search", EchoSimulator)
    try:
        assert simulators.create("azure_search", {"greeting": "hi"}).kind == "echo"
    finally:
        registration.unregister()
    assert simulators.simulator_class("azure_search") is AzureSearchSimulator


@pytest.mark.parametrize(
    ("kind", "simulator", "message"),
    [
        ("", EchoSimulator, "register(kind): expected a non-empty string"),
        ("x", "no_colon", "register(simulator): expected 'module:Class', got 'no_colon'"),
        ("x", 42, "register(simulator): expected a Simulator subclass or 'module:Class', got 42"),
    ],
)
def test_register_refuses_what_it_cannot_use(kind: str, simulator: object, message: str) -> None:
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        simulators.register(kind, simulator)  # type: ignore[arg-type]


def test_a_registered_target_that_is_not_a_simulator_is_a_config_problem() -> None:
    with simulators.register("pathy", "pathlib:Path"):
        (problem,) = services_problems({"api": {"simulator": "pathy"}})
        with pytest.raises(SimulatorLoadError) as raised:
            simulators.simulator_class("pathy")
    assert isinstance(raised.value, ImportError)  # what callers of simulator_class() caught before
    assert problem.startswith(
        "tool.harness.services.api.simulator: the pathy simulator (pathlib:Path) is not a "
        "harness.simulators.Simulator subclass but <class 'pathlib.Path'>; fix: point the entry point"
    )


def test_the_deprecated_kinds_dict_still_reads_and_writes_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.warns(DeprecationWarning, match=r"harness\.simulators\.kinds\(\)"):
        kinds = simulators.KINDS  # type: ignore[attr-defined]
    assert dict(kinds.items()).items() >= BUILTIN.items()
    monkeypatch.setitem(kinds, "echo", f"{EchoSimulator.__module__}:EchoSimulator")
    assert simulators.simulator_class("echo") is EchoSimulator
    monkeypatch.undo()
    assert "echo" not in simulators.kinds()
    with pytest.raises(KeyError, match="an installed one stays"):
        del kinds["azure_openai"]


# -- installed distributions ---------------------------------------------------------------------------


def fake_distribution(site: Path, name: str, entry_points: dict[str, str]) -> None:
    """What pip leaves in a site directory for distribution ``name`` (enough for importlib.metadata)."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    lines = "".join(f"{kind} = {target}\n" for kind, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{lines}", encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path for distributions made by the test; the registry reads it afresh."""
    directory = tmp_path / "site"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    simulators.registry.refresh()
    yield directory
    monkeypatch.undo()
    simulators.registry.refresh()


def test_two_distributions_claiming_one_kind_are_named_with_the_fix(site: Path) -> None:
    fake_distribution(site, "first_sims", {"twin": "first_sims:Twin"})
    fake_distribution(site, "second_sims", {"twin": "second_sims:Twin"})
    (problem,) = services_problems({"api": {"simulator": "twin"}})
    assert problem == (
        "tool.harness.services.api.simulator: the twin simulator is registered more than once: "
        "first_sims:Twin from the distribution first_sims 1.0; second_sims:Twin from the distribution "
        "second_sims 1.0; fix: uninstall all but one"
    )


def test_an_installed_kind_is_suggested_and_its_import_error_names_its_distribution(site: Path) -> None:
    fake_distribution(site, "broken_sims", {"weathr": "broken_sims_missing:Weather"})
    (unknown,) = services_problems({"api": {"simulator": "weath"}})
    assert (
        unknown
        == "tool.harness.services.api.simulator: unknown simulator 'weath' (string); did you mean \"weathr\"?"
    )
    (broken,) = services_problems({"api": {"simulator": "weathr"}})
    assert broken.startswith(
        "tool.harness.services.api.simulator: the weathr simulator (broken_sims_missing:Weather) cannot be "
        "loaded: ModuleNotFoundError: "
    )
    assert broken.endswith(
        "fix: install what it needs or remove the simulator (registered by the distribution broken_sims 1.0)"
    )


def test_a_registry_of_another_group_sees_only_that_group(site: Path) -> None:
    fake_distribution(site, "other_sims", {"weather": "other_sims:Weather"})
    assert "weather" not in SimulatorRegistry("harness.no_such_group").kinds()
    assert "weather" in SimulatorRegistry(GROUP).kinds()


# -- a simulator as a distribution of its own ----------------------------------------------------------


def builds_offline() -> bool:
    """Whether this environment can build a setuptools project itself (setuptools >= 70.1 has
    bdist_wheel; older ones need wheel); otherwise pip fetches setuptools for an isolated build."""
    try:
        major, minor = (int(part) for part in metadata.version("setuptools").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


def pip_install(source: Path, target: Path) -> None:
    """``pip install --no-deps --target`` the distribution at ``source``, built from a copy (so no
    build files land in the checkout)."""
    copy = target.parent / "source"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    offline = ["--no-build-isolation", "--no-index"] if builds_offline() else []
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *offline]
    result = subprocess.run(
        [*command, "--target", str(target), str(copy)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example simulator's distribution, installed into a directory of its own."""
    target = tmp_path_factory.mktemp("example") / "site"
    pip_install(EXAMPLE, target)
    return target


def test_a_separately_installed_simulator_works_through_its_entry_point(
    installed_example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = next(installed_example.glob("harness_example_simulator-*.dist-info"))
    assert "weather = example_simulator:WeatherSimulator" in (info / "entry_points.txt").read_text()
    tiny_project(
        tmp_path,
        extra="""
        [tool.harness.services.weather]
        simulator = "weather"
        env = { WEATHER_URL = "{url}" }

        [tool.harness.services.weather.options]
        celsius = 18
        """,
        files=project_files("sim_registry/test_weather.py"),
    )
    monkeypatch.setenv("PYTHONPATH", str(installed_example))
    result = run_pytest(tmp_path, "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_installed_simulator_s_options_are_checked_at_config_load(
    installed_example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(installed_example))
    simulators.registry.refresh()
    try:
        assert "weather" in simulators.kinds()
        assert "example_simulator" not in sys.modules  # listed, not imported
        problems = services_problems({"weather": {"simulator": "weather", "options": {"celcius": 21}}})
        problems += services_problems({"weather": {"simulator": "weather", "options": {"celsius": 99}}})
    finally:
        monkeypatch.undo()
        simulators.registry.refresh()
        sys.modules.pop("example_simulator", None)
    where = "tool.harness.services.weather.options"
    assert problems == [
        f'{where}.celcius: unknown option; did you mean "celsius"?',
        f"{where}.celsius: expected degrees Celsius from -90 to 60, found 99 (integer); fix: celsius = 21",
    ]


def test_the_docs_show_the_example_as_it_is() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for name in ("example_simulator.py", "pyproject.toml"):
        lines = (EXAMPLE / name).read_text(encoding="utf-8").splitlines()
        while lines[0].startswith("# "):  # the file's own header comment, about its place in this repository
            lines.pop(0)
        assert "\n".join(lines) in docs, f"docs/simulators.md does not show {name} as it is"
