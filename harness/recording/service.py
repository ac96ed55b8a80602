"""A mock service's recordings: record from the upstream, or replay what was recorded.

:class:`ServiceRecordings` sits behind a :class:`~harness.mocks.MockService`, below the test's own
expectations (which always win) and above its simulator:

* **record mode** (``--harness-record``, ``harness up --record``): a request nothing primed is
  forwarded to the upstream and its answer streamed back to the app as it comes; the exchange is
  kept until the test ends, when the test window writes it to the test's recording file;
* **replay** (every other run): when the test has a recording for this service, a request nothing
  primed is answered from it (:mod:`harness.recording.replay`); one it does not hold is unmatched,
  with the closest recorded request as its near miss. A test without a recording falls through
  to the simulator (if any).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.wrappers import Request, Response

from harness.recording.cassette import (
    Exchange,
    RecordedRequest,
    RecordedResponse,
    RecordingFile,
    read_recording,
    recording_path,
)
from harness.recording.replay import Replayer, ReplayOptions, lowered, request_query
from harness.recording.scrub import scrub_request
from harness.recording.upstream import Received, Upstream

#: What ends each event of a server-sent event stream. A replayed stream sends its events one write
#: each, without the pauses of the recorded one (a real stream can arrive as one burst too).
_EVENT_SEPARATOR = b"\n\n"


@dataclass
class _Captured:
    """One forwarded exchange of the current test, its answer's body possibly still arriving."""

    order: int
    request: RecordedRequest
    status: int
    headers: dict[str, str]
    received: Received

    def exchange(self) -> Exchange:
        return Exchange(self.request, RecordedResponse(self.status, self.headers, self.received.body))


def recorded_request(request: Request) -> RecordedRequest:
    """A live request in the form a recording has (secrets not yet removed)."""
    return RecordedRequest(
        request.method.upper(),
        request.path,
        request_query(list(request.args.items(multi=True))),
        lowered(list(request.headers.items())),
        request.get_data(),
    )


@dataclass
class ServiceRecordings:
    """One service's ``recordings`` folder, its ``upstream`` and ``[replay]`` options, and the
    current test's recording (replay) or capture (record mode)."""

    service: str
    folder: Path
    upstream: Upstream | None = None
    options: ReplayOptions = field(default_factory=ReplayOptions)
    recording: bool = False
    _replayer: Replayer | None = field(default=None, init=False)
    _file: Path | None = field(default=None, init=False)
    _captured: list[_Captured] = field(default_factory=list, init=False)
    _order: int = field(default=0, init=False)
    _known: tuple[str, ...] = field(default=(), init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    # -- the test window --------------------------------------------------------------------------

    def begin_test(self, test: str, known: Sequence[str] = (), loaded: RecordingFile | None = None) -> None:
        """Start ``test``: in record mode an empty capture; else its recording for this service
        (``loaded``: the file, read once for every service sharing the folder)."""
        self._known = tuple(known)
        self._file = recording_path(self.folder, test)
        with self._lock:
            self._captured = []
            self._order = 0
        self._replayer = None
        if self.recording:
            return
        if loaded is None and self._file.is_file():
            loaded = read_recording(self._file)
        if loaded is not None and self.service in loaded.services:
            self._replayer = Replayer(loaded.services[self.service], self.options, source=str(loaded.path))

    def end_test(self) -> list[Exchange]:
        """End the test; in record mode, the exchanges it captured, in the order they arrived."""
        self._replayer = None
        with self._lock:
            captured, self._captured = self._captured, []
        # A stream still open (the app stopped reading at its last event; the upstream has not closed
        # yet) is recorded with what arrived until now.
        return [item.exchange() for item in sorted(captured, key=lambda item: item.order)]

    @property
    def replaying(self) -> bool:
        """Whether the current test has a recording of this service (a request it does not hold is
        then unmatched)."""
        return self._replayer is not None

    @property
    def file(self) -> Path | None:
        """The current test's recording file (whether or not it exists yet)."""
        return self._file

    # -- answering --------------------------------------------------------------------------------

    def respond(self, request: Request) -> Response | None:
        """The answer to a request nothing primed: the upstream's (record mode), the recorded one
        (replay), or None."""
        if self.recording and self.upstream is not None:
            return self._forward(request)
        if self._replayer is None:
            return None
        live = scrub_request(recorded_request(request), self._known)
        exchange = self._replayer.answer(live)
        if exchange is None:
            return None
        return _replayed(exchange.response)

    def describe(self) -> str:
        """What answered, for the journal."""
        if self.recording and self.upstream is not None:
            return f"the upstream {self.upstream.url} (recording)"
        return f"the recording {self._file}"

    def near_miss(self, request: Request) -> str:
        """For a request the recording does not hold: the closest recorded one and how it differs."""
        if self._replayer is None:
            return self.missing()
        live = scrub_request(recorded_request(request), self._known)
        return self._replayer.near_miss(live)

    def missing(self) -> str:
        return (
            f"no recording of service {self.service!r} for this test ({self._file}); "
            'fix: record it with pytest --harness-record (the service needs upstream = "https://...")'
        )

    def _forward(self, request: Request) -> Response:
        assert self.upstream is not None
        with self._lock:
            order = self._order
            self._order += 1
            captured = self._captured  # this test's list: a late answer never lands in the next test's
        live = recorded_request(request)
        target = request.full_path if request.query_string else request.path
        received = Received()
        answer = self.upstream.forward(
            method=request.method,
            target=target,
            headers=list(request.headers.items()),
            body=live.body,
            received=received,
        )
        with self._lock:
            captured.append(_Captured(order, live, answer.status, lowered(answer.headers), received))
        if answer.framed:
            body = b"".join(answer.body)  # read whole: the app gets a framed, keep-alive answer
            return Response(body, status=answer.status, headers=answer.headers)
        # A stream: each chunk goes on to the app as it arrives.
        return Response(answer.body, status=answer.status, headers=answer.headers, direct_passthrough=True)


def _replayed(recorded: RecordedResponse) -> Response:
    headers = [(name, value) for name, value in recorded.headers.items() if name != "content-length"]
    if recorded.is_event_stream:
        events = [event for event in recorded.body.split(_EVENT_SEPARATOR) if event]

        def stream() -> Iterator[bytes]:
            for event in events:
                yield event + _EVENT_SEPARATOR

        return Response(stream(), status=recorded.status, headers=headers, direct_passthrough=True)
    return Response(recorded.body, status=recorded.status, headers=headers)
