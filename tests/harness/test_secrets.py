"""Secret masking (harness.secrets): the word rule and the value rules, both ways, and that every
front uses them (``harness env``, ``harness up``, a start-up error, the pytest failure report)."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import pytest

from harness.cli import _LogFollower, main
from harness.errors import AppExitedError, HarnessError
from harness.mocks.journal import JournalEntry
from harness.mocks.verify import Call, header_difference, json_differences
from harness.orchestrator import Harness
from harness.secrets import (
    MASK,
    LogMasker,
    is_secret,
    is_secret_name,
    mask_argv,
    mask_command,
    mask_env,
    mask_header,
    mask_headers,
    mask_lines,
    mask_text,
    secret_values,
)
from tests.support.projects import project_files, run_pytest, tiny_project

JWT_VALUE = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXBhcnQ"
PEM_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1y2\nZm9vYmFyYmF6cXV4\n-----END RSA PRIVATE KEY-----"
)
CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----"

# -- by name ---------------------------------------------------------------------------------------------

SECRET_NAMES = [
    "API_KEY",
    "OPENAI_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "DB_PASSWORD",
    "DB_PASS",
    "DB_PASSWD",
    "MYSQL_PWD",
    "ACCESS_TOKEN",
    "GITHUB_TOKEN",
    "CLIENT_SECRET",
    "SESSION_COOKIE",
    "SIGNING_SALT",
    "JWT",
    "PGPASS",  # a known whole name
    "PGPASSWORD",  # "password" glued to a prefix
    "AUTH",
    "BASIC_AUTH",
    "SESSION",
    "STORAGE_SAS",
    "URL_SIG",
    "WEBHOOK_SIGNATURE",
    "GOOGLE_CREDENTIALS",
    "SSH_PRIVATE",
    "SSH_PASSPHRASE",
    "AWS_SECRET_ACCESS_KEY",
    "SECRET_KEY_BASE",  # trailing qualifier dropped
    "API_KEY_2",
    "KEY2",
    "DATABASE_CONNECTION_STRING",
    "accountKey",  # camelCase
    "clientSecret",
    "APIKey",
    "x-api-key",
    "Ocp-Apim-Subscription-Key",
    "Authorization",
    "Set-Cookie",
    "--db-password",
    "-Ddb.password",
    "sig",
    "AccountKey",
    "SharedAccessKey",
    "Password",
    "Pwd",
]

VISIBLE_NAMES = [
    "USE_KEY_VAULT",
    "KEY_VAULT_NAME",
    "TIKTOKEN_CACHE_DIR",
    "AZURE_AUTH_TYPE",
    "AZURE_OPENAI_MAX_TOKENS",
    "MAX_TOKENS",
    "TOKENS_PER_MINUTE",
    "maxTokens",
    "AUTH_HEADER",  # its value is judged by value: "Bearer ..." is masked
    "TOKEN_URL",
    "DB_PASSWORD_FILE",
    "JWT_PUBLIC_KEY",
    "JWT_ALGORITHM",
    "SESSION_TIMEOUT",
    "SECRET_NAME",
    "PARTITION_KEY",
    "AWS_ACCESS_KEY_ID",
    "BYPASS_CACHE",
    "KEYBOARD_LAYOUT",
    "OAUTH_ISSUER",
    "LOG_LEVEL",
    "sv",
    "se",
    "User ID",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_a_secret_name_is_masked(name):
    assert is_secret_name(name)
    assert mask_env({name: "hunter2"}) == {name: MASK}


@pytest.mark.parametrize("name", VISIBLE_NAMES)
def test_a_harmless_name_stays_visible(name):
    assert not is_secret_name(name)
    assert mask_env({name: "hunter2"}) == {name: "hunter2"}


# -- by value, in an environment -------------------------------------------------------------------------

SAS_URL = "https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&se=2030-01-01&sp=r&sig=abc%2Bdef%3D"
ENV_CASES = [
    # (name, value, shown)
    ("PGPASS", "hunter2", MASK),
    ("DISABLE_AUTH", "false", "false"),  # a flag says nothing secret
    ("USE_KEY_VAULT", "true", "true"),
    ("API_KEY", "", ""),
    ("PWD", "/home/me/project", "/home/me/project"),  # the shell's directory, not a password
    ("AZURE_AUTH_TYPE", "api_key", "api_key"),
    ("AZURE_OPENAI_MAX_TOKENS", "800", "800"),
    ("TIKTOKEN_CACHE_DIR", "/tmp/tiktoken", "/tmp/tiktoken"),
    ("AUTH_HEADER", "Bearer abc123", f"Bearer {MASK}"),
    ("AUTHORIZATION", "Basic dXNlcjpwYXNz", f"Basic {MASK}"),
    ("SAS_URL", SAS_URL, SAS_URL.replace("sig=abc%2Bdef%3D", f"sig={MASK}")),
    (
        "STORAGE",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=abc+/def==;EndpointSuffix=core.windows.net",
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={MASK};EndpointSuffix=core.windows.net",
    ),
    (
        "SERVICE_BUS",
        "Endpoint=sb://bus.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=Zm9vYmFy=",
        f"Endpoint=sb://bus.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey={MASK}",
    ),
    ("DATABASE_URL", "postgres://app:pa55@db:5432/app", f"postgres://app:{MASK}@db:5432/app"),
    ("CACHE_URL", "redis://:pa55@127.0.0.1:6379/0", f"redis://:{MASK}@127.0.0.1:6379/0"),
    ("ENDPOINT", "http://127.0.0.1:4000/v1", "http://127.0.0.1:4000/v1"),
    (
        "SQL",
        "Server=db;Database=app;User Id=me;Password=hunter2;",
        f"Server=db;Database=app;User Id=me;Password={MASK};",
    ),
    ("ODBC", "DRIVER={x};SERVER=db;UID=me;PWD=hunter2", f"DRIVER={{x}};SERVER=db;UID=me;PWD={MASK}"),
    ("DSN", "host=db user=app password=s3cr3t dbname=shop", f"host=db user=app password={MASK} dbname=shop"),
    ("ID", JWT_VALUE, MASK),
    (
        "STORAGE_CONFIG",
        json.dumps({"accountName": "acct", "accountKey": "abc=="}),
        json.dumps({"accountName": "acct", "accountKey": MASK}),
    ),
    ("SIGNER", PEM_KEY, f"-----BEGIN RSA PRIVATE KEY-----{MASK}-----END RSA PRIVATE KEY-----"),
    ("CA", CERTIFICATE, CERTIFICATE),
    ("LOG_LEVEL", "debug", "debug"),
]


@pytest.mark.parametrize(("name", "value", "shown"), ENV_CASES)
def test_env_values_are_shown_with_only_their_secret_part_masked(name, value, shown):
    assert mask_env({name: value}) == {name: shown}
    assert is_secret(name, value) is (shown != value)


# -- by value, in text -----------------------------------------------------------------------------------

TEXT_CASES = [
    # (text, shown)
    (
        "GET /v1/chat?api-version=2024-06-01&api-key=k3y -> 200",
        f"GET /v1/chat?api-version=2024-06-01&api-key={MASK} -> 200",
    ),
    ("URL=https://x.example/f?sig=abc", f"URL=https://x.example/f?sig={MASK}"),
    ("connecting with password=hunter2 as app", f"connecting with password={MASK} as app"),
    ("DB_PASSWORD=hunter2 LOG_LEVEL=debug", f"DB_PASSWORD={MASK} LOG_LEVEL=debug"),
    ("max_tokens=800 temperature=0.2", "max_tokens=800 temperature=0.2"),
    ("options = { key = value }", "options = { key = value }"),  # a hint's placeholder
    ('fix: indexes = { docs = { key = "id" } }', 'fix: indexes = { docs = { key = "id" } }'),  # TOML
    (f"Authorization: Bearer {JWT_VALUE}", f"Authorization: Bearer {MASK}"),
    ("Authorization: Bearer abc.def-123", f"Authorization: Bearer {MASK}"),
    ("api-key: k3y-value", f"api-key: {MASK}"),
    ("sent header Bearer t0k3n to upstream", f"sent header Bearer {MASK} to upstream"),
    ("missing Bearer token; see Basic usage", "missing Bearer token; see Basic usage"),
    ("Basic Authentication failed", "Basic Authentication failed"),
    ("login with Basic dXNlcjpwYXNz", f"login with Basic {MASK}"),
    (f"token issued: {JWT_VALUE}.", f"token issued: {MASK}."),
    ('body: {"user": "ada", "password": "s3cr3t"}', f'body: {{"user": "ada", "password": "{MASK}"}}'),
    ('"{\\"accountKey\\": \\"abc\\"}"', f'"{{\\"accountKey\\": \\"{MASK}\\"}}"'),
    (
        "headers={'api-key': 'right', 'x-request-id': '7'}",
        f"headers={{'api-key': '{MASK}', 'x-request-id': '7'}}",
    ),
    (
        '{"max_tokens": "800", "sessionCookie": "c00kie"}',
        f'{{"max_tokens": "800", "sessionCookie": "{MASK}"}}',
    ),
    ("app --db-password=hunter2 --port 8080", f"app --db-password={MASK} --port 8080"),
    ("app --token abc --max-tokens 100 -p 5", f"app --token {MASK} --max-tokens 100 -p 5"),
    ("app '--password=two words' --verbose", f"app '--password={MASK}' --verbose"),
    ("java -Ddb.password=hunter2 -jar app.jar", f"java -Ddb.password={MASK} -jar app.jar"),
    (
        f"key: {PEM_KEY}\nnext line",
        f"key: -----BEGIN RSA PRIVATE KEY-----{MASK}-----END RSA PRIVATE KEY-----\nnext line",
    ),
    (
        '{"pem": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n"}',
        f'{{"pem": "-----BEGIN PRIVATE KEY-----{MASK}-----END PRIVATE KEY-----\\n"}}',
    ),
    # a log tail that starts inside a key block
    (
        "MIIEowIBAAKCAQEAx1y2\nZm9vYmFyYmF6cXV4cXV4\n-----END PRIVATE KEY-----",
        f"{MASK}\n-----END PRIVATE KEY-----",
    ),
    (CERTIFICATE, CERTIFICATE),
    ("PWD=/home/me OLDPWD=/tmp", "PWD=/home/me OLDPWD=/tmp"),
    (
        "see http://127.0.0.1:8080/v1 and user@example.com",
        "see http://127.0.0.1:8080/v1 and user@example.com",
    ),
    ("tiny_app GET /health -> 200", "tiny_app GET /health -> 200"),
    ('{"Authorization": "Bearer abc123"}', f'{{"Authorization": "Bearer {MASK}"}}'),  # scheme kept
]


@pytest.mark.parametrize(("text", "shown"), TEXT_CASES)
def test_text_has_only_its_secret_parts_masked(text, shown):
    assert mask_text(text) == shown
    assert mask_text(shown) == shown  # idempotent: masking a report twice changes nothing


# -- argv, headers, lines, a growing log -----------------------------------------------------------------


def test_an_argv_has_its_secret_option_values_masked():
    argv = [
        "/usr/bin/app",
        "--db-password=hunter2",
        "--token",
        "t0k",
        "-token",
        "go-style",
        "--verbose",
        "-p",
        "5",
        "--max-tokens",
        "100",
        "--auth",
        "false",
        "postgres://app:pa55@db/app",
        "--password=two words",
    ]
    assert mask_argv(argv) == [
        "/usr/bin/app",
        f"--db-password={MASK}",
        "--token",
        MASK,
        "-token",
        MASK,
        "--verbose",
        "-p",
        "5",  # one-letter options are ambiguous (-p is a port as often as a password)
        "--max-tokens",
        "100",
        "--auth",
        "false",
        f"postgres://app:{MASK}@db/app",
        f"--password={MASK}",
    ]
    assert mask_command(["app", "--secret", "two words"]) == f"app --secret {MASK}"


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("Authorization", "Bearer abc", f"Bearer {MASK}"),
        ("Proxy-Authorization", "Basic dXNlcjpwYXNz", f"Basic {MASK}"),
        ("api-key", "k3y", MASK),
        ("X-API-Key", "k3y", MASK),
        ("Ocp-Apim-Subscription-Key", "k3y", MASK),
        ("Cookie", "session=abc; theme=dark", MASK),
        ("Set-Cookie", "session=abc; HttpOnly", MASK),
        ("Content-Type", "application/json", "application/json"),
        ("X-Request-Id", "r-1", "r-1"),
        ("Referer", "https://app.example/cb?sig=abc", f"https://app.example/cb?sig={MASK}"),
    ],
)
def test_headers_are_masked_by_name_and_value(name, value, shown):
    assert mask_header(name, value) == shown
    assert mask_headers({name: value}) == [(name, shown)]


def test_lines_are_masked_as_one_text_so_a_key_block_is_recognised():
    lines = ["starting", *PEM_KEY.splitlines(), "listening"]
    shown = mask_lines(lines)
    assert shown == [
        "starting",
        f"-----BEGIN RSA PRIVATE KEY-----{MASK}-----END RSA PRIVATE KEY-----",
        "listening",
    ]
    assert mask_lines([]) == []


def test_a_growing_log_is_masked_even_when_a_secret_is_split_between_reads():
    masker = LogMasker()
    shown = masker.feed("ready\nconnecting with pass")
    assert shown == "ready\n"  # the unfinished line waits
    shown += masker.feed("word=hunter2\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n")
    assert "hunter2" not in shown
    assert "MIIEvQIBADAN" not in shown  # the key block waits for its end
    shown += masker.feed("Zm9vYmFy\n-----END PRIVATE KEY-----\ndone")
    shown += masker.flush()
    assert shown == (
        f"ready\nconnecting with password={MASK}\n"
        f"-----BEGIN PRIVATE KEY-----{MASK}-----END PRIVATE KEY-----\ndone"
    )


def test_a_line_that_never_ends_is_shown_once_it_is_long():
    masker = LogMasker(hold=100)
    assert masker.feed("x" * 50) == ""
    assert masker.feed("y" * 60) == "x" * 50 + "y" * 60


def test_masking_a_large_log_takes_linear_time():
    """Each input below took seconds per 100 KB with an earlier, quadratic pattern (and minutes at
    this size); linear, all of them take well under a second. The bound is generous for a busy CI."""
    log = '2024-01-01 INFO GET /x?a=1&key=abc Bearer abcdef123 {"password": "x"} a.b.c=d\n' * 3000
    adversarial = [
        "a." * 200_000,
        "a-" * 200_000,
        "a=" * 200_000,
        "'key=" * 80_000,
        "QUJDREVGR0hJSktMTU5PUA==\n" * 20_000 + "PRIVATE KEY",
    ]
    started = time.perf_counter()
    for text in [log, *adversarial]:
        mask_text(text)
    assert time.perf_counter() - started < 10


# -- every front uses it ---------------------------------------------------------------------------------

#: The variables of the issue: masked before, or shown although harmless.
ISSUE_ENV = {
    "PGPASS": "pg-hunter2",
    "JWT": JWT_VALUE,
    "SESSION_COOKIE": "cookie-hunter2",
    "SIGNING_SALT": "salt-hunter2",
    # {{ }}: the configuration's escape for a literal brace (its values are templates)
    "STORAGE_CONFIG": '{{"accountName": "acct", "accountKey": "key-hunter2"}}',
    "SAS_URL": "https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=sig-hunter2",
    "USE_KEY_VAULT": "false",
    "TIKTOKEN_CACHE_DIR": "/tmp/tiktoken-cache",
    "AZURE_AUTH_TYPE": "api_key",
    "AZURE_OPENAI_MAX_TOKENS": "800",
}
ISSUE_SHOWN = [
    f"PGPASS={MASK}",
    f"JWT={MASK}",
    f"SESSION_COOKIE={MASK}",
    f"SIGNING_SALT={MASK}",
    f'STORAGE_CONFIG={{"accountName": "acct", "accountKey": "{MASK}"}}',
    f"SAS_URL=https://acct.blob.core.windows.net/c?sv=2022-11-02&sig={MASK}",
    "USE_KEY_VAULT=false",
    "TIKTOKEN_CACHE_DIR=/tmp/tiktoken-cache",
    "AZURE_AUTH_TYPE=api_key",
    "AZURE_OPENAI_MAX_TOKENS=800",
]


def _leaks(text: str) -> list[str]:
    return [word for word in ("hunter2", JWT_VALUE) if word in text]


def test_harness_env_masks_the_issues_secrets_and_shows_the_harmless(tmp_path):
    pyproject = tiny_project(tmp_path, env=ISSUE_ENV)
    out = io.StringIO()
    assert main(["--config", str(pyproject), "env"], out=out) == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    assert [line for line in ISSUE_SHOWN if line not in lines] == []
    assert _leaks(out.getvalue()) == []


#: An app that prints secrets and exits before it is ready, started with secrets on its command line.
LEAKY_START = [
    sys.executable,
    "-c",
    "import sys; print('connecting with password=log-hunter2 via Bearer b3arer-hunter2'); sys.exit(3)",
    "--db-password=argv-hunter2",
    "--token",
    "token-hunter2",
    "--port",
    "8080",
]


def test_a_start_up_error_masks_its_command_line_and_log_tail(tmp_path):
    pyproject = tiny_project(tmp_path, command=json.dumps(LEAKY_START))
    with pytest.raises(AppExitedError) as raised, Harness.from_pyproject(pyproject):
        pytest.fail("must not start")
    message = str(raised.value)
    assert f"--db-password={MASK} --token {MASK} --port 8080" in message
    assert f"connecting with password={MASK} via Bearer {MASK}" in message
    assert _leaks(message) == []
    assert _leaks(repr(raised.value)) == []  # the arguments are masked, not only str()
    log = (tmp_path / ".harness" / "logs").rglob("*.log")
    assert any("log-hunter2" in path.read_text() for path in log)  # the log on disk is untouched


def test_every_harness_error_is_masked_when_made():
    error = HarnessError("port in use by pid 7 (server --api-key=hunter2)")
    assert str(error) == f"port in use by pid 7 (server --api-key={MASK})"


def test_harness_check_and_up_mask_the_command_line(tmp_path):
    pyproject = tiny_project(tmp_path, command=json.dumps(LEAKY_START))
    out = io.StringIO()
    main(["--config", str(pyproject), "check"], out=out)
    assert f"--db-password={MASK} --token {MASK} --port 8080" in out.getvalue()
    out = io.StringIO()
    assert main(["--config", str(pyproject), "up"], out=out) == 1
    assert "exited before it was ready: exit code 3" in out.getvalue()
    assert _leaks(out.getvalue()) == []


class _ExitedApp:
    """What ``_LogFollower`` reads of an app: its log, and that it has exited."""

    def __init__(self, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = log_path
        self.log_start = 0
        self.exit_code = 0
        self.env = env or {}

    def is_alive(self) -> bool:
        return False


def test_harness_up_follows_the_log_masked(tmp_path):
    log = tmp_path / "app.log"
    log.write_text(
        f"listening\nAuthorization: Bearer {JWT_VALUE}\n{PEM_KEY}\nlast line without newline password=x"
    )
    out = io.StringIO()
    assert _LogFollower(_ExitedApp(log), out).follow() == 1  # type: ignore[arg-type]
    shown = out.getvalue()
    key = f"-----BEGIN RSA PRIVATE KEY-----{MASK}-----END RSA PRIVATE KEY-----"
    assert shown.startswith(
        f"listening\nAuthorization: Bearer {MASK}\n{key}\nlast line without newline password={MASK}"
    )
    assert JWT_VALUE not in shown
    assert "MIIEow" not in shown


def test_harness_up_masks_the_app_s_own_secret_values_in_the_log_it_follows(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("boot with key sk-live-987654 done\n")
    out = io.StringIO()
    app = _ExitedApp(log, env={"WEATHER_API_KEY": "sk-live-987654"})
    assert _LogFollower(app, out).follow() == 1  # type: ignore[arg-type]
    assert out.getvalue().startswith(f"boot with key {MASK} done\n")


def test_the_failure_report_masks_env_log_and_requests(tmp_path):
    tiny_project(
        tmp_path,
        env=ISSUE_ENV,
        extra='[tool.harness.services.up]\nenv = { UPSTREAM = "{url}" }\n',
        files=project_files("secrets/test_leaky.py"),
    )

    result = run_pytest(tmp_path, "-q", "--tb=short")  # short: the test's own source is not quoted

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "fails on purpose" in output
    env_section = output.split("secrets masked")[1]
    assert [line for line in ISSUE_SHOWN if line not in env_section.splitlines()] == []
    assert f"GET /env?name=PGPASS&sig={MASK} -> 200" in output  # the app's log, quoted
    assert f"/thing?api-version=1&sig={MASK}" in output  # the request, described
    assert f'"password": "{MASK}"' in output
    assert f"differs in header api-key: expected '{MASK}', found '{MASK}'" in output
    assert _leaks(output) == [], output


# -- request verification --------------------------------------------------------------------------------


def test_json_differences_mask_the_values_of_secret_keys():
    expected = {"user": "ada", "password": "a", "auth": {"token": "t"}, "apiKey": "k"}
    actual = {"user": "bob", "password": "bb", "auth": {"token": "u"}, "sessionCookie": "c"}
    assert json_differences(expected, actual, partial=False) == [
        "user: expected 'ada', found 'bob'",
        f"password: expected '{MASK}', found '{MASK}' (masked; they differ: 1 and 2 characters)",
        f"auth.token: expected '{MASK}', found '{MASK}' (masked; they differ: 1 and 1 characters)",
        f"apiKey: expected '{MASK}', missing",
        f"sessionCookie: not expected, found '{MASK}'",
    ]


def test_an_expected_call_describes_its_secret_headers_masked():
    call = Call("/chat", "POST", headers={"Authorization": "Bearer t0k", "X-Request-Id": "7"})
    assert call.describe() == f"POST /chat  headers={{'Authorization': 'Bearer {MASK}', 'X-Request-Id': '7'}}"
    assert header_difference("Authorization", "Bearer a", "Basic b") == (
        f"header Authorization: expected 'Bearer {MASK}', found 'Basic {MASK}'"
    )
    assert header_difference("X-Request-Id", "7", None) == "header X-Request-Id: expected '7', missing"


def test_a_cut_body_is_masked_before_the_cut():
    body = json.dumps({"padding": "x" * 280, "password": "hunter2-" * 10}).encode()
    entry = JournalEntry("POST", "/login", "sig=abc", (), body, 500, False, None, 0.0, 0.001)
    described = entry.describe()
    assert "hunter2" not in described  # the cut falls inside the value: it is masked all the same
    assert f"POST /login?sig={MASK} -> 500" in described
    assert f"... ({len(body)} bytes)" in described


def test_secret_values_are_those_of_secret_names_long_enough_to_hunt_down():
    env = {
        "API_KEY": "sk-live-123456",
        "DB_PASSWORD": "hunter2hunter2",
        "SHORT_TOKEN": "abc",  # too short: masking every "abc" would say more than it hides
        "USE_KEY_VAULT": "true-really-long",  # not a secret name
        "FLAG_SECRET": "false",  # a flag
    }
    assert set(secret_values(env)) == {"sk-live-123456", "hunter2hunter2"}
    assert mask_text("the key sk-live-123456 and hunter2hunter2", secret_values(env)) == (
        "the key ******** and ********"
    )
    assert mask_lines(["a sk-live-123456", "b"], secret_values(env)) == ["a ********", "b"]
    masker = LogMasker(known=secret_values(env))
    assert masker.feed("x sk-live-1234") == ""  # waits for the end of the line
    assert masker.feed("56 y\n") == "x ******** y\n"
