"""The examples in README.md and docs/ are files under tests/examples that this suite runs.

Each example is a project of its own (its pyproject.toml with [tool.harness], its app, its tests),
copied to a temporary folder and run there as a user would run it. A fenced block in the README or
the docs that shows an example follows a comment naming its file (``<!-- example:
tests/examples/quickstart/pyproject.toml -->``, optionally ``#L3-L9`` for some lines of it), and
must equal that file: the docs cannot drift from what runs. The files also pass ``mypy --strict``
(``python3 run_tests.py lint``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from tests.support.processes import project_processes
from tests.support.projects import clean_env, project_file, run_pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "examples"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
#: ``<!-- example: PATH -->`` or ``<!-- example: PATH#L3-L9 -->``, then a fenced block.
_SHOWN = re.compile(
    r"<!-- example: (?P<path>[^#\s]+)(?:#L(?P<first>\d+)-L(?P<last>\d+))? -->\s*\n"
    r"```[a-z]*\n(?P<code>.*?)\n```",
    re.DOTALL,
)


def shown_examples() -> list[tuple[str, str, str, str | None, str | None]]:
    found = []
    for document in DOCUMENTS:
        for match in _SHOWN.finditer(document.read_text(encoding="utf-8")):
            shown = (document.relative_to(ROOT).as_posix(), match["path"], match["code"])
            found.append((*shown, match["first"], match["last"]))
    return found


def test_the_docs_show_examples() -> None:
    shown = {(document, path) for document, path, *_ in shown_examples()}
    assert ("README.md", "tests/examples/quickstart/pyproject.toml") in shown
    assert ("README.md", "tests/examples/quickstart/tests/functional/test_checkout.py") in shown
    assert ("docs/python-api.md", "tests/examples/quickstart/tests/unittest_checkout.py") in shown


@pytest.mark.parametrize(
    ("document", "path", "code", "first", "last"),
    shown_examples(),
    ids=[f"{document}:{path}" for document, path, *_ in shown_examples()],
)
def test_each_example_in_the_docs_is_the_file_that_runs(
    document: str, path: str, code: str, first: str | None, last: str | None
) -> None:
    lines = (ROOT / path).read_text(encoding="utf-8").rstrip("\n").split("\n")
    if first is not None and last is not None:
        lines = lines[int(first) - 1 : int(last)]
    assert code == "\n".join(lines), f"{document} shows {path} otherwise than the file is"


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    project = tmp_path / "shop-project"
    shutil.copytree(EXAMPLES / "quickstart", project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


def test_the_quickstart_runs_as_the_readme_says(quickstart: Path) -> None:
    started = time.time()

    result = run_pytest(quickstart, "tests/functional", "-p", "no:flask", timeout=120)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in output
    assert not project_processes(quickstart, started)
    assert not (quickstart / "env" / "functional.env").exists()  # removed, as the README says


def run_unittest(project: Path, module: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "unittest", "-v", module],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_unittest_example_runs_without_pytest_with_the_same_verdict(quickstart: Path) -> None:
    started = time.time()
    (quickstart / "tests" / "__init__.py").write_text("")
    (quickstart / "tests" / "unittest_unexpected.py").write_text(
        project_file("doc_examples/unittest_unexpected.py")
    )

    passing = run_unittest(quickstart, "tests.unittest_checkout")
    failing = run_unittest(quickstart, "tests.unittest_unexpected")

    assert passing.returncode == 0, passing.stderr
    assert "test_checkout_charges_the_card" in passing.stderr
    assert "OK" in passing.stderr
    assert failing.returncode == 1, failing.stderr
    assert "service 'payments' received 1 request that no expectation matched" in failing.stderr
    assert "POST /v1/charges" in failing.stderr
    assert "test_checkout_without_priming_the_payments_mock" in failing.stderr
    assert not project_processes(quickstart, started)


# -- docs/record-replay.md and docs/openapi.md: tests/examples/recorded ------------------------------

RECORDED_FILE = "tests/recordings/tests/functional/test_quotes/test_a_recorded_quote.json"
REAL_QUOTES_KEY = "real-quotes-key-3b9d"


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    project = tmp_path / "quotes-project"
    shutil.copytree(EXAMPLES / "recorded", project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


def test_the_recorded_example_replays_offline(recorded: Path) -> None:
    started = time.time()

    result = run_pytest(recorded, "tests/functional", "-p", "no:flask", timeout=120)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "3 passed" in output
    assert not project_processes(recorded, started)


def test_recording_the_example_again_gives_the_committed_file(
    recorded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = json.loads((recorded / RECORDED_FILE).read_text())
    (recorded / RECORDED_FILE).unlink()
    seen_keys: list[str | None] = []

    def quote(request: Request) -> Response:
        seen_keys.append(request.headers.get("x-api-key"))
        body = {
            "id": "dijkstra-1",
            "text": "Simplicity is prerequisite for reliability.",
            "author": "Edsger W. Dijkstra",
        }
        return Response(json.dumps(body), mimetype="application/json")

    real = HTTPServer(host="127.0.0.1", port=0)
    real.expect_request("/v1/quotes/dijkstra-1").respond_with_handler(quote)
    real.start()
    try:
        pyproject = recorded / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text().replace("https://api.quotes.example", real.url_for("").rstrip("/"))
        )
        monkeypatch.setenv("QUOTES_REAL_KEY", REAL_QUOTES_KEY)
        result = run_pytest(
            recorded, "tests/functional", "--harness-record", "-k", "test_a_recorded_quote", timeout=120
        )
    finally:
        real.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert seen_keys == [REAL_QUOTES_KEY]  # the shell's key, not the app's
    text = (recorded / RECORDED_FILE).read_text()
    assert REAL_QUOTES_KEY not in text
    assert "not-the-real-key" not in text
    again = json.loads(text)
    for document in (committed, again):
        document["services"]["quotes"]["upstream"] = "(the real service)"
        for exchange in document["services"]["quotes"]["exchanges"]:
            exchange["request"]["query"].pop("ts")  # the time of the call
            exchange["request"]["headers"].pop("user-agent", None)  # Python's version
    assert again == committed


def test_a_primed_answer_the_real_service_could_not_send_fails_the_test(recorded: Path) -> None:
    drift = recorded / "tests" / "functional" / "test_quotes_drift.py"
    drift.write_text(project_file("doc_examples/test_quotes_drift.py"))

    result = run_pytest(recorded, str(drift.relative_to(recorded)), "-p", "no:flask", timeout=120)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "service 'quotes' saw 1 request (or answers) that break its OpenAPI contract" in output
    assert "the real service cannot answer this: response body (status 200)" in output
    assert "'author' is a required property" in output
    assert "#/components/schemas/Quote/required" in output
