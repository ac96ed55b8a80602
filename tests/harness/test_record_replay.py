"""Record and replay (docs/record-replay.md), against a local stand-in for the real service: plain
and over TLS with a CA of its own, answering JSON, an SSE stream, a 429 with Retry-After and a 500.
No test here touches the internet."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import requests

from harness import Harness
from harness.cli import preview
from harness.config import load_config
from harness.errors import ConfigError, HarnessError
from harness.recording.cassette import (
    FORMAT,
    RecordingFileError,
    decode_body,
    encode_body,
    read_recording,
    recording_path,
)
from tests.support.mocks import mocks_of
from tests.support.projects import run_pytest, tiny_project, write_project
from tests.support.upstream import SECRET_KEY, real_service

TEST = "tests/test_chat.py::TestChat::test_answer[en]"
RECORDING = Path("recordings/tests/test_chat/TestChat.test_answer[en].json")
CHAT = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
APP_KEY = "app-dummy-key-0c4f2d"  # what the app sends: never forwarded, never written
KEY_VARIABLE = "REAL_OPENAI_TEST_KEY"
T = TypeVar("T")
HARNESS = str(Path(sys.executable).parent / "harness")


@pytest.fixture
def real_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_VARIABLE, SECRET_KEY)
    return SECRET_KEY


def project(directory: Path, upstream: str, *, extra: str = "", service: str = "") -> Path:
    write_project(
        directory,
        f"""
        [tool.harness]
        command = ["python", "-c", "pass"]

        [tool.harness.services.openai]
        env = {{ OPENAI_URL = "{{url}}" }}
        upstream = "{upstream}"
        recordings = "recordings"
        upstream_headers = {{ "api-key" = "{KEY_VARIABLE}" }}
        {service}
        {extra}
        """,
    )
    return directory / "pyproject.toml"


def recorded(tmp_path: Path, send: Callable[[str], T], *, service: str = "") -> tuple[Path, T]:
    """Record what ``send(mock url)`` does (the test plays the app) from the local real service,
    as test ``TEST``; the project's pyproject.toml and what ``send`` returned."""
    with real_service(tmp_path) as real:
        pyproject = project(tmp_path, real.url, service=service)
        with mocks_of(pyproject, record=True) as h, h.test(TEST):
            result = send(h.services["openai"].url)
    return pyproject, result


def chat(url: str, text: str, **extra: object) -> requests.Response:
    return requests.post(
        url + CHAT,
        json={"messages": [{"role": "user", "content": text}], **extra},
        headers={"api-key": APP_KEY},
        timeout=10,
    )


class TestRecordThenReplay:
    def test_json_is_recorded_from_the_upstream_and_replayed_without_it(
        self, tmp_path: Path, real_key: str
    ) -> None:
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with mocks_of(pyproject, record=True) as h:
                with h.test(TEST) as window:
                    answer = chat(h.services["openai"].url, "hello")
                    assert window.problems() is None
                assert window.recorded == [tmp_path / RECORDING]
            assert answer.status_code == 200
            assert answer.json()["choices"][0]["message"]["content"] == "real: hello"
            # The upstream got the runner's key, not the app's.
            assert real.received[0][2]["Api-Key"] == SECRET_KEY
        text = (tmp_path / RECORDING).read_text()
        document = json.loads(text)
        assert document["format"] == FORMAT
        assert document["test"] == TEST
        exchange = document["services"]["openai"]["exchanges"][0]
        assert exchange["request"]["query"] == {"api-version": ["2024-10-21"]}
        assert exchange["request"]["body"]["json"]["messages"][0]["content"] == "hello"
        assert exchange["response"]["body"]["json"]["choices"][0]["message"]["content"] == "real: hello"
        assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"  # stable
        # The real service is gone: the recording answers.
        with mocks_of(pyproject) as h, h.test(TEST) as window:
            again = chat(h.services["openai"].url, "hello")
            assert again.status_code == 200
            assert again.json() == answer.json()
            assert again.headers["x-request-id"] == "req-1"
            assert window.problems() is None
            assert "the recording" in (h.services["openai"].requests[0].expectation or "")

    def test_a_request_the_recording_does_not_hold_fails_with_the_closest_one(
        self, tmp_path: Path, real_key: str
    ) -> None:
        pyproject, _ = recorded(tmp_path, lambda url: chat(url, "hello"))
        with mocks_of(pyproject) as h, h.test(TEST) as window:
            missed = chat(h.services["openai"].url, "goodbye")
            assert missed.status_code == 500
            problems = window.problems() or ""
        assert "matched NO expectation" in problems
        assert "closest recorded request" in problems
        assert '$.messages[0].content is "goodbye", the recording has "hello"' in problems
        assert "--harness-record" in problems

    def test_a_test_without_a_recording_says_how_to_record_it(self, tmp_path: Path, real_key: str) -> None:
        pyproject = project(tmp_path, "http://127.0.0.1:9")
        with mocks_of(pyproject) as h, h.test("tests/test_x.py::test_new") as window:
            chat(h.services["openai"].url, "hello")
            problems = window.problems() or ""
        assert "no recording of service 'openai' for this test" in problems
        assert "pytest --harness-record" in problems

    def test_expectations_the_test_primes_win_over_recordings_and_the_upstream(
        self, tmp_path: Path, real_key: str
    ) -> None:
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with mocks_of(pyproject, record=True) as h:
                with h.test(TEST) as window:
                    h.services["openai"].expect_request(
                        "/openai/deployments/gpt-4o/chat/completions"
                    ).respond_with_json({"primed": True})
                    assert chat(h.services["openai"].url, "hello").json() == {"primed": True}
                assert window.recorded == []
            assert real.received == []
        assert not (tmp_path / RECORDING).exists()


class TestStreamsAndErrors:
    def test_an_sse_stream_is_recorded_as_events_and_replayed_byte_for_byte(
        self, tmp_path: Path, real_key: str
    ) -> None:
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with mocks_of(pyproject, record=True) as h, h.test(TEST):
                streamed = chat(h.services["openai"].url, "stream me", stream=True)
                original = streamed.content
        assert streamed.headers["content-type"].startswith("text/event-stream")
        assert original.count(b"data: ") == 4
        assert original.endswith(b"data: [DONE]\n\n")
        exchange = read_recording(tmp_path / RECORDING).services["openai"][0]
        document = json.loads((tmp_path / RECORDING).read_text())
        events = document["services"]["openai"]["exchanges"][0]["response"]["body"]["events"]
        assert events[-1] == "data: [DONE]"
        assert len(events) == 4
        assert exchange.response.body == original
        with mocks_of(pyproject) as h, h.test(TEST) as window:
            with requests.post(
                h.services["openai"].url + CHAT,
                json={"messages": [{"role": "user", "content": "stream me"}], "stream": True},
                stream=True,
                timeout=10,
            ) as replayed:
                lines = [line for line in replayed.iter_lines() if line]
                assert replayed.headers["content-type"].startswith("text/event-stream")
            assert window.problems() is None
        assert b"\n\n".join(lines) + b"\n\n" == original  # the same events, in order
        assert lines[-1] == b"data: [DONE]"

    def test_record_mode_passes_a_stream_on_as_the_upstream_sends_it(
        self, tmp_path: Path, real_key: str
    ) -> None:
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with (
                mocks_of(pyproject, record=True) as h,
                h.test(TEST),
                requests.get(h.services["openai"].url + "/held-stream", stream=True, timeout=10) as answer,
            ):
                lines = answer.iter_lines()
                first = next(line for line in lines if line)
                # The upstream holds the rest until now: the first event came through alone.
                real.release.set()
                rest = [line for line in lines if line]
            assert real.gave_up == [False]
        assert first == b"data: first"
        assert rest == [b"data: second", b"data: [DONE]"]
        events = json.loads((tmp_path / RECORDING).read_text())["services"]["openai"]["exchanges"][0]
        assert events["response"]["body"]["events"] == ["data: first", "data: second", "data: [DONE]"]

    def test_a_429_with_retry_after_then_the_retry_replay_in_order(
        self, tmp_path: Path, real_key: str
    ) -> None:
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with mocks_of(pyproject, record=True) as h, h.test(TEST):
                url = h.services["openai"].url
                first = requests.post(url + "/limited", json={"n": 1}, timeout=10)
                second = requests.post(url + "/limited", json={"n": 1}, timeout=10)
        assert (first.status_code, first.headers["retry-after"], second.status_code) == (429, "1", 200)
        with mocks_of(pyproject) as h, h.test(TEST) as window:
            url = h.services["openai"].url
            replayed = [requests.post(url + "/limited", json={"n": 1}, timeout=10) for _ in range(3)]
            assert window.problems() is None
        assert [answer.status_code for answer in replayed] == [429, 200, 200]  # then the last again
        assert replayed[0].headers["Retry-After"] == "1"
        assert replayed[0].json()["error"]["code"] == "429"

    def test_a_500_is_recorded_and_replayed(self, tmp_path: Path, real_key: str) -> None:
        pyproject, broken = recorded(tmp_path, lambda url: requests.get(url + "/broken", timeout=10))
        with mocks_of(pyproject) as h, h.test(TEST):
            replayed = requests.get(h.services["openai"].url + "/broken", timeout=10)
        assert broken.status_code == replayed.status_code == 500
        assert (
            replayed.json()
            == broken.json()
            == {"error": {"code": "InternalServerError", "message": "The server had an error."}}
        )


class TestTLS:
    def test_an_upstream_with_its_own_ca_is_verified_with_upstream_ca(
        self, tmp_path: Path, real_key: str
    ) -> None:
        with real_service(tmp_path, tls=True) as real:
            pyproject = project(tmp_path, real.url, extra='upstream_ca = "upstream-ca.pem"')
            with mocks_of(pyproject, record=True) as h, h.test(TEST) as window:
                answer = chat(h.services["openai"].url, "over tls")
                assert window.problems() is None
        assert answer.json()["choices"][0]["message"]["content"] == "real: over tls"
        assert real.url.startswith("https://")
        with mocks_of(pyproject) as h, h.test(TEST):
            assert chat(h.services["openai"].url, "over tls").json() == answer.json()

    def test_an_upstream_the_system_does_not_trust_is_refused_with_the_fix(
        self, tmp_path: Path, real_key: str
    ) -> None:
        with real_service(tmp_path, tls=True) as real:
            pyproject = project(tmp_path, real.url)
            with mocks_of(pyproject, record=True) as h, h.test(TEST) as window:
                chat(h.services["openai"].url, "over tls")
                problems = window.problems() or ""
            assert real.received == []  # the handshake failed: nothing was sent
        assert "could not reach its upstream" in problems
        assert "CERTIFICATE_VERIFY_FAILED" in problems
        assert "upstream_ca" in problems
        assert not (tmp_path / RECORDING).exists()


class TestSecrets:
    def test_a_recording_holds_none_of_the_secrets(self, tmp_path: Path, real_key: str) -> None:
        app_secrets = {
            "api-key": APP_KEY,
            "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJlLXZhbHVl",
            "Ocp-Apim-Subscription-Key": "ocp-subscription-7d3e1f",
            "Cookie": "session=cookie-value-4b2a",
        }
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with mocks_of(pyproject, record=True) as h, h.test(TEST):
                url = h.services["openai"].url
                requests.get(
                    url + "/echo-headers?sig=query-signature-9a8b&api-version=1",
                    headers=app_secrets,
                    timeout=10,
                )
                requests.post(
                    url + CHAT,
                    json={"messages": [{"role": "user", "content": "hi"}], "password": "body-password-5e6f"},
                    headers={"api-key": APP_KEY},
                    timeout=10,
                )
        text = (tmp_path / RECORDING).read_text()
        # The echo's answer carried every header the upstream got, its real key included.
        for secret in [
            SECRET_KEY,
            *app_secrets.values(),
            "c2lnbmF0dXJlLXZhbHVl",
            "query-signature-9a8b",
            "body-password-5e6f",
            "cookie-value-4b2a",
        ]:
            assert secret not in text, secret
        document = json.loads(text)
        first = document["services"]["openai"]["exchanges"][0]
        assert not {"api-key", "authorization", "ocp-apim-subscription-key", "cookie"} & set(
            first["request"]["headers"]
        )
        assert first["request"]["query"]["api-version"] == ["1"]  # what is not secret stays readable

    def test_record_mode_needs_the_credentials_in_the_runners_environment(self, tmp_path: Path) -> None:
        os.environ.pop(KEY_VARIABLE, None)
        pyproject = project(tmp_path, "http://127.0.0.1:9")
        with pytest.raises(HarnessError, match=f"{KEY_VARIABLE} named in upstream_headers are not set"):
            Harness(load_config(pyproject), record=True)


class TestMatchingOptions:
    def test_ignored_query_parameters_and_json_fields_and_matched_headers(
        self, tmp_path: Path, real_key: str
    ) -> None:
        replay = """
        [tool.harness.services.openai.replay]
        ignore_query = ["ts"]
        ignore_json_fields = ["metadata.request_id", "messages.name"]
        match_headers = ["X-Tenant"]
        """

        def send(url: str, ts: str, request_id: str, name: str, tenant: str) -> requests.Response:
            return requests.post(
                f"{url}{CHAT}&ts={ts}",
                json={
                    "messages": [{"role": "user", "content": "hi", "name": name}],
                    "metadata": {"request_id": request_id, "kept": 1},
                },
                headers={"x-tenant": tenant},
                timeout=10,
            )

        pyproject, answer = recorded(
            tmp_path, lambda url: send(url, "1", "r-1", "ann", "contoso"), service=replay
        )
        with mocks_of(pyproject) as h:
            with h.test(TEST) as window:  # what changes between runs is ignored
                assert send(h.services["openai"].url, "2", "r-2", "bob", "contoso").json() == answer.json()
                assert window.problems() is None
            with h.test(TEST) as window:  # a header named in match_headers is compared
                send(h.services["openai"].url, "2", "r-2", "bob", "fabrikam")
                assert "headers {'x-tenant': 'fabrikam'}" in (window.problems() or "")


class TestDoNoHarm:
    def test_a_file_that_is_not_a_recording_is_refused_before_the_test_reaches_the_upstream(
        self, tmp_path: Path, real_key: str
    ) -> None:
        decoy = tmp_path / RECORDING
        decoy.parent.mkdir(parents=True)
        decoy.write_text('{"mine": true}\n')
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with mocks_of(pyproject, record=True) as h:
                with pytest.raises(
                    HarnessError, match=r"cannot record .* is not a harness recording .* fix: move"
                ):
                    h.test(TEST).begin()
                assert h.services["openai"].requests == []
            assert real.received == []  # a POST never had its side effect on the real service
        assert decoy.read_text() == '{"mine": true}\n'

    def test_a_file_put_there_during_the_test_is_still_never_overwritten(
        self, tmp_path: Path, real_key: str
    ) -> None:
        decoy = tmp_path / RECORDING
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with mocks_of(pyproject, record=True) as h:
                window = h.test(TEST).begin()
                chat(h.services["openai"].url, "hello")
                decoy.parent.mkdir(parents=True)
                decoy.write_text('{"mine": true}\n')
                with pytest.raises(
                    HarnessError, match=r"is not a harness recording .* fix: move that file away"
                ):
                    window.end()
        assert decoy.read_text() == '{"mine": true}\n'

    def test_a_link_at_the_recordings_place_is_never_followed(self, tmp_path: Path, real_key: str) -> None:
        outside = tmp_path / "elsewhere.json"
        outside.write_text("{}")
        link = tmp_path / RECORDING
        link.parent.mkdir(parents=True)
        link.symlink_to(outside)
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with (
                mocks_of(pyproject, record=True) as h,
                pytest.raises(HarnessError, match="is a symbolic link"),
            ):
                h.test(TEST).begin()
        assert outside.read_text() == "{}"
        assert link.is_symlink()

    def test_a_linked_folder_on_the_way_never_leads_a_recording_outside(
        self, tmp_path: Path, real_key: str
    ) -> None:
        outside = tmp_path / "outside"
        outside.mkdir()
        project_dir = tmp_path / "project"
        linked = project_dir / "recordings" / "tests"  # the test module's folder
        linked.parent.mkdir(parents=True)
        linked.symlink_to(outside)
        with real_service(tmp_path) as real:
            pyproject = project(project_dir, real.url)
            with mocks_of(pyproject, record=True) as h:
                # Said when the test begins, before anything reaches the real service ...
                with pytest.raises(
                    HarnessError, match=r"leads outside the recordings folder .* through a link"
                ):
                    h.test(TEST).begin()
                assert real.received == []
                # ... and again when the file is written, for a link put there during the test.
                linked.unlink()
                window = h.test(TEST).begin()
                chat(h.services["openai"].url, "hello")
                linked.symlink_to(outside)
                with pytest.raises(
                    HarnessError, match=r"leads outside the recordings folder .* through a link"
                ):
                    window.end()
        assert list(outside.iterdir()) == []

    def test_a_recordings_folder_that_is_a_link_out_of_the_project_is_refused(self, tmp_path: Path) -> None:
        outside = tmp_path / "outside"
        outside.mkdir()
        write_project(
            tmp_path / "p",
            '[tool.harness]\ncommand = ["app"]\n[tool.harness.services.s]\nrecordings = "rec"\n',
        )
        (tmp_path / "p" / "rec").symlink_to(outside)
        with pytest.raises(ConfigError, match="lies outside the project"):
            load_config(tmp_path / "p" / "pyproject.toml")

    def test_re_recording_replaces_only_its_own_file_and_keeps_other_services(
        self, tmp_path: Path, real_key: str
    ) -> None:
        second = """
        [tool.harness.services.search]
        recordings = "recordings"
        """
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url, extra="", service=second)
            with mocks_of(pyproject, record=True) as h, h.test(TEST):
                chat(h.services["openai"].url, "first")
            path = tmp_path / RECORDING
            document = json.loads(path.read_text())
            # Another service's exchanges, recorded elsewhere, share the folder and the file.
            document["services"]["search"] = {
                "exchanges": [{"request": {"method": "GET", "path": "/x"}, "response": {"status": 204}}]
            }
            path.write_text(json.dumps(document))
            with mocks_of(pyproject, record=True) as h, h.test(TEST):
                chat(h.services["openai"].url, "second")
        again = json.loads(path.read_text())
        assert again["services"]["search"]["exchanges"][0]["request"]["path"] == "/x"
        assert (
            again["services"]["openai"]["exchanges"][0]["request"]["body"]["json"]["messages"][0]["content"]
            == "second"
        )
        assert len(again["services"]["openai"]["exchanges"]) == 1


class TestWithASimulator:
    def test_recordings_answer_before_the_simulator_and_a_test_without_one_gets_the_simulator(
        self, tmp_path: Path, real_key: str
    ) -> None:
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url, service='simulator = "azure_openai"')
            with mocks_of(pyproject, record=True) as h, h.test(TEST):
                recorded = chat(h.services["openai"].url, "hello").json()
            assert len(real.received) == 1
        with mocks_of(pyproject) as h:
            with h.test(TEST) as window:
                assert chat(h.services["openai"].url, "hello").json() == recorded
                assert window.problems() is None
            with h.test("tests/test_chat.py::test_not_recorded") as window:
                simulated = chat(h.services["openai"].url, "hello").json()
                assert window.problems() is None
        assert simulated["choices"][0]["message"]["content"] != "real: hello"
        assert simulated["object"] == "chat.completion"


class TestConfiguration:
    @pytest.mark.parametrize(
        ("keys", "message"),
        [
            ('upstream = "https://x.example"', "upstream without recordings; fix: add recordings ="),
            ('recordings = "r"\nupstream = "https://user:pw@x.example"', "holds credentials"),
            ('recordings = "r"\nupstream = "ftp://x.example"', "is not an http:// or https:// URL"),
            ('recordings = "r"\nupstream = "https://x.example/?a=1"', "has a query or a fragment"),
            ('recordings = "../outside"', "lies outside the project"),
            (
                'recordings = "r"\nupstream_headers = { "api-key" = "not a name" }',
                "expected the NAME of an environment variable",
            ),
            ('recordings = "r"\nupstream_ca = "missing.pem"', "upstream_ca: "),
            (
                'recordings = "r"\n[tool.harness.services.s.replay]\nignore_querys = ["a"]',
                "did you mean 'ignore_query'",
            ),
        ],
    )
    def test_each_bad_key_is_one_message_with_the_fix(self, tmp_path: Path, keys: str, message: str) -> None:
        write_project(
            tmp_path / "p", f'[tool.harness]\ncommand = ["app"]\n[tool.harness.services.s]\n{keys}\n'
        )
        with pytest.raises(ConfigError) as raised:
            load_config(tmp_path / "p" / "pyproject.toml")
        assert message in str(raised.value)
        assert "Traceback" not in str(raised.value)

    def test_record_mode_without_any_upstream_is_refused(self, tmp_path: Path) -> None:
        write_project(
            tmp_path, '[tool.harness]\ncommand = ["app"]\n[tool.harness.services.s]\nrecordings = "r"\n'
        )
        with pytest.raises(HarnessError, match=r"no service in .* has an upstream to record from"):
            Harness(load_config(tmp_path / "pyproject.toml"), record=True)


TEST_FILE = """
import requests

CHAT = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"


def test_answer(harness_services):
    answer = requests.post(
        harness_services["openai"].url + CHAT,
        json={"messages": [{"role": "user", "content": "WORD"}]},
        timeout=10,
    )
    assert answer.json()["choices"][0]["message"]["content"] == "real: hello"
"""


class TestFronts:
    def test_pytest_records_with_harness_record_and_replays_without_the_upstream(
        self, tmp_path: Path, real_key: str
    ) -> None:
        test_file = tmp_path / "tests" / "test_chat.py"
        test_file.parent.mkdir()
        test_file.write_text(TEST_FILE.replace("WORD", "hello"))
        with real_service(tmp_path) as real:
            project(tmp_path, real.url)
            recorded = run_pytest(tmp_path, "--harness-record", "-q")
            assert recorded.returncode == 0, recorded.stdout + recorded.stderr
            assert len(real.received) == 1
        recording = tmp_path / "recordings" / "tests" / "test_chat" / "test_answer.json"
        assert json.loads(recording.read_text())["test"] == "tests/test_chat.py::test_answer"
        replayed = run_pytest(tmp_path, "-q")  # the real service is gone
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        test_file.write_text(TEST_FILE.replace("WORD", "changed"))
        changed = run_pytest(tmp_path, "-q")
        assert changed.returncode == 1
        assert 'is "changed", the recording has "hello"' in changed.stdout
        assert recording.read_text().count("hello") >= 1  # a replay never writes

    def test_harness_up_records_a_session_and_replays_it(self, tmp_path: Path, real_key: str) -> None:
        with real_service(tmp_path) as real:
            tiny_project(
                tmp_path,
                extra=f"""
                [tool.harness.services.openai]
                env = {{ OPENAI_URL = "{{url}}" }}
                upstream = "{real.url}"
                recordings = "recordings"
                upstream_headers = {{ "api-key" = "{KEY_VARIABLE}" }}
                """,
            )
            recorded, head, rest = _up_session(tmp_path, "--record", "manual-session")
        recording = tmp_path / "recordings" / "manual-session.json"
        assert recorded == "real: by hand"
        assert f"recording to {recording}" in head
        assert f"harness: recorded {recording}" in rest
        exchanges = json.loads(recording.read_text())["services"]["openai"]["exchanges"]
        assert exchanges[0]["response"]["body"]["json"]["choices"][0]["message"]["content"] == "real: by hand"
        # The real service is gone: the session's recording answers.
        replayed, head, rest = _up_session(tmp_path, "--replay", "manual-session")
        assert replayed == "real: by hand"
        assert f"replaying {recording}" in head
        assert "recorded" not in rest


def _up_session(project: Path, *options: str) -> tuple[str, str, str]:
    """``harness up`` with ``options``: one chat request to the openai mock, then Ctrl-C. Returns
    the answer's content, the banner and what followed it."""
    process = subprocess.Popen(
        [HARNESS, "up", *options], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        head = []
        for line in process.stdout:
            head.append(line)
            if "log follows" in line:
                break
        service_line = next(line for line in head if line.strip().startswith("service openai"))
        answer = chat(service_line.split()[2], "by hand").json()["choices"][0]["message"]["content"]
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, "".join(head) + rest
    return answer, "".join(head), rest


class TestFileFormat:
    @pytest.mark.parametrize(
        ("body", "content_type", "kind"),
        [
            (b'{"b": 1, "a": [1, 2]}', "application/json", "json"),
            (b'{"b": 1}', "application/vnd.api+json; charset=utf-8", "json"),
            (b"data: {}\n\ndata: [DONE]\n\n", "text/event-stream", "events"),
            (b"data: cut off", "text/event-stream", "text"),  # not whole events: kept as text, exactly
            (b"plain words", "text/plain", "text"),
            (b"not json {", "application/json", "text"),
            (bytes(range(256)), "application/octet-stream", "base64"),
        ],
    )
    def test_bodies_are_decoded_where_they_are_text_and_read_back_exactly(
        self, body: bytes, content_type: str, kind: str
    ) -> None:
        encoded = encode_body(body, content_type)
        assert encoded is not None
        assert list(encoded) == [kind]
        decoded = decode_body(json.loads(json.dumps(encoded)), "here")
        if kind == "json":
            assert json.loads(decoded) == json.loads(body)
        else:
            assert decoded == body

    def test_a_broken_recording_is_one_message_naming_the_file_and_the_fix(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.json"
        path.write_text(
            '{"format": "harness-recording/1", "services": {"s": {"exchanges": [{"request": {}}]}}}'
        )
        with pytest.raises(RecordingFileError, match=r"broken.json: services.s.exchanges\[0\]"):
            read_recording(path)
        path.write_text("{not json")
        with pytest.raises(RecordingFileError, match=r"is not valid JSON .* fix: record it again"):
            read_recording(path)

    @pytest.mark.parametrize(
        ("test", "expected"),
        [
            ("tests/test_a.py::test_one", "tests/test_a/test_one.json"),
            ("tests/test_a.py::TestX::test_one[x-1]", "tests/test_a/TestX.test_one[x-1].json"),
            ("test_a.py::test_one[a/b c]", "test_a/test_one[a_b_c].json"),
            ("../../escape.py::test", "escape/test.json"),
            ("harness-up", "harness-up.json"),
        ],
    )
    def test_file_names_come_from_the_node_id_and_stay_in_the_folder(
        self, tmp_path: Path, test: str, expected: str
    ) -> None:
        assert recording_path(tmp_path, test) == tmp_path / expected

    def test_in_replay_the_tests_own_expectations_still_win(self, tmp_path: Path, real_key: str) -> None:
        pyproject, _ = recorded(tmp_path, lambda url: chat(url, "hello"))
        with mocks_of(pyproject) as h, h.test(TEST):
            path = CHAT.split("?", maxsplit=1)[0]
            h.services["openai"].expect_request(path).respond_with_json({"primed": True})
            assert chat(h.services["openai"].url, "hello").json() == {"primed": True}


class TestWhatANewUserMet:
    """Found by trying the feature as a new user would (each failed before its fix)."""

    def test_a_stream_still_open_when_the_test_ends_is_recorded_with_what_arrived(
        self, tmp_path: Path, real_key: str
    ) -> None:
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with mocks_of(pyproject, record=True) as h:
                with h.test(TEST) as window:
                    answer = requests.get(h.services["openai"].url + "/held-stream", stream=True, timeout=10)
                    first = next(line for line in answer.iter_lines() if line)
                # The app read what it needed; the upstream has not finished the stream yet.
                real.release.set()
                answer.close()
            assert window.recorded == [tmp_path / RECORDING]
        assert first == b"data: first"
        events = json.loads((tmp_path / RECORDING).read_text())["services"]["openai"]["exchanges"][0]
        assert events["response"]["body"]["events"][0] == "data: first"

    def test_a_secret_in_the_path_is_masked_and_still_replays(self, tmp_path: Path, real_key: str) -> None:
        with real_service(tmp_path) as real:
            pyproject = project(tmp_path, real.url)
            with mocks_of(pyproject, record=True) as h, h.test(TEST):
                recorded = requests.get(f"{h.services['openai'].url}/bot{SECRET_KEY}/echo", timeout=10)
        text = (tmp_path / RECORDING).read_text()
        assert SECRET_KEY not in text
        assert '"path": "/bot********/echo"' in text
        with mocks_of(pyproject) as h, h.test(TEST) as window:
            replayed = requests.get(f"{h.services['openai'].url}/bot{SECRET_KEY}/echo", timeout=10)
            assert window.problems() is None
        assert replayed.status_code == recorded.status_code

    def test_an_unreachable_upstream_is_a_502_and_one_message_without_a_traceback(
        self, tmp_path: Path, real_key: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        pyproject = project(tmp_path, "http://127.0.0.1:9")  # nothing listens on the discard port
        with mocks_of(pyproject, record=True) as h, h.test(TEST) as window:
            answer = chat(h.services["openai"].url, "hello")
            problems = window.problems() or ""
        assert answer.status_code == 502
        assert "could not reach its upstream http://127.0.0.1:9" in answer.text
        assert "could not reach its upstream http://127.0.0.1:9: ConnectionRefusedError" in problems
        assert "Traceback" not in caplog.text
        assert "cannot answer this" not in problems  # harness's own 502 is not held to a contract

    def test_a_ca_bundle_that_is_not_pem_is_a_configuration_problem(self, tmp_path: Path) -> None:
        pyproject = project(tmp_path, "https://127.0.0.1:9", extra='upstream_ca = "pyproject.toml"')
        with pytest.raises(ConfigError, match=r"upstream_ca: .* is not a PEM file of certificates"):
            load_config(pyproject)

    def test_a_ca_bundle_that_looks_like_pem_but_is_not_stops_record_mode_with_one_message(
        self, tmp_path: Path, real_key: str
    ) -> None:
        (tmp_path / "broken.pem").write_text(
            "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
        )
        pyproject = project(tmp_path, "https://127.0.0.1:9", extra='upstream_ca = "broken.pem"')
        with pytest.raises(
            HarnessError, match=r"cannot read upstream_ca .*broken.pem: .* fix: the PEM bundle"
        ):
            Harness(load_config(pyproject), record=True)
        Harness(load_config(pyproject))  # replay never reaches the upstream: no TLS context is made

    def test_a_key_pasted_into_upstream_headers_is_not_shown(self, tmp_path: Path) -> None:
        write_project(
            tmp_path,
            '[tool.harness]\ncommand = ["app"]\n[tool.harness.services.s]\nrecordings = "r"\n'
            'upstream_headers = { "api-key" = "sk-live-5f0e9d8c7b6a" }\n',
        )
        with pytest.raises(ConfigError) as raised:
            load_config(tmp_path / "pyproject.toml")
        assert "expected the NAME of an environment variable" in str(raised.value)
        assert "sk-live-5f0e9d8c7b6a" not in str(raised.value)

    def test_an_answer_from_the_simulator_says_the_test_has_no_recording(
        self, tmp_path: Path, real_key: str
    ) -> None:
        pyproject = project(tmp_path, "http://127.0.0.1:9", service='simulator = "azure_openai"')
        with mocks_of(pyproject) as h, h.test("tests/test_chat.py::test_never_recorded"):
            chat(h.services["openai"].url, "hello")
            expectation = h.services["openai"].requests[0].expectation or ""
        assert expectation.startswith("simulator azure_openai")
        assert "(no recording of this test: " in expectation
        assert "test_never_recorded.json" in expectation

    def test_the_app_never_inherits_the_upstreams_credentials(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(KEY_VARIABLE, SECRET_KEY)
        monkeypatch.setenv("UNRELATED_VARIABLE", "kept")
        config = load_config(project(tmp_path, "http://127.0.0.1:9"))
        plan = preview(config, "default")
        assert KEY_VARIABLE not in plan.environment
        assert KEY_VARIABLE in plan.removed
        assert plan.environment["UNRELATED_VARIABLE"] == "kept"

    def test_the_near_miss_names_each_differing_parameter_and_field_and_the_option_that_ignores_it(
        self, tmp_path: Path, real_key: str
    ) -> None:
        def send(url: str, ts: str, request_id: str) -> None:
            requests.post(
                f"{url}{CHAT}&ts={ts}",
                json={
                    "messages": [{"role": "user", "content": "hi"}],
                    "metadata": {"request_id": request_id},
                },
                timeout=10,
            )

        pyproject, _ = recorded(tmp_path, lambda url: send(url, "1", "r-1"))
        with mocks_of(pyproject) as h, h.test(TEST) as window:
            send(h.services["openai"].url, "2", "r-2")
            problems = window.problems() or ""
        assert "query parameter ts: '2' (recorded '1')" in problems
        assert '$.metadata.request_id is "r-2", the recording has "r-1"' in problems
        assert 'set ignore_query = ["ts"] and ignore_json_fields = ["metadata.request_id"]' in problems
