"""Loading and validating ``[tool.harness]``: one clear ConfigError per bad input, sane good paths."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.config import DEFAULT_PROFILE, find_config, load_config, parse_table, templating
from harness.errors import ConfigError

#: parse_table never reads this file; it only names it in messages and resolves paths against it.
SOURCE = Path("/project/pyproject.toml")


def config_error(table: object, source: Path = SOURCE) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_table(table, source)
    return info.value


def assert_single_problem(error: ConfigError, key: str, *fragments: str, source: Path = SOURCE) -> None:
    """One problem, and the message names the file, the key and every fragment (expected, found)."""
    assert len(error.problems) == 1, error.problems
    message = str(error)
    assert str(source) in message
    assert f"{key}:" in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def write_pyproject(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pyproject.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- unknown keys -------------------------------------------------------------------------------------


def test_unknown_top_level_key_suggests_the_close_match():
    error = config_error({"command": ["app"], "startup_timout": 5})
    assert_single_problem(
        error, "tool.harness.startup_timout", "unknown key", "did you mean 'startup_timeout'?"
    )


def test_unknown_top_level_key_without_close_match_lists_known_keys():
    error = config_error({"command": ["app"], "zzzzzz": 1})
    assert_single_problem(error, "tool.harness.zzzzzz", "unknown key", "known keys:", "command", "profiles")


def test_unknown_service_key():
    error = config_error({"command": ["app"], "services": {"api": {"strct": False}}})
    assert_single_problem(error, "tool.harness.services.api.strct", "unknown key", "did you mean 'strict'?")


def test_unknown_profile_key():
    error = config_error({"command": ["app"], "profiles": {"slow": {"helth": "/up"}}})
    assert_single_problem(error, "tool.harness.profiles.slow.helth", "unknown key", "did you mean 'health'?")


def test_missing_command():
    error = config_error({"health": "/health"})
    assert_single_problem(error, "tool.harness.command", "missing", "command = [")


# -- wrong types and values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "key", "expected", "found"),
    [
        pytest.param(
            {"port": "8000"}, "tool.harness.port", "an integer port from 0", "'8000' (string)", id="port-str"
        ),
        pytest.param(
            {"port": 70000},
            "tool.harness.port",
            "an integer port from 0",
            "70000 (integer)",
            id="port-too-big",
        ),
        pytest.param(
            {"port": -1}, "tool.harness.port", "an integer port from 0", "-1 (integer)", id="port-negative"
        ),
        pytest.param(
            {"port": True}, "tool.harness.port", "an integer port from 0", "True (boolean)", id="port-bool"
        ),
        pytest.param(
            {"startup_timeout": -1},
            "tool.harness.startup_timeout",
            "a positive number of seconds",
            "-1 (integer)",
            id="timeout-negative",
        ),
        pytest.param(
            {"startup_timeout": 0},
            "tool.harness.startup_timeout",
            "a positive number of seconds",
            "0 (integer)",
            id="timeout-zero",
        ),
        pytest.param(
            {"shutdown_timeout": True},
            "tool.harness.shutdown_timeout",
            "a positive number of seconds",
            "True (boolean)",
            id="timeout-bool",
        ),
        pytest.param(
            {"shutdown_timeout": "10"},
            "tool.harness.shutdown_timeout",
            "a positive number of seconds",
            "'10' (string)",
            id="timeout-str",
        ),
        pytest.param(
            {"health": "health"},
            "tool.harness.health",
            "a path starting with '/'",
            "'health' (string)",
            id="health-no-slash",
        ),
        pytest.param(
            {"health": "/api/health check"},
            "tool.harness.health",
            "a path starting with '/' without spaces",
            "'/api/health check' (string)",
            id="health-with-space",
        ),
        pytest.param(
            {"health": "/health\n"},
            "tool.harness.health",
            "a path starting with '/' without spaces",
            "'/health\\n' (string)",
            id="health-with-newline",
        ),
        pytest.param(
            {"port_env": "1PORT"},
            "tool.harness.port_env",
            "an environment variable name",
            "'1PORT' (string)",
            id="port-env-bad-name",
        ),
        pytest.param(
            {"env_file": 3}, "tool.harness.env_file", "a non-empty string", "3 (integer)", id="env-file-int"
        ),
        pytest.param(
            {"env": ["A=1"]},
            "tool.harness.env",
            "a table of NAME = value",
            "['A=1'] (array)",
            id="env-not-table",
        ),
        pytest.param(
            {"env": {"A": [1, 2]}},
            "tool.harness.env.A",
            "a string, number or boolean",
            "[1, 2] (array)",
            id="env-value-array",
        ),
        pytest.param(
            {"env": {"A": {"x": 1}}},
            "tool.harness.env.A",
            "a string, number or boolean",
            "{'x': 1} (table)",
            id="env-value-table",
        ),
        pytest.param(
            {"services": {"api": {"strict": "yes"}}},
            "tool.harness.services.api.strict",
            "true or false",
            "'yes' (string)",
            id="strict-str",
        ),
        pytest.param(
            {"services": {"api": {"env": {"A": [1]}}}},
            "tool.harness.services.api.env.A",
            "a string, number or boolean",
            "[1] (array)",
            id="service-env-array",
        ),
        pytest.param(
            {"profiles": {"fast": {"startup_timeout": 0}}},
            "tool.harness.profiles.fast.startup_timeout",
            "a positive number of seconds",
            "0 (integer)",
            id="profile-timeout-zero",
        ),
        pytest.param(
            {"profiles": {"fast": {"port": "80"}}},
            "tool.harness.profiles.fast.port",
            "an integer port from 0",
            "'80' (string)",
            id="profile-port-str",
        ),
        pytest.param(
            {"services": "api"},
            "tool.harness.services",
            "a table of [tool.harness.services.<name>] tables",
            "'api' (string)",
            id="services-not-table",
        ),
    ],
)
def test_wrong_type_or_value_is_one_problem_naming_key_expected_and_found(extra, key, expected, found):
    error = config_error({"command": ["app"], **extra})
    assert_single_problem(error, key, f"expected {expected}", f"found {found}")


@pytest.mark.parametrize(
    ("command", "found"),
    [
        pytest.param([], "[] (array)", id="empty-list"),
        pytest.param(["python", 1], "['python', 1] (array)", id="non-string-item"),
        pytest.param([""], "[''] (array)", id="empty-program"),
        pytest.param("   ", "'   ' (string)", id="blank-string"),
        pytest.param(42, "42 (integer)", id="integer"),
    ],
)
def test_bad_command_shape(command, found):
    error = config_error({"command": command})
    assert_single_problem(error, "tool.harness.command", "non-empty array of strings", f"found {found}")


def test_command_string_that_shlex_cannot_split():
    error = config_error({"command": "python -c 'unterminated"})
    assert_single_problem(error, "tool.harness.command", "cannot split the command string")


@pytest.mark.parametrize("name", ["1ST", "MY-VAR", "A B", "É"])
def test_invalid_env_var_name(name):
    error = config_error({"command": ["app"], "env": {name: "x"}})
    assert_single_problem(
        error, f"tool.harness.env.{name}", "expected an environment variable name", f"found {name!r}"
    )


def test_env_value_with_nul_character():
    error = config_error({"command": ["app"], "env": {"A": "a\x00b"}})
    assert_single_problem(error, "tool.harness.env.A", "NUL")


# -- placeholders -------------------------------------------------------------------------------------


def test_unknown_placeholder_in_env_value_lists_available_ones():
    error = config_error({"command": ["app"], "env": {"A": "{nope}"}})
    assert_single_problem(
        error, "tool.harness.env.A", "unknown placeholder {nope}", "available:", "{app.url}"
    )


def test_placeholder_for_an_undefined_service():
    error = config_error(
        {"command": ["app"], "env": {"A": "{services.missing.url}"}, "services": {"api": {}}}
    )
    assert_single_problem(
        error, "tool.harness.env.A", "unknown placeholder {services.missing.url}", "{services.api.url}"
    )


def test_bare_url_placeholder_is_only_valid_in_a_service_env():
    error = config_error({"command": ["app"], "env": {"A": "{url}"}, "services": {"api": {}}})
    assert_single_problem(error, "tool.harness.env.A", "unknown placeholder {url}")


def test_unknown_placeholder_in_service_env():
    error = config_error({"command": ["app"], "services": {"api": {"env": {"API": "{nope}/v1"}}}})
    assert_single_problem(error, "tool.harness.services.api.env.API", "unknown placeholder {nope}", "{url}")


def test_unknown_placeholder_in_profile_env():
    error = config_error({"command": ["app"], "profiles": {"p": {"env": {"A": "{app.prot}"}}}})
    assert_single_problem(error, "tool.harness.profiles.p.env.A", "unknown placeholder {app.prot}")


@pytest.mark.parametrize("command", [["app", "--port={prot}"], "app --port {prot}"])
def test_unknown_placeholder_in_command(command):
    error = config_error({"command": command})
    assert_single_problem(
        error, "tool.harness.command", "unknown placeholder {prot}", "available:", "{port}", "{python}"
    )


def test_command_takes_the_env_placeholders_too():
    """Issue 13: an app whose upstream is a command-line flag needed an ``sh -c`` wrapper."""
    command = [
        "app",
        "--upstream={services.api.url}/v1",
        "--search",
        "{services.search-2.host}:{services.search-2.port}",
        "--self={app.url}",
        "--ca={tls.ca_bundle}",
        "--data={root}/data",
        "--port={port}",
    ]
    config = parse_table(
        {
            "command": command,
            "services": {"api": {}, "search-2": {"tls": True}},
            "profiles": {"p": {"command": ["other", "{services.api.url}", "{app.port}"]}},
        },
        SOURCE,
    )
    assert config.app.command == tuple(command)
    assert config.app_settings("p").command == ("other", "{services.api.url}", "{app.port}")


@pytest.mark.parametrize(
    ("table", "fragments"),
    [
        (
            {"command": ["app", "--upstream={services.ap.url}"], "services": {"api": {}}},
            ["unknown placeholder {services.ap.url}", "did you mean {services.api.url}?"],
        ),
        # A service's own {url} exists only in its env table; in the command it needs the name.
        (
            {"command": ["app", "{url}"], "services": {"api": {}}},
            ["unknown placeholder {url}", "did you mean {app.url} or {services.api.url}?"],
        ),
        # {tls.*} only with a tls = true service, as in env values.
        ({"command": ["app", "{tls.ca_bundle}"]}, ["unknown placeholder {tls.ca_bundle}"]),
        (
            {"command": ["app"], "profiles": {"p": {"command": ["app", "{services.nope.url}"]}}},
            ["unknown placeholder {services.nope.url}"],
        ),
    ],
)
def test_unknown_env_placeholder_in_command(table, fragments):
    error = config_error(table)
    key = "tool.harness.profiles.p.command" if "profiles" in table else "tool.harness.command"
    assert_single_problem(error, key, *fragments)


def test_json_argument_in_command_is_literal():
    config = parse_table({"command": ["app", '--config={"retries": 2, "url": "{app.url}"}']}, SOURCE)
    assert config.app.command[1] == '--config={"retries": 2, "url": "{app.url}"}'


@pytest.mark.parametrize(
    ("value", "brace"),
    [("{app.url", "'{'"), ("app.url}", "'}'"), ("{a{b}", "'{'"), ('{"json": 1}}', "'}'")],
)
def test_unbalanced_braces_in_env_value(value, brace):
    error = config_error({"command": ["app"], "env": {"A": value}})
    assert_single_problem(error, "tool.harness.env.A", f"unbalanced {brace}")


def test_unbalanced_brace_in_command():
    error = config_error({"command": ["app", "--json={"]})
    assert_single_problem(error, "tool.harness.command", "unbalanced '{'")


def test_json_env_value_is_taken_as_written():
    """Issue 13: a JSON value failed with "unknown placeholder" and no hint."""
    value = '{"accountName": "x", "nested": {"retries": [1, 2]}, "empty": {}}'
    config = parse_table({"command": ["app"], "env": {"AZURE_CONFIG": value}}, SOURCE)
    assert config.app.env["AZURE_CONFIG"] == value
    assert templating.render(value, {}) == value


def test_json_env_value_with_a_placeholder_inside():
    config = parse_table(
        {
            "command": ["app"],
            "env": {"CONFIG": '{"endpoint": "{services.api.url}", "options": {"retries": 2}}'},
            "services": {"api": {"env": {"API_JSON": '{"url": "{url}"}'}}},
        },
        SOURCE,
    )
    env = config.app_settings().env
    values = {"services.api.url": "http://127.0.0.1:4000"}
    assert templating.render(str(env["CONFIG"]), values) == (
        '{"endpoint": "http://127.0.0.1:4000", "options": {"retries": 2}}'
    )
    assert templating.render(str(env["API_JSON"]), values) == '{"url": "http://127.0.0.1:4000"}'


def test_unknown_name_in_braces_suggests_the_name_and_shows_the_escape():
    error = config_error(
        {"command": ["app"], "env": {"A": "{services.serach.url}/{accountName}"}, "services": {"search": {}}}
    )
    assert_single_problem(
        error,
        "tool.harness.env.A",
        "unknown placeholder {services.serach.url}",
        "did you mean {services.search.url}?",
        "for literal braces double them: '{{services.serach.url}}/{accountName}'",
    )


def test_valid_placeholders_and_literal_braces_are_accepted():
    config = parse_table(
        {
            "command": ["{python}", "-m", "app", "--port", "{port}", "--env", "{env_file}"],
            "env": {"A": "{app.url}/cb", "B": "{services.api.url}", "C": "{root}", "J": '{{"k": 1}}'},
            "services": {"api": {"env": {"API": "{url}", "API_HP": "{host}:{port}"}}},
        },
        SOURCE,
    )
    assert config.app.env["J"] == '{{"k": 1}}'


# -- several problems at once -------------------------------------------------------------------------


def test_several_problems_are_reported_together_in_one_error():
    error = config_error(
        {
            "port": "8000",
            "health": "up",
            "startup_timout": 3,
            "env": {"A": "{nope}", "1B": "x"},
            "services": {"api": {"strict": 1}},
        }
    )
    keys = [
        "tool.harness.startup_timout",
        "tool.harness.command",
        "tool.harness.port",
        "tool.harness.health",
        "tool.harness.env.A",
        "tool.harness.env.1B",
        "tool.harness.services.api.strict",
    ]
    assert len(error.problems) == len(keys), error.problems
    message = str(error)
    assert f"({len(keys)} problems)" in message
    assert str(SOURCE) in message
    for key in keys:
        assert sum(problem.startswith(f"{key}:") for problem in error.problems) == 1, key
        assert f"  - {key}:" in message


# -- good paths ---------------------------------------------------------------------------------------


def test_defaults(tmp_path):
    source = tmp_path / "pyproject.toml"
    config = parse_table({"command": ["app"]}, source)
    app = config.app
    assert config.source == source
    assert app.profile == DEFAULT_PROFILE
    assert app.command == ("app",)
    assert app.cwd == tmp_path.resolve()
    assert app.health == "/"
    assert app.host == "127.0.0.1"
    assert app.port_env == "PORT"
    assert app.port == 0
    assert app.startup_timeout == 30.0
    assert app.shutdown_timeout == 10.0
    assert dict(app.env) == {}
    assert config.env_file == (tmp_path / "env" / "harness.env").resolve()
    assert config.log_dir == (tmp_path / ".harness" / "logs").resolve()
    assert dict(config.services) == {}
    assert dict(config.profiles) == {}
    assert config.app_settings() == app


def test_command_string_is_shlex_split():
    config = parse_table({"command": "python -m 'my app' --name=\"a b\" {port}"}, SOURCE)
    assert config.app.command == ("python", "-m", "my app", "--name=a b", "{port}")


def test_explicit_values_are_kept():
    config = parse_table(
        {
            "command": ["app"],
            "health": "/api/health",
            "host": "localhost",
            "port": 8123,
            "port_env": "APP_PORT",
            "startup_timeout": 2.5,
            "shutdown_timeout": 1,
        },
        SOURCE,
    )
    app = config.app
    assert (app.health, app.host, app.port, app.port_env) == ("/api/health", "localhost", 8123, "APP_PORT")
    assert app.startup_timeout == 2.5
    assert app.shutdown_timeout == 1.0
    assert isinstance(app.shutdown_timeout, float)


def test_port_env_false_means_no_port_variable():
    config = parse_table({"command": ["app", "--port", "{port}"], "port_env": False}, SOURCE)
    assert config.app.port_env is None


def test_an_empty_port_env_is_refused():
    error = config_error({"command": ["app", "{port}"], "port_env": ""})
    assert_single_problem(error, "tool.harness.port_env", "expected an environment variable name", "found ''")


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"command": ["app"], "port_env": False}, "tool.harness"),
        (
            {"command": ["app", "{port}"], "port_env": False, "profiles": {"p": {"command": ["other"]}}},
            "tool.harness.profiles.p",
        ),
        (
            {"command": ["app"], "port_env": False, "port": 8000, "profiles": {"p": {"port": 0}}},
            "tool.harness.profiles.p",
        ),
    ],
    ids=["base", "profile-command", "profile-port"],
)
def test_port_env_false_without_port_in_the_command_is_refused(table, key):
    error = config_error(table)
    assert_single_problem(error, key, "port_env = false, but the command has no {port}", "fix: put {port}")


@pytest.mark.parametrize(
    "table",
    [
        {"command": ["app", "--port={port}"], "port_env": False},
        {"command": ["app", "{app.port}"], "port_env": False},  # the same value as {port}
        {"command": ["app", "--listen={app.url}"], "port_env": False},  # holds the port
        {"command": ["app"], "port_env": False, "port": 8123},  # a fixed port the app knows itself
        {"command": ["app"], "port_env": False, "port": 8123, "profiles": {"p": {"startup_timeout": 5}}},
    ],
)
def test_port_env_false_with_a_way_to_the_port_is_accepted(table):
    assert parse_table(table, SOURCE).app.port_env is None


def test_relative_paths_are_resolved_against_the_config_directory(tmp_path):
    source = tmp_path / "project" / "pyproject.toml"
    config = parse_table(
        {"command": ["app"], "cwd": "src/app", "env_file": "conf/test.env", "log_dir": "var/../logs"}, source
    )
    project = (tmp_path / "project").resolve()
    assert config.app.cwd == project / "src" / "app"
    assert config.env_file == project / "conf" / "test.env"
    assert config.log_dir == project / "logs"


def test_absolute_cwd_is_kept(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    config = parse_table({"command": ["app"], "cwd": str(elsewhere)}, SOURCE)
    assert config.app.cwd == elsewhere.resolve()


def test_relative_paths_resolve_against_the_file_not_the_process_cwd(tmp_path, monkeypatch):
    project = write_pyproject(
        tmp_path / "project",
        """
        [tool.harness]
        command = ["app"]
        cwd = "srv"
        env_file = "e/app.env"
        """,
    )
    monkeypatch.chdir(tmp_path)
    config = load_config(project)
    root = (tmp_path / "project").resolve()
    assert config.root == root
    assert config.app.cwd == root / "srv"
    assert config.env_file == root / "e" / "app.env"


def test_env_values_are_coerced_to_strings_and_removals():
    config = parse_table(
        {
            "command": ["app"],
            "env": {"T": True, "I": 8, "F": 2.5, "S": "text", "EMPTY": "", "OFF": False, "ZERO": 0},
        },
        SOURCE,
    )
    assert dict(config.app.env) == {
        "T": "true",
        "I": "8",
        "F": "2.5",
        "S": "text",
        "EMPTY": "",  # "" sets the empty string (until issue 13 it removed the variable)
        "OFF": None,  # false removes it
        "ZERO": "0",
    }


@pytest.mark.parametrize("where", ["env", "services", "profiles"])
def test_empty_string_sets_and_false_removes_in_every_env_table(where):
    """Issue 13: ``""`` sets the empty string, ``false`` removes, alike in [tool.harness.env], a
    service's env and a profile's env."""
    values = {"EMPTY": "", "GONE": False}
    table: dict[str, object] = {"command": ["app"]}
    if where == "env":
        table["env"] = values
    elif where == "services":
        table["services"] = {"api": {"env": values}}
    else:
        table["profiles"] = {"p": {"env": values}}
    config = parse_table(table, SOURCE)
    env = config.app_settings("p" if where == "profiles" else None).env
    assert env["EMPTY"] == ""
    assert env["GONE"] is None


@pytest.mark.parametrize("value", [[], ["a"], {"x": 1}], ids=repr)
def test_env_value_of_another_type_says_false_removes(value):
    error = config_error({"command": ["app"], "env": {"A": value}})
    assert_single_problem(
        error, "tool.harness.env.A", "a string, number or boolean (false removes the variable)"
    )


def test_service_strict_defaults_to_true():
    config = parse_table(
        {"command": ["app"], "services": {"api": {}, "loose": {"strict": False}}},
        SOURCE,
    )
    assert config.services["api"].strict is True
    assert config.services["loose"].strict is False


def test_profile_overrides_env_and_app_keys(tmp_path):
    config = parse_table(
        {
            "command": ["app"],
            "env": {"A": "1", "B": "2", "C": "3"},
            "profiles": {
                "slow": {
                    "startup_timeout": 90,
                    "health": "/ready",
                    "cwd": "other",
                    "env": {"B": "two", "C": False, "D": 4},
                }
            },
        },
        tmp_path / "pyproject.toml",
    )
    slow = config.app_settings("slow")
    assert slow.profile == "slow"
    assert slow.startup_timeout == 90.0
    assert slow.health == "/ready"
    assert slow.cwd == tmp_path.resolve() / "other"
    assert dict(slow.env) == {"A": "1", "B": "two", "C": None, "D": "4"}
    assert slow.command == ("app",)  # not overridden: inherited from the base
    assert slow.shutdown_timeout == 10.0

    base = config.app_settings()
    assert base.profile == DEFAULT_PROFILE
    assert base.startup_timeout == 30.0
    assert base.health == "/"
    assert dict(base.env) == {"A": "1", "B": "2", "C": "3"}
    assert config.app_settings(DEFAULT_PROFILE) == base


def test_unknown_profile_lists_known_profiles():
    config = parse_table({"command": ["app"], "profiles": {"slow": {}, "fast": {}}}, SOURCE)
    with pytest.raises(ConfigError) as info:
        config.app_settings("unknown")
    message = str(info.value)
    assert len(info.value.problems) == 1
    assert str(SOURCE) in message
    assert "'unknown'" in message
    assert "known profiles: fast, slow" in message
    assert "[tool.harness.profiles.unknown]" in message


def test_unknown_profile_when_none_are_defined():
    config = parse_table({"command": ["app"]}, SOURCE)
    with pytest.raises(ConfigError, match="none defined"):
        config.app_settings("ci")


def test_a_profile_cannot_be_called_default():
    error = config_error({"command": ["app"], "profiles": {DEFAULT_PROFILE: {}}})
    assert_single_problem(error, f"tool.harness.profiles.{DEFAULT_PROFILE}", "name other than")


def test_service_placeholders_are_rebound_to_the_service_name_in_app_settings():
    config = parse_table(
        {
            "command": ["app"],
            "env": {"BASE": "x"},
            "services": {
                "api": {"env": {"API_URL": "{url}/v1", "API_ADDR": "{host}:{port}", "LIT": "{{url}}"}},
                "search": {"env": {"SEARCH": "{ url }", "PEER": "{services.api.url}"}},
            },
        },
        SOURCE,
    )
    env = config.app_settings().env
    assert env["BASE"] == "x"
    assert env["API_URL"] == "{services.api.url}/v1"
    assert env["API_ADDR"] == "{services.api.host}:{services.api.port}"
    assert env["LIT"] == "{{url}}"
    assert env["SEARCH"] == "{services.search.url}"
    assert env["PEER"] == "{services.api.url}"
    # The service's own table keeps its template as written.
    assert config.services["api"].env["API_URL"] == "{url}/v1"


def test_profile_can_remove_or_replace_a_service_variable():
    config = parse_table(
        {
            "command": ["app"],
            "services": {"search": {"env": {"SEARCH_URL": "{url}", "SEARCH_KEY": "k"}}},
            "profiles": {
                "without_search": {"env": {"SEARCH_URL": False, "SEARCH_KEY": "other"}},
                "empty_search": {"env": {"SEARCH_URL": ""}},
            },
        },
        SOURCE,
    )
    env = config.app_settings("without_search").env
    assert env["SEARCH_URL"] is None
    assert env["SEARCH_KEY"] == "other"
    assert config.app_settings("empty_search").env["SEARCH_URL"] == ""


# -- files --------------------------------------------------------------------------------------------


def test_load_config_reads_a_real_file(tmp_path):
    path = write_pyproject(
        tmp_path,
        """
        [project]
        name = "demo"

        [tool.harness]
        command = "python -m demo"
        health = "/health"
        startup_timeout = 5

        [tool.harness.env]
        DEBUG = true

        [tool.harness.services.api]
        env = { API_URL = "{url}" }

        [tool.harness.profiles.ci]
        startup_timeout = 60
        """,
    )
    config = load_config(path)
    assert config.source == path.resolve()
    assert config.app.command == ("python", "-m", "demo")
    assert config.app.health == "/health"
    assert config.app.env == {"DEBUG": "true"}
    assert config.app_settings("ci").startup_timeout == 60.0
    assert config.app_settings().env["API_URL"] == "{services.api.url}"
    # A directory holding the pyproject.toml works too.
    assert load_config(tmp_path) == config


def test_invalid_toml(tmp_path):
    path = write_pyproject(tmp_path, '[tool.harness\ncommand = ["app"]\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert len(info.value.problems) == 1
    message = str(info.value)
    assert str(path.resolve()) in message
    assert "not valid TOML" in message
    assert "line 1" in message  # tomllib's position helps to find the mistake


def test_file_without_tool_harness_table(tmp_path):
    path = write_pyproject(tmp_path, '[project]\nname = "demo"\n\n[tool.ruff]\nline-length = 100\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert len(info.value.problems) == 1
    message = str(info.value)
    assert str(path.resolve()) in message
    assert "no [tool.harness] table" in message


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere" / "pyproject.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert "does not exist" in str(info.value)


def test_validation_error_from_a_file_names_the_file(tmp_path):
    path = write_pyproject(tmp_path, '[tool.harness]\ncommand = ["app"]\nport = "8000"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert_single_problem(info.value, "tool.harness.port", "'8000' (string)", source=path.resolve())


def test_find_config_walks_up_to_the_nearest_pyproject_with_a_harness_table(tmp_path):
    top = write_pyproject(tmp_path / "repo", '[tool.harness]\ncommand = ["app"]\n')
    write_pyproject(tmp_path / "repo" / "pkg", '[project]\nname = "pkg"\n\n[tool.other]\nx = 1\n')
    start = tmp_path / "repo" / "pkg" / "src" / "deep"
    start.mkdir(parents=True)

    assert find_config(start) == top.resolve()
    assert load_config(start=start).source == top.resolve()


def test_find_config_prefers_the_nearest_harness_table(tmp_path):
    write_pyproject(tmp_path / "repo", '[tool.harness]\ncommand = ["outer"]\n')
    inner = write_pyproject(tmp_path / "repo" / "inner", '[tool.harness]\ncommand = ["inner"]\n')
    start = tmp_path / "repo" / "inner" / "tests"
    start.mkdir()
    assert find_config(start) == inner.resolve()


def test_find_config_from_a_file_starts_at_its_directory(tmp_path):
    top = write_pyproject(tmp_path, '[tool.harness]\ncommand = ["app"]\n')
    module = tmp_path / "tests" / "test_x.py"
    module.parent.mkdir()
    module.write_text("")
    assert find_config(module) == top.resolve()


def test_find_config_refuses_to_skip_a_broken_pyproject_on_the_way_up(tmp_path):
    write_pyproject(tmp_path / "repo", '[tool.harness]\ncommand = ["outer"]\n')
    broken = write_pyproject(tmp_path / "repo" / "inner", '[tool.harness\ncommand = ["inner"]\n')
    with pytest.raises(ConfigError) as caught:
        find_config(tmp_path / "repo" / "inner")
    message = str(caught.value)
    assert str(broken) in message
    assert "TOML" in message


def test_find_config_reports_when_none_is_found(tmp_path):
    for directory in tmp_path.resolve().parents:
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and "[tool.harness]" in candidate.read_text(errors="replace"):
            pytest.skip(f"{candidate} above the temporary directory has a [tool.harness] table")
    without = write_pyproject(tmp_path / "proj", '[project]\nname = "demo"\n')
    start = tmp_path / "proj" / "sub"
    start.mkdir()

    with pytest.raises(ConfigError) as info:
        find_config(start)
    assert len(info.value.problems) == 1
    message = str(info.value)
    assert "no [tool.harness] table in any pyproject.toml" in message
    assert str(start.resolve()) in message
    assert f"checked: {without.resolve()}" in message
    assert "--harness-config" in message
    with pytest.raises(ConfigError, match=r"no \[tool\.harness\] table"):
        load_config(start=start)


@pytest.mark.parametrize(
    ("keys", "fragment"),
    [
        ({"env_file": ".harness/.gitignore"}, "in harness's own state directory"),
        ({"env_file": ".harness/instances/default.lock"}, "in harness's own state directory"),
        ({"env_file": ".harness/logs/app.env"}, "in harness's own state directory"),
        ({"log_dir": ".harness"}, "in harness's own state directory"),
        ({"log_dir": ".harness/runs"}, "in harness's own state directory"),
        ({"log_dir": ".harness/tls"}, "in harness's own state directory"),
        ({"log_dir": "logs", "env_file": "logs/app.env"}, "lies in log_dir"),
        ({"env_file": "nosuchdir/"}, "names a directory, not a file"),
        ({"env_file": "env/."}, "names a directory, not a file"),
        ({"env_file": "env/.."}, "names a directory, not a file"),
    ],
)
def test_paths_that_would_collide_with_harness_s_own_files_are_refused_at_load(keys, fragment):
    error = config_error({"command": ["app"], **keys})
    assert len(error.problems) == 1, error.problems
    assert fragment in error.problems[0]
    assert "fix:" in error.problems[0]


def test_a_log_folder_of_its_own_in_the_state_directory_is_fine():
    config = parse_table({"command": ["app"], "log_dir": ".harness/mylogs"}, SOURCE)
    assert config.log_dir == SOURCE.parent / ".harness" / "mylogs"
