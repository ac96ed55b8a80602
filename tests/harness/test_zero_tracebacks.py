"""Bad paths, hosts, ports and timeouts end in one HarnessError message, never a traceback of
harness's code: at load where the configuration alone shows the problem, at start otherwise.

Unwritable places are made with ``chattr +i`` (an immutable directory refuses even root, which this
suite runs as, so permission bits would prove nothing); where the file system cannot do that, those
tests skip and say why.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness import Harness
from harness.errors import ConfigError, HarnessError
from tests.support.apps import TINY_APP
from tests.support.processes import project_processes
from tests.support.projects import run_pytest, tiny_project


@pytest.fixture
def make_immutable() -> Iterator[object]:
    """``make_immutable(directory)``: nobody, root included, can create or remove anything in it."""
    made: list[Path] = []

    def immutable(directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.skip(f"cannot make a directory immutable here (chattr +i: {result.stderr.strip()})")
        made.append(directory)
        return directory

    yield immutable
    for directory in made:
        subprocess.run(["chattr", "-i", str(directory)], check=False)


def start_and_stop(pyproject: Path) -> str:
    """Run a harness on ``pyproject``; return "ran", or the HarnessError's message. Any other
    exception fails the test (it would be a traceback from harness code)."""
    try:
        with Harness.from_pyproject(pyproject) as harness:
            harness.app.url_for("/")
    except HarnessError as error:
        return str(error)
    return "ran"


@pytest.mark.parametrize(
    ("keys", "unwritable", "expected"),
    [
        ({"env_file": "env/app.env"}, "env", "tool.harness.env_file"),
        ({"log_dir": "logs"}, "logs", "tool.harness.log_dir"),
        ({}, ".", "cannot"),
    ],
    ids=["env file directory", "log directory", "project directory"],
)
def test_an_unwritable_place_is_one_message_naming_it_and_the_fix(
    tmp_path: Path, make_immutable, keys: dict[str, str], unwritable: str, expected: str
) -> None:
    pyproject = tiny_project(tmp_path / "project", app=keys)
    make_immutable(tmp_path / "project" / unwritable)
    started = time.time()

    message = start_and_stop(pyproject)

    assert expected in message, message
    assert "Operation not permitted" in message
    assert "fix:" in message
    assert not project_processes(tmp_path / "project", started)


def test_through_pytest_an_unwritable_env_directory_is_a_message_without_traceback(
    tmp_path: Path, make_immutable
) -> None:
    tiny_project(
        tmp_path,
        app={"env_file": "env/app.env"},
        files={"test_x.py": "def test_x(harness_app):\n    pass\n"},
    )
    make_immutable(tmp_path / "env")

    result = run_pytest(tmp_path, "-p", "no:flask", timeout=60)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "harness: tool.harness.env_file" in output
    assert "Traceback" not in output
    assert "harness/files" not in output  # no frame of harness's code


@pytest.mark.parametrize(
    ("host", "at"),
    [
        ("not a host", "load"),
        ("exa mple", "load"),
        ("-leading.dash", "load"),
        ("256.1.1", "start"),  # a valid-looking name no resolver knows here
        ("no-such-host.invalid", "start"),
        ("192.0.2.1", "start"),  # TEST-NET-1: an address, but not this machine's
    ],
)
def test_a_host_the_app_cannot_listen_on_is_one_message(tmp_path: Path, host: str, at: str) -> None:
    pyproject = tiny_project(tmp_path, app={"host": host})

    if at == "load":
        with pytest.raises(ConfigError, match=r"tool\.harness\.host: expected an IP address or a host name"):
            Harness.from_pyproject(pyproject)
        return
    message = start_and_stop(pyproject)
    assert f"the app cannot listen on host {host!r}" in message
    assert "fix: set host" in message


def test_a_fixed_port_in_use_names_its_owner(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        pyproject = tiny_project(tmp_path, app={"port": port})

        message = start_and_stop(pyproject)

    assert f"port {port} on 127.0.0.1" in message
    assert "is already in use" in message
    assert "fix:" in message


# -- fuzzed: every path, host, port and timeout key -------------------------------------------------

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
LONG_NAME = "n" * 300  # longer than any file system's name limit

PATHS = st.one_of(
    TEXT,
    st.sampled_from(
        ["", ".", "..", "/", "~", "env/", "a/../../..", LONG_NAME, f"env/{LONG_NAME}.env", "/proc/x"]
    ),
)
HOSTS = st.one_of(
    TEXT,
    st.sampled_from(["127.0.0.1", "::1", "localhost", "0.0.0.0", "::", "256.0.0.1", "fe80::1", "LOCALHOST."]),
)
NUMBERS = st.one_of(
    st.integers(-10, 70000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 0.001, 1e-9, 86401, True, "30", [1]]),
)


@st.composite
def keys(draw: st.DrawFn) -> dict[str, object]:
    drawn: dict[str, object] = {}
    for key, values in [
        ("env_file", PATHS),
        ("log_dir", PATHS),
        ("cwd", PATHS),
        ("host", HOSTS),
        ("port", NUMBERS),
        ("startup_timeout", NUMBERS),
        ("shutdown_timeout", NUMBERS),
        ("port_env", st.one_of(TEXT, st.just(False))),
    ]:
        if draw(st.booleans()):
            drawn[key] = draw(values)
    return drawn


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(value), repr(value))
    if isinstance(value, (int, list)):
        return repr(value)
    escaped = "".join(
        ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}" for ch in str(value)
    )
    return f'"{escaped}"'


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(table=keys())
@example(table={"env_file": f"env/{LONG_NAME}.env"})
@example(table={"log_dir": LONG_NAME})
@example(table={"cwd": LONG_NAME})
@example(table={"host": "256.0.0.1"})
@example(table={"port": 1, "host": "127.0.0.1"})
@example(table={"startup_timeout": 0.001})
@example(table={"port_env": ""})
def test_every_fuzzed_key_ends_in_a_run_or_one_harness_error(table: dict[str, object]) -> None:
    base = Path(tempfile.mkdtemp(prefix="harness-keys-"))
    try:
        lines = [
            "[tool.harness]",
            f"command = [{toml_value(sys.executable)}, {toml_value(str(TINY_APP))}]",
            'health = "/health"',
            *(f"{key} = {toml_value(value)}" for key, value in table.items()),
        ]
        pyproject = base / "pyproject.toml"
        pyproject.write_text("\n".join(lines) + "\n")
        started = time.time()
        message = start_and_stop(pyproject)  # anything but a HarnessError fails here
        assert message == "ran" or ("\n" in message or ":" in message), message
        assert not project_processes(base, started)
    finally:
        shutil.rmtree(base, ignore_errors=True)
