"""``env_file_format``: the env file means the same to every reader of its dialect.

Files are written by harness's own writer (``RunFiles.write_env_file``, mark line included) and read
back by the real readers: python-dotenv, Node's ``dotenv`` from npm (installed once per machine,
see tests/support/node_dotenv.py), ``set -a; . FILE`` in bash and in sh, and ``docker run --env-file`` --
by its documented rules, and by the docker CLI itself where installed (it parses the file before
it talks to the engine, so a stand-in engine records what it would start the container with).
A value a dialect cannot carry is refused at start, with one message naming the variable, the
dialect and the fix, and nothing is written.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from dotenv import dotenv_values

from harness import Harness
from harness.appenv import envfile
from harness.config import HarnessConfig, parse_table
from harness.errors import ConfigError
from harness.files.owned import RunStamp
from harness.files.run_files import RunFiles
from tests.support import node_dotenv
from tests.support.projects import tiny_project

STAMP = RunStamp.of_this_process("harness-test-env-file-formats")

#: Values harness writes, and the ones that trip readers up. Every name is a valid variable name.
VALUES: dict[str, str] = {
    "URL": "http://127.0.0.1:4000/v1/items?a=1&b=two%20words&redirect=%2Fhome#frag",
    "URL_WITH_CREDENTIALS": "postgres://app:p%40ss@db:5432/app?sslmode=require",
    "PORT": "8080",
    "API_KEY": "sk-Abc123_def/+==",
    "JSON": '{"accountName": "acct", "accountKey": "k==", "n": [1, 2.5, null], "ok": true}',
    "JSON_WITH_QUOTE_AND_BACKSLASH": '{"msg": "it\'s", "path": "C:\\\\dir"}',
    "JSON_WITH_HASH_AND_QUOTE": '{"q": "it\'s # 1"}',
    "MULTILINE_JSON": '{\n  "a": 1,\n  "b": "x"\n}',
    "SINGLE_QUOTE": "it's",
    "DOUBLE_QUOTE": 'say "hi"',
    "BOTH_QUOTES": '"\'"',
    "WRAPPED_IN_SINGLE_QUOTES": "'quoted'",
    "WRAPPED_IN_DOUBLE_QUOTES": '"quoted"',
    "BACKTICKS": "`cmd` and `x`",
    "DOLLAR": "$",
    "DOLLAR_NAMES": "cost $5, $HOME and $PATH",
    "BRACED_REFERENCE": "${HOME}",
    "DEFAULT_SYNTAX": "${UNSET_FOR_TEST:-fallback}",
    "ESCAPED_REFERENCE": "\\${HOME}",
    "UNCLOSED_BRACE": "a ${b and ${",
    "BRACE_WITHOUT_DEFAULT": "${a:b}",
    "SUBSHELL": "$(echo no) `echo no`",
    "HASH": "a # b",
    "LEADING_HASH": "#not-a-comment",
    "HASH_WITHOUT_SPACE": "a#b",
    "SPACES": "  leading and trailing  ",
    "SPACE_ONLY": " ",
    "TAB": "a\tb",
    "TRAILING_TAB": "x\t",
    "BACKSLASHES": "C:\\path\\to\\new",
    "DOUBLE_BACKSLASH": "a\\\\b",
    "BACKSLASH_N": "a\\nb",
    "TRAILING_BACKSLASH": "x\\",
    "BACKSLASH_QUOTE": "\\'",
    "UNC_PATH_WITH_HASH": "\\\\server\\share #1",
    "UNICODE": "héllo ✓ 日本語 🚀",
    "NBSP_AT_ENDS": "\u00a0x\u00a0",
    "BOM_FIRST": "\ufeffx",
    "LINE_SEPARATOR": "a\u2028'b'",
    "QUOTES_AND_LINE_SEPARATOR": "it's \"x\"\u2028'y'",
    "NEXT_LINE": "a\x85b",
    "VT_AND_FF": "a\x0bb\x0cc",
    "NEWLINE": "line1\nline2",
    "TRAILING_NEWLINE": "line1\nline2\n",
    "ONLY_NEWLINE": "\n",
    "CARRIAGE_RETURN": "a\rb",
    "TRAILING_CARRIAGE_RETURN": "x\r",
    "CRLF": "line1\r\nline2",
    "NEWLINE_AND_QUOTES": 'it\'s "x"\nnext',
    "NEWLINE_AND_DOUBLE_QUOTE": 'x "q"\nB_INJECTED=1',
    "LOOKS_LIKE_A_NEXT_LINE": "x\nC_INJECTED=1",
    "BACKSLASH_BEFORE_NEWLINE": 'x "q" \\\nnext',
    "PEM": "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8w\n-----END PRIVATE KEY-----\n",
    "EMPTY": "",
    "EQUALS": "a=b=c",
    "EXPORT_LIKE": "export X=1",
    "LONG": "x" * 70_000,
}

#: What each dialect refuses, and why (the docs list the same).
REFUSED: dict[str, set[str]] = {
    # python-dotenv expands ${...} and Node's dotenv does not; or the value needs quotes and holds
    # ' with " or a backslash, which the two readers unquote differently.
    envfile.DOTENV: {
        "BRACED_REFERENCE",
        "DEFAULT_SYNTAX",
        "ESCAPED_REFERENCE",
        "BOTH_QUOTES",
        "JSON_WITH_HASH_AND_QUOTE",
        "UNC_PATH_WITH_HASH",
        "NEWLINE_AND_QUOTES",
        "QUOTES_AND_LINE_SEPARATOR",
    },
    envfile.PYTHON_DOTENV: set(),
    envfile.SHELL: set(),
    # No line breaks; docker drops a trailing \r; lines are at most 65535 bytes.
    envfile.DOCKER: {
        "MULTILINE_JSON",
        "NEWLINE",
        "TRAILING_NEWLINE",
        "ONLY_NEWLINE",
        "TRAILING_CARRIAGE_RETURN",
        "CRLF",
        "NEWLINE_AND_QUOTES",
        "NEWLINE_AND_DOUBLE_QUOTE",
        "LOOKS_LIKE_A_NEXT_LINE",
        "BACKSLASH_BEFORE_NEWLINE",
        "PEM",
        "LONG",
    },
}


def carried(fmt: str) -> dict[str, str]:
    return {name: value for name, value in VALUES.items() if name not in REFUSED[fmt]}


def config_for(root: Path, fmt: str | None) -> HarnessConfig:
    table: dict[str, object] = {"command": ["app"]}
    if fmt is not None:
        table["env_file_format"] = fmt
    return parse_table(table, root / "pyproject.toml")


def write(
    root: Path, values: Mapping[str, str], fmt: str, name: str = "app.env", profile: str = "default"
) -> Path:
    """Write ``values`` as harness writes an app's env file in ``fmt``."""
    files = RunFiles(config_for(root, fmt), STAMP)
    return files.write_env_file(root / "env" / name, values, profile)


def write_each(root: Path, fmt: str) -> dict[str, Path]:
    """Each carried value in a file of its own, plus ``*`` -> all of them in one file."""
    values = carried(fmt)
    paths = {name: write(root, {name: value}, fmt, f"{name}.env") for name, value in values.items()}
    paths["*"] = write(root, values, fmt, "all.env")
    return paths


def expected(name: str, fmt: str) -> dict[str, str]:
    return carried(fmt) if name == "*" else {name: VALUES[name]}


def mismatches(read: Mapping[str, Mapping[str, str]], fmt: str) -> list[str]:
    """One line per file whose reading is not exactly what was written."""
    wrong = []
    for name, got in read.items():
        want = expected(name, fmt)
        if dict(got) != want:
            diff = {k: (want.get(k), got.get(k)) for k in {*want, *got} if want.get(k) != got.get(k)}
            wrong.append(f"{name}: (written, read) {diff}"[:600])
    return wrong


@pytest.fixture
def no_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    """Variables a reader would wrongly substitute get a value that must never appear."""
    for name in ("HOME", "PATH_FOR_TEST", "UNSET_FOR_TEST", "b", "a"):
        monkeypatch.setenv(name, f"<{name} should not appear>")


# -- the mark line and the refusals, in every dialect ---------------------------------------------


@pytest.mark.parametrize("fmt", list(envfile.FORMATS))
def test_the_mark_stays_one_comment_line_first(tmp_path: Path, fmt: str) -> None:
    # The mark names the profile: even a profile name with line breaks stays on the comment line.
    path = write(tmp_path, {"A": "1", "B": "two words"}, fmt, profile="p\nC=3\r\u2028D=4 #'\"")
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0].startswith(f"# harness run {STAMP.marker} (pid {STAMP.pid}, started ")
    assert not any(char in lines[0] for char in "\r\u2028\u2029\x85")
    assert [line.split("=", 1)[0] for line in lines[1:]] == ["A", "B", ""]


@pytest.mark.parametrize("fmt", list(envfile.FORMATS))
def test_values_a_dialect_cannot_carry_are_refused_together_naming_each(tmp_path: Path, fmt: str) -> None:
    refused = {name: VALUES[name] for name in sorted(REFUSED[fmt])}
    assert {name for name in VALUES if envfile.problem(name, VALUES[name], fmt)} == REFUSED[fmt]
    if not refused:
        return
    with pytest.raises(ConfigError) as caught:
        write(tmp_path, {"FINE": "1", **refused}, fmt)
    message = str(caught.value)
    assert f"({len(refused)} problems)" in message or len(refused) == 1
    for name in refused:
        assert (
            f'env_file_format = "{fmt}" ({envfile.FORMATS[fmt]}) cannot hold the value of {name}:' in message
        )
    assert message.count("; fix: ") == len(refused)
    assert "FINE" not in message
    assert not (tmp_path / "env" / "app.env").exists()  # nothing written, not even the good values


@pytest.mark.parametrize(
    ("fmt", "values", "fragments"),
    [
        (
            envfile.DOCKER,
            {"PEM": "a\nb"},
            ["cannot hold the value of PEM: it holds a line break", "docker run --env-file", "base64"],
        ),
        (envfile.DOCKER, {"X": "y\r"}, ["it ends with a carriage return", "remove the trailing \\r"]),
        (envfile.DOCKER, {"BIG": "x" * 65_535}, ["its line is 65539 bytes", "over 65535 bytes"]),
        (
            envfile.DOTENV,
            {"TEMPLATE": "/items/${id}"},
            [
                "cannot hold the value of TEMPLATE: it holds a ${...} that python-dotenv expands",
                'choose env_file_format = "python-dotenv" if only python-dotenv reads the env file',
            ],
        ),
        (
            envfile.DOTENV,
            {"Q": 'it\'s "x" # 1'},
            [
                "cannot hold the value of Q: it needs quotes (a '#') and holds ' and \"",
                'choose env_file_format = "python-dotenv"',
            ],
        ),
        (
            envfile.SHELL,
            {"UID": "1000"},
            [
                "cannot hold the value of UID: bash keeps UID for itself",
                'fix: give the variable another name, or choose env_file_format = "dotenv"',
            ],
        ),
    ],
)
def test_the_refusal_says_variable_dialect_reason_and_fix(
    tmp_path: Path, fmt: str, values: dict[str, str], fragments: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        write(tmp_path, values, fmt)
    message = str(caught.value)
    assert message.startswith(
        f"invalid harness configuration in {tmp_path / 'pyproject.toml'}: profile 'default': "
    )
    assert f'tool.harness.env_file_format = "{fmt}"' in message
    for fragment in fragments:
        assert fragment in message


def test_a_docker_line_of_exactly_65535_bytes_is_written(tmp_path: Path) -> None:
    value = "é" * ((envfile.DOCKER_MAX_LINE_BYTES - 2) // 2) + "x"  # "V=" + 2-byte characters + 1
    assert len(f"V={value}".encode()) == envfile.DOCKER_MAX_LINE_BYTES
    assert read_docker_rules(write(tmp_path, {"V": value}, envfile.DOCKER)) == {"V": value}
    assert envfile.problem("V", value + "x", envfile.DOCKER)


@pytest.mark.parametrize("name", sorted(envfile.SHELL_MANAGED))
def test_shell_refuses_names_bash_keeps_for_itself(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=f"cannot hold the value of {name}: bash keeps {name} for itself"):
        write(tmp_path, {name: "1"}, envfile.SHELL)
    assert write(tmp_path, {name: "1"}, envfile.DOTENV).is_file()  # a name problem of shells only


def test_bash_indeed_cannot_set_the_names_shell_refuses(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    names = ["UID", "EUID", "PPID", "RANDOM", "SECONDS", "LINENO", "SHELLOPTS", "BASHOPTS", "_"]
    path = tmp_path / "managed.env"
    path.write_text("".join(f"{name}={envfile.quote_shell('v 1')}\n" for name in names))
    read = read_shell(bash, path, names, quiet=False)  # bash: "UID: readonly variable", ...
    assert {name: read.get(name) for name in names if read.get(name) == "v 1"} == {}


# -- dotenv (the default): python-dotenv and Node's dotenv ----------------------------------------


def test_dotenv_is_the_default_and_writes_plain_values_single_quoted(tmp_path: Path) -> None:
    assert config_for(tmp_path, None).env_file_format == envfile.DOTENV == envfile.DEFAULT_FORMAT
    files = RunFiles(config_for(tmp_path, None), STAMP)
    path = files.write_env_file(tmp_path / "env" / "app.env", {"A": "1", "B": "it's"}, "default")
    assert path.read_text(encoding="utf-8").splitlines()[1:] == ["A='1'", 'B="it\'s"']


@pytest.mark.usefixtures("no_expansion")
@pytest.mark.parametrize("fmt", [envfile.DOTENV, envfile.PYTHON_DOTENV])
def test_python_dotenv_reads_back_exactly(tmp_path: Path, fmt: str) -> None:
    paths = write_each(tmp_path, fmt)
    assert mismatches({name: dotenv_values(path) for name, path in paths.items()}, fmt) == []


@pytest.fixture(scope="session")
def node_dotenv_cache() -> Path:
    try:
        return node_dotenv.ensure_installed()
    except node_dotenv.NodeDotenvUnavailable as error:
        pytest.skip(f"Node's dotenv is unavailable: {error}")


@pytest.mark.usefixtures("no_expansion")
def test_node_dotenv_reads_back_exactly(tmp_path: Path, node_dotenv_cache: Path) -> None:
    paths = write_each(tmp_path, envfile.DOTENV)
    version, results = node_dotenv.read(list(paths.values()), node_dotenv_cache)
    assert version.startswith("16.")
    parsed = {name: result[0] for name, result in zip(paths, results, strict=True)}
    configured = {name: result[1] for name, result in zip(paths, results, strict=True)}
    assert mismatches(parsed, envfile.DOTENV) == []
    assert mismatches(configured, envfile.DOTENV) == []


def candidate_lines(name: str, value: str) -> list[str]:
    """Every way of writing ``value`` that python-dotenv or Node's dotenv might read back exactly."""
    escaped = value.replace("\n", "\\n").replace("\r", "\\r")
    return [
        f"{name}='{value}'",
        f'{name}="{value}"',
        f'{name}="{escaped}"',
        f"{name}=`{value}`",
        f"{name}={value}",
        f"{name}={envfile.quote(value)}",  # python-dotenv's own quoting
    ]


@pytest.mark.usefixtures("no_expansion")
def test_no_quoting_serves_both_readers_for_what_dotenv_refuses(
    tmp_path: Path, node_dotenv_cache: Path
) -> None:
    """Why the default refuses these: in each quoting, python-dotenv or Node's dotenv (or both)
    reads them differently ("python-dotenv" is the format for apps that read it with python-dotenv)."""
    files = {}
    for name in sorted(REFUSED[envfile.DOTENV]):
        for number, line in enumerate(candidate_lines(name, VALUES[name])):
            files[name, number] = tmp_path / f"{name}.{number}.env"
            files[name, number].write_bytes(f"{STAMP.mark('candidate')}{line}\n".encode())
    _, results = node_dotenv.read(list(files.values()), node_dotenv_cache)
    both = [
        (name, number)
        for ((name, number), path), (parsed, _) in zip(files.items(), results, strict=True)
        if parsed == dotenv_values(path) == {name: VALUES[name]}
    ]
    assert both == []


# -- shell: set -a; . FILE ------------------------------------------------------------------------


def read_shell(shell: str, path: Path, names: list[str], *, quiet: bool = True) -> dict[str, str]:
    """The variables ``names`` as a program started after ``set -a; . FILE`` in ``shell`` gets them
    (``quiet``: the shell must not complain about anything in the file)."""
    env_program = shutil.which("env")
    assert env_program is not None
    result = subprocess.run(
        [shell, "-c", 'set -a; . "$1"; exec "$2" -0', "sh", str(path), env_program],
        capture_output=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "<HOME should not appear>"},
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert not quiet or result.stderr == b"", result.stderr.decode(errors="replace")
    pairs = (entry.decode("utf-8").partition("=") for entry in result.stdout.split(b"\0") if entry)
    return {name: value for name, _, value in pairs if name in names}


@pytest.mark.parametrize("shell_name", ["bash", "sh"])
def test_a_shell_sourcing_the_file_gets_exactly_the_values(tmp_path: Path, shell_name: str) -> None:
    shell = shutil.which(shell_name)
    if shell is None:
        pytest.skip(f"{shell_name} is not installed")
    paths = write_each(tmp_path, envfile.SHELL)
    read = {
        name: read_shell(shell, path, list(expected(name, envfile.SHELL))) for name, path in paths.items()
    }
    assert mismatches(read, envfile.SHELL) == []


# -- docker run --env-file ------------------------------------------------------------------------


def read_docker_rules(path: Path) -> dict[str, str]:
    """The file as docker run --env-file reads it, by its documented rules (docker/cli, kvfile):
    valid UTF-8; a BOM removed; lines split at \\n, a \\r before it dropped; leading whitespace
    removed; empty lines and lines starting with # ignored; ``KEY=VALUE`` split at the first ``=``,
    the key without whitespace, the value as is -- no quotes, escapes or interpolation; at most
    64 KiB per line (bufio.MaxScanTokenSize, newline included)."""
    data = path.read_bytes()
    text = data.decode("utf-8").removeprefix("\ufeff")  # strict: invalid UTF-8 is an error there too
    values: dict[str, str] = {}
    for raw in text.split("\n")[: -1 if text.endswith("\n") else None]:
        assert len(raw.encode()) + 1 <= 64 * 1024, "docker: bufio.Scanner: token too long"
        line = raw.removesuffix("\r").lstrip()
        if not line or line.startswith("#"):
            continue
        name, has_value, value = line.partition("=")
        assert has_value, f"docker would take {name!r} from its own environment"
        assert name, f"docker: no variable name on line {line!r}"
        assert not any(space in name for space in " \t"), f"docker: variable {name!r} contains whitespaces"
        values[name] = value
    return values


def test_docker_rules_read_back_exactly(tmp_path: Path) -> None:
    paths = write_each(tmp_path, envfile.DOCKER)
    assert mismatches({name: read_docker_rules(path) for name, path in paths.items()}, envfile.DOCKER) == []


class _RecordingEngine(http.server.BaseHTTPRequestHandler):
    """Stands in for the docker engine: records the environment of each container the CLI asks to
    create, then refuses to create it."""

    created: list[list[str]]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Api-Version", "1.45")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._reply(200)

    def do_GET(self) -> None:
        self._reply(200, b"OK" if self.path.endswith("/_ping") else b"{}")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/containers/create") or "/containers/create?" in self.path:
            self.created.append(json.loads(body).get("Env") or [])
        self._reply(500, b'{"message": "recorded by the test, not created"}')


@contextlib.contextmanager
def recording_engine() -> Iterator[tuple[str, list[list[str]]]]:
    created: list[list[str]] = []
    handler = type("Handler", (_RecordingEngine,), {"created": created})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}", created
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_the_docker_cli_reads_back_exactly(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("the docker CLI is not installed (the documented rules are checked without it)")
    paths = write_each(tmp_path, envfile.DOCKER)
    config_dir = tmp_path / "docker-config"
    config_dir.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DOCKER_CONFIG": str(config_dir),
    }
    # Each value in a file of its own, all read in one call (one --env-file each), then all in one file.
    calls = {"each": [path for name, path in paths.items() if name != "*"], "*": [paths["*"]]}
    read: dict[str, dict[str, str]] = {}
    with recording_engine() as (host, created):
        for name, files in calls.items():
            before = len(created)
            result = subprocess.run(
                [docker, "--host", host, "create", *(f"--env-file={path}" for path in files), "test-image"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                env=env,
            )
            assert len(created) == before + 1, f"docker did not ask to create: {result.stderr}"
            read[name] = dict(entry.partition("=")[::2] for entry in created[-1])
    read.update({name: {name: read["each"].pop(name)} for name in list(read["each"]) if name in paths})
    assert read.pop("each") == {}, "variables no file holds"
    assert mismatches(read, envfile.DOCKER) == []


# -- the key in [tool.harness] --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(envfile.FORMATS))
def test_each_format_is_accepted(tmp_path: Path, fmt: str) -> None:
    assert config_for(tmp_path, fmt).env_file_format == fmt


@pytest.mark.parametrize(
    ("value", "found", "fix"),
    [
        ("bash", "'bash' (string)", 'did you mean "shell"?'),
        ("docker-compose", "'docker-compose' (string)", 'did you mean "docker"?'),
        ("Python", "'Python' (string)", 'did you mean "python-dotenv"?'),
        ("yaml", "'yaml' (string)", "fix: name the dialect of the env file's reader"),
        (True, "True (boolean)", "fix: name the dialect"),
    ],
)
def test_an_unknown_format_names_key_expected_found_and_fix(
    tmp_path: Path, value: object, found: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_table({"command": ["app"], "env_file_format": value}, tmp_path / "pyproject.toml")
    assert caught.value.problems == [caught.value.problems[0]]
    problem = caught.value.problems[0]
    assert problem.startswith('tool.harness.env_file_format: expected one of "dotenv" (python-dotenv and ')
    assert '"docker" (docker run --env-file)' in problem
    assert f"found {found}; " in problem
    assert fix in problem


def test_the_refusal_comes_at_start_before_the_app_runs(tmp_path: Path) -> None:
    pyproject = tiny_project(tmp_path, app={"env_file_format": "docker"}, env={"CERT": "line1\nline2"})
    harness = Harness.from_pyproject(pyproject)
    try:
        harness.start_services()
        with pytest.raises(ConfigError) as caught:
            harness.app_for("default")
    finally:
        harness.stop()
    refusal = (
        'env_file_format = "docker" (docker run --env-file) cannot hold the value of CERT: it holds a line'
    )
    assert refusal in str(caught.value)
    assert not (tmp_path / "env").exists() or not any((tmp_path / "env").iterdir())
    assert harness.apps == {}
