"""Fuzzed configuration: whatever ``[tool.harness]`` holds, validation ends in a config or in one
:class:`~harness.errors.ConfigError` that names the file and lists at least one problem.

Property-based (hypothesis), reproducible (``derandomize=True``: the same examples on every run and
in CI, no example database) and bounded (a few hundred examples per property):

* arbitrary TOML values (strings with braces, NULs, newlines and unusual unicode; integers; floats
  including nan and inf; booleans; dates and times; nested arrays and tables) in every position,
  including the known keys and the services and profiles tables, fed to :func:`parse_table`;
* the same tables written as TOML files (a minimal TOML writer below, checked by round trip) and
  loaded with :func:`load_config`, which must agree with :func:`parse_table`;
* raw text and bytes, and documents assembled from plausible and broken TOML lines, as files;
* generated *valid* configurations, which must never raise;
* and whatever validation accepts must be usable: no NUL where the OS needs a C string, names
  that are whole matches of their pattern, timeouts a socket accepts, profile names that make
  file names.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shlex
import socket
import string
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import Harness
from harness.cli import preview
from harness.config import DEFAULT_PROFILE, HarnessConfig, load_config, parse_table
from harness.config.load import APP_KEYS, COMMAND_FIELDS, ON_CRASH, TOP_KEYS
from harness.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 (a harness dependency there)
    import tomli as tomllib

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

#: Where parse_table believes the table came from (it never needs the file to exist).
SOURCE = Path("/fuzz/project/pyproject.toml")

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SERVICE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    # Module-scoped: hypothesis reruns a test body many times, a function-scoped tmp_path would be
    # shared between the examples anyway (and hypothesis warns about it).
    with tempfile.TemporaryDirectory(prefix="harness-config-fuzz-") as directory:
        yield Path(directory)


# -- a minimal TOML writer ------------------------------------------------------------------------------


def toml_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def toml_value(value: object) -> str:
    """``value`` as one line of TOML (tables inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{toml_string(key)} = {toml_value(item)}" for key, item in value.items())
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(f"not a TOML value: {value!r}")


def toml_document(harness: object) -> str:
    """A pyproject.toml whose ``tool.harness`` is ``harness`` (any TOML value, not only a table)."""
    if isinstance(harness, dict):  # the usual layout: a [tool.harness] header, one key per line
        lines = [f"{toml_string(key)} = {toml_value(value)}" for key, value in harness.items()]
        return '[project]\nname = "fuzzed"\n\n[tool.harness]\n' + "\n".join(lines) + "\n"
    return f"[tool]\nharness = {toml_value(harness)}\n"


def canonical(value: object) -> object:
    """``value`` with types made explicit (1 == 1.0 == True in Python) and nan comparable."""
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    if isinstance(value, list):
        return ("list", [canonical(item) for item in value])
    if isinstance(value, dict):
        return ("dict", [(key, canonical(item)) for key, item in value.items()])
    return (type(value).__name__, value)


# -- strategies -----------------------------------------------------------------------------------------

WEIRD = st.sampled_from(
    [
        *("", " ", "\t", "\n", "\r\n", "\x00", "a\x00b", "A\n", "x\n", "\x7f", "\x1b[31m"),
        *("{", "}", "{{", "}}", "{}", "{ }", "{{}}", "{url}", "{port}", "{host}", "{ url }"),
        *("{app.port}", "{app.url}", "{root}", "{services.x.url}", "{nope}", "{0}", "{!r}", "{a{b}c}"),
        *("é", "\u00a0", "\u200b", "\u202e", "\ufeff", "🙂", "ß", "İ", "\U0010ffff", "日本"),
        *("~", ".", "..", "/", "/etc", "a/b", "../..", "\\", "C:\\x", "$HOME", "${X}", "%s", "'", '"'),
        *("=", "#", "-1", "0", "65536", "1e400", "nan", "inf", "true", "default", "restart", "fail"),
        *("PORT", "X-Y", "_", "9A", "a b", "command", "services", "profiles", "env", "[x]"),
    ]
)
texts = st.one_of(st.text(max_size=16), WEIRD, st.lists(WEIRD, min_size=1, max_size=4).map("".join))
keys = st.one_of(texts, st.sampled_from([*TOP_KEYS, "strict", "name"]))
integers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 1, -1, 65535, 65536, 2**31, 2**63 - 1]),
)
floats = st.one_of(
    st.floats(), st.sampled_from([0.0, -0.0, 1e-300, 1e12, 1e300, math.inf, -math.inf, math.nan])
)
offsets = st.sampled_from(
    [
        None,
        dt.timezone.utc,
        dt.timezone(dt.timedelta(hours=5, minutes=30)),
        dt.timezone(-dt.timedelta(hours=8)),
    ]
)
# TOML has no "fold" (which of two repeated wall-clock times): generate only what it can hold.
moments = st.one_of(
    st.datetimes(timezones=offsets).map(lambda moment: moment.replace(fold=0)),
    st.dates(),
    st.times().map(lambda moment: moment.replace(fold=0)),
)
scalars = st.one_of(texts, integers, floats, st.booleans(), moments)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


def tables_of(known: dict[str, st.SearchStrategy[object]]) -> st.SearchStrategy[dict[str, object]]:
    """Tables holding any of the ``known`` keys (each with a plausible or an arbitrary value) plus
    arbitrary other keys."""
    optional = {key: st.one_of(strategy, values) for key, strategy in known.items()}
    return st.builds(
        lambda main, extra: {**extra, **main},
        st.fixed_dictionaries({}, optional=optional),
        st.dictionaries(keys, values, max_size=2),
    )


env_names = st.one_of(st.from_regex(ENV_NAME, fullmatch=True), texts)
env_tables = st.dictionaries(env_names, st.one_of(texts, scalars, values), max_size=4)
plausible_app_values: dict[str, st.SearchStrategy[object]] = {
    "command": st.one_of(st.lists(texts, max_size=4), texts),
    "cwd": texts,
    "health": st.one_of(texts, texts.map(lambda text: "/" + text)),
    "host": st.one_of(texts, st.sampled_from(["127.0.0.1", "::1", "localhost"])),
    "port_env": st.one_of(env_names, st.booleans()),
    "port": integers,
    "startup_timeout": st.one_of(integers, floats),
    "shutdown_timeout": st.one_of(integers, floats),
    "on_crash": st.one_of(st.sampled_from(ON_CRASH), texts),
}
service_tables = tables_of({"env": env_tables, "strict": st.booleans()})
profile_tables = tables_of({"env": env_tables, **plausible_app_values})
harness_tables = tables_of(
    {
        **plausible_app_values,
        "env_file": texts,
        "log_dir": texts,
        "env": env_tables,
        "services": st.dictionaries(
            st.one_of(texts, st.from_regex(SERVICE_NAME, fullmatch=True)), service_tables
        ),
        "profiles": st.dictionaries(texts, profile_tables, max_size=3),
    }
)
anything = st.one_of(harness_tables, values)


# -- the properties' checks -----------------------------------------------------------------------------


def check_config_error(error: ConfigError, source: Path) -> None:
    message = str(error)
    assert message.strip(), "a ConfigError with an empty message"
    assert str(source) in message, f"the message does not name the file: {message!r}"
    assert error.source == str(source)
    assert error.problems, f"a ConfigError without a problem: {message!r}"
    for problem in error.problems:
        assert isinstance(problem, str)
        assert problem.strip(), f"an empty problem in {error.problems!r}"
        assert problem in message


def check_usable(config: HarnessConfig) -> None:
    """What validation accepted can be used: nothing it lets through fails later for its form."""
    assert isinstance(config, HarnessConfig)
    profiles = [DEFAULT_PROFILE, *config.profiles]
    for profile in profiles:
        settings = config.app_settings(profile)
        assert settings.command
        assert all(isinstance(part, str) for part in settings.command)
        assert all("\x00" not in part for part in settings.command), settings.command
        assert settings.command[0], settings.command
        assert isinstance(settings.host, str)
        assert settings.host.strip()
        assert "\x00" not in settings.host
        assert settings.health.startswith("/")
        assert settings.health.isprintable()
        assert " " not in settings.health  # every probe would be an invalid request line
        assert isinstance(settings.port, int)
        assert 0 <= settings.port <= 65535
        assert settings.port_env is None or ENV_NAME.fullmatch(settings.port_env), settings.port_env
        assert settings.on_crash in ON_CRASH
        for timeout in (settings.startup_timeout, settings.shutdown_timeout):
            assert math.isfinite(timeout), timeout
            assert timeout > 0, timeout
            with socket.socket() as probe:
                probe.settimeout(timeout)  # OverflowError for a timeout no socket or select can wait
        for name, value in settings.env.items():
            assert ENV_NAME.fullmatch(name), f"env name {name!r} accepted"
            assert value is None or (isinstance(value, str) and "\x00" not in value), (name, value)
        # Every template accepted renders: the plan of a start, previewed as `harness env` and
        # `harness check` show it (the same function a start runs, with placeholder addresses).
        plan = preview(config, profile)
        assert len(plan.argv) == len(settings.command)
        assert isinstance(settings.cwd, Path)
        # The env file and log of the profile are named after it: computing them must work.
        harness = Harness(config, profile)
        assert harness.env_file.parent == config.env_file.parent
        assert "\x00" not in str(harness.env_file)
    for name in config.services:
        assert SERVICE_NAME.fullmatch(name), f"service name {name!r} accepted"


def outcome(table: object, source: Path) -> HarnessConfig | ConfigError:
    """The config, or the ConfigError (checked); any other exception escapes and fails the test."""
    try:
        config = parse_table(table, source)
    except ConfigError as error:
        check_config_error(error, source)
        return error
    check_usable(config)
    return config


# -- properties -------------------------------------------------------------------------------------------


@FUZZ
@given(table=anything)
def test_parse_table_raises_only_a_config_error_that_names_the_file(table):
    outcome(table, SOURCE)


@FUZZ
@given(table=harness_tables)
def test_known_keys_with_any_value_give_a_config_error_or_a_usable_config(table):
    table.setdefault("command", ["app"])  # so the other keys decide, not the missing command
    outcome(table, SOURCE)


@FUZZ
@given(table=anything)
def test_load_config_of_a_written_file_agrees_with_parse_table(workdir, table):
    text = toml_document(table)
    document = tomllib.loads(text)
    assert canonical(document["tool"]["harness"]) == canonical(table), "the TOML writer lost something"
    path = workdir / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    source = path.resolve()

    expected = outcome(table, source)
    if isinstance(expected, ConfigError):
        with pytest.raises(ConfigError) as raised:
            load_config(path)
        check_config_error(raised.value, source)
        assert raised.value.problems == expected.problems
    else:
        assert load_config(path) == expected


def check_file(workdir: Path, content: str | bytes) -> None:
    path = workdir / "pyproject.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    try:
        config = load_config(path)
    except ConfigError as error:
        check_config_error(error, path.resolve())
    else:
        check_usable(config)


@FUZZ
@given(content=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_load_config_of_raw_text_or_bytes_raises_only_a_config_error(workdir, content):
    check_file(workdir, content)


LINES = st.sampled_from(
    [
        "[tool.harness]",
        "[[tool.harness]]",
        "[tool]",
        "harness = 1",
        'command = ["app", "{port}"]',
        "command = 'app --port {port}'",
        'command = "unbalanced \\"quote"',
        "command = []",
        'command = ["{nope}"]',
        'health = "/health"',
        "port = 70000",
        "port = -1",
        "startup_timeout = 1e12",
        "startup_timeout = nan",
        "shutdown_timeout = inf",
        "on_crash = 'fail'",
        "port_env = false",
        'env_file = "env/x.env"',
        "[tool.harness.env]",
        'A = "{services.db.url}"',
        'B = "{app.port"',
        "C = 1979-05-27T07:32:00Z",
        'D = "a\\u0000b"',
        "[tool.harness.services.db]",
        "[tool.harness.services.'db\\n']",
        'env = { DB_URL = "{url}" }',
        "strict = 'yes'",
        "[tool.harness.profiles.p]",
        "[tool.harness.profiles.'a/b']",
        "[tool.harness.profiles.default]",
        "cwd = '..'",
        "x = [[[[[[1]]]]]]",
        "x = {",
        "= 1",
        "a.b.c = 1",
        "]]",
        '"""',
        "\x00",
        "# comment",
        "",
    ]
)


@FUZZ
@given(lines=st.lists(LINES, max_size=12))
def test_load_config_of_documents_assembled_from_toml_lines(workdir, lines):
    check_file(workdir, "\n".join(lines) + "\n")


VALID_DOCUMENT = """\
[tool.harness]
command = ["python", "-m", "app", "--port", "{port}"]
health = "/health"
startup_timeout = 5
env = { A = "{services.db.url}", B = "x" }

[tool.harness.services.db]
env = { DB_URL = "{url}" }

[tool.harness.profiles.p]
port = 8080
"""


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID_DOCUMENT)), st.integers(0, 3), texts), max_size=4))
def test_load_config_of_a_valid_document_with_random_edits(workdir, edits):
    document = VALID_DOCUMENT
    for position, removed, inserted in edits:
        document = document[:position] + inserted + document[position + removed :]
    check_file(workdir, document)


# -- valid configurations never raise ---------------------------------------------------------------------

safe_text = st.text(
    alphabet=st.characters(blacklist_characters="{}\x00", blacklist_categories=("Cs",)), max_size=8
)
#: Relative paths that stay inside the project (a path leading out of it is refused at load).
project_paths = st.lists(
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_. -]{0,7}", fullmatch=True), min_size=1, max_size=3
).map("/".join)


#: Brace groups that cannot be a placeholder name: literal text, as written (JSON, for one).
LITERAL_GROUPS = ('{"k": 1}', '{"a": {"b": [1, {}]}}', "{}", "{ }", "{a b}", "{x:y}")


def templates(fields: list[str]) -> st.SearchStrategy[str]:
    placeholders = [f"{{{field}}}" for field in fields]
    json_around = [f'{{"v": "{placeholder}"}}' for placeholder in placeholders]
    pieces = st.one_of(safe_text, st.sampled_from(["{{", "}}", *LITERAL_GROUPS, *placeholders, *json_around]))
    return st.lists(pieces, max_size=4).map("".join)


def env_tables_valid(fields: list[str]) -> st.SearchStrategy[dict[str, object]]:
    value = st.one_of(
        templates(fields),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.just(""),
    )
    return st.dictionaries(st.from_regex(ENV_NAME, fullmatch=True), value, max_size=4)


def app_values_valid(fields: list[str]) -> dict[str, st.SearchStrategy[object]]:
    non_blank = safe_text.filter(lambda text: text.strip())
    # The command takes its own placeholders and every one an env value can use.
    parts = st.lists(templates([*COMMAND_FIELDS, *fields]), min_size=1, max_size=4).filter(
        lambda p: p[0] != ""
    )
    seconds = st.one_of(st.integers(1, 3600), st.floats(min_value=0.001, max_value=3600))
    return {
        "command": st.one_of(parts, parts.map(shlex.join)),
        "cwd": non_blank,
        "health": safe_text.filter(lambda text: text.isprintable() and " " not in text).map(
            lambda text: "/" + text
        ),
        "host": st.sampled_from(["127.0.0.1", "::1", "localhost", "0.0.0.0"]),
        "port_env": st.one_of(st.from_regex(ENV_NAME, fullmatch=True), st.just(False)),
        "port": st.integers(0, 65535),
        "startup_timeout": seconds,
        "shutdown_timeout": seconds,
        "on_crash": st.sampled_from(ON_CRASH),
    }


@st.composite
def valid_tables(draw: st.DrawFn) -> dict[str, object]:
    service_names = draw(st.lists(st.from_regex(SERVICE_NAME, fullmatch=True), max_size=3, unique=True))
    fields = ["app.port", "app.url", "app.host", "root"]
    fields += [f"services.{name}.{field}" for name in service_names for field in ("url", "host", "port")]
    app = app_values_valid(fields)
    optional = {key: app[key] for key in APP_KEYS if key != "command"}
    table = draw(st.fixed_dictionaries({"command": app["command"]}, optional=optional))
    table.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "env": env_tables_valid(fields),
                    "env_file": project_paths,
                    "log_dir": project_paths,
                },
            )
        )
    )
    services = {}
    for name in service_names:
        own = ["url", "host", "port", *fields]
        services[name] = draw(
            st.fixed_dictionaries({}, optional={"env": env_tables_valid(own), "strict": st.booleans()})
        )
    if services or draw(st.booleans()):
        table["services"] = services
    profile_names = st.text(
        alphabet=st.characters(blacklist_characters="/\\\x00", blacklist_categories=("Cs",)), min_size=1
    ).filter(lambda name: name != DEFAULT_PROFILE)
    profiles = draw(
        st.dictionaries(
            profile_names,
            st.fixed_dictionaries({}, optional={"env": env_tables_valid(fields), **app}),
            max_size=3,
        )
    )
    if profiles:
        table["profiles"] = profiles
    _give_the_app_a_way_to_its_port(table)
    _keep_the_env_file_out_of_the_log_folder(table)
    return table


def _keep_the_env_file_out_of_the_log_folder(table: dict[str, object]) -> None:
    """An env file inside ``log_dir`` is refused at load (they would mix): give it a place apart."""
    env_file, log_dir = table.get("env_file"), table.get("log_dir")
    if isinstance(env_file, str) and isinstance(log_dir, str):
        folder = log_dir.strip("/") + "/"
        if (env_file.strip("/") + "/").startswith(folder) or env_file == log_dir:
            table["env_file"] = "apart_from_logs/" + env_file.rsplit("/", 1)[-1]  # longer than any drawn name


def _give_the_app_a_way_to_its_port(table: dict[str, object]) -> None:
    """With ``port_env = false`` the app learns its port only from ``{port}`` in its command or a fixed
    port (anything else is refused at load): give such a base or profile a fixed port."""
    base_port_env = table.get("port_env", "PORT")
    if base_port_env is False and not table.get("port"):
        table["port"] = 8000
    for body in dict(table.get("profiles", {})).values():  # type: ignore[call-overload]
        if body.get("port_env", base_port_env) is False and not body.get("port", table.get("port")):
            body["port"] = 8000


@FUZZ
@given(table=valid_tables())
def test_a_valid_config_never_raises(workdir, table):
    config = parse_table(table, SOURCE)
    check_usable(config)
    assert set(config.services) == set(table.get("services", {}))
    assert set(config.profiles) == set(table.get("profiles", {}))
    if isinstance(table["command"], list):
        assert list(config.app.command) == table["command"]

    path = workdir / "pyproject.toml"
    path.write_text(toml_document(table), encoding="utf-8")
    loaded = load_config(path)
    check_usable(loaded)
    assert loaded.app.command == config.app.command
    assert loaded.app.env == config.app.env
    assert set(loaded.profiles) == set(config.profiles)


# -- examples the fuzzing found, kept as plain regression tests -------------------------------------------

DEEP = 5000


@pytest.mark.parametrize(
    "document",
    [
        "[tool.harness]\ncommand = " + "[" * DEEP + "]" * DEEP + "\n",
        "[tool.harness]\nenv = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n",
        "[tool.harness]\ncommand = " + "[" * DEEP + "\n",
    ],
    ids=["deep-arrays", "deep-inline-tables", "unclosed-deep-arrays"],
)
def test_deeply_nested_toml_is_a_config_error(tmp_path, document):
    path = tmp_path / "pyproject.toml"
    path.write_text(document)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    check_config_error(raised.value, path)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"command": ["app"], "cwd": "a\x00b"}, "tool.harness.cwd"),
        ({"command": ["app"], "env_file": "env/\x00.env"}, "tool.harness.env_file"),
        ({"command": ["app"], "log_dir": "\x00"}, "tool.harness.log_dir"),
        ({"command": ["app"], "host": "127.0.0.1\x00"}, "tool.harness.host"),
        ({"command": ["app\x00"]}, "tool.harness.command"),
        ({"command": "app --flag\x00"}, "tool.harness.command"),
        ({"command": ["app"], "profiles": {"p": {"cwd": "\x00"}}}, "tool.harness.profiles.p.cwd"),
        ({"command": ["app"], "profiles": {"a/b": {}}}, "tool.harness.profiles.a/b"),
        ({"command": ["app"], "profiles": {"a\x00b": {}}}, "tool.harness.profiles.a\x00b"),
        ({"command": ["app"], "startup_timeout": 1e12}, "tool.harness.startup_timeout"),
        ({"command": ["app"], "shutdown_timeout": math.inf}, "tool.harness.shutdown_timeout"),
        ({"command": ["app"], "profiles": {"p": {"startup_timeout": 1e300}}}, "tool.harness.profiles.p"),
        ({"command": ["app"], "env": {"NAME\n": "x"}}, "tool.harness.env.NAME\n"),
        ({"command": ["app"], "port_env": "PORT\n"}, "tool.harness.port_env"),
        ({"command": ["app"], "services": {"db\n": {}}}, "tool.harness.services.db\n"),
    ],
    ids=lambda value: repr(value)[:40] if not isinstance(value, dict) else None,
)
def test_values_that_would_fail_later_are_config_errors(table, key):
    with pytest.raises(ConfigError) as raised:
        parse_table(table, SOURCE)
    check_config_error(raised.value, SOURCE)
    assert any(problem.startswith(key) for problem in raised.value.problems), raised.value.problems


def test_well_formed_values_next_to_the_rejected_ones_are_still_accepted():
    config = parse_table(
        {
            "command": "app --name 'a b' {port}",
            "cwd": "sub dir/é",
            "startup_timeout": 86400,
            "shutdown_timeout": 0.5,
            "env": {"_X1": "{{literal}}", "EMPTY": "", "GONE": False, "JSON": '{"k": {"n": 1}}'},
            "services": {"db-1": {"env": {"DB": "{url}"}}},
            "profiles": {"no.llm": {}, "ünïcode": {"port": 8080}},
        },
        SOURCE,
    )
    check_usable(config)
    assert config.app.command == ("app", "--name", "a b", "{port}")
    assert config.app.env == {"_X1": "{{literal}}", "EMPTY": "", "GONE": None, "JSON": '{"k": {"n": 1}}'}
    assert set(config.profiles) == {"no.llm", "ünïcode"}


def test_the_toml_writer_round_trips_awkward_strings():
    awkward = {"k\x00\"'\\\n": ["\x00\x1f\x7f", "{{}}", "🙂\u202e", 1e-05, -0.0, dt.time(7, 32, 0, 999)]}
    loaded = tomllib.loads(toml_document(awkward))["tool"]["harness"]
    assert canonical(loaded) == canonical(awkward)
    printable = tomllib.loads(toml_document({"s": string.printable}))["tool"]["harness"]["s"]
    assert printable == string.printable
