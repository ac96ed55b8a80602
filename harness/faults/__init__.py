"""Faults and streams for mock services: each a one-liner on a pytest-httpserver expectation.

    from harness import faults

    services["openai"].expect_request("/chat").respond_with_fault(faults.reset())
    services["openai"].expect_request("/chat").respond_with_fault(faults.delay(0.2, {"ok": True}))
    services["openai"].expect_request("/chat").respond_with_fault(
        faults.fail_times(2, faults.throttle(retry_after=0.1), then={"ok": True})
    )
    services["openai"].expect_request("/chat").respond_with_fault(
        faults.sse([{"n": 1}, {"n": 2}, faults.RESET])
    )

Lower-case names are functions that make a fault: call them (``faults.reset()``). Upper-case names
(``RESET``, ``CLOSE``, ``STALL``, ``BAD_CHUNK``, ``DONE``) are constants that stand among the events
of a stream. A function passed uncalled, or a marker where a route needs a fault, fails at once with
the fix ("faults.reset is a function: call it, faults.reset()").

Every fault is also a plain pytest-httpserver handler: ``respond_with_handler(faults.reset())``.
Faults that act on the connection need a harness mock (``MockService``), whose request handler
performs them; arguments are checked when the fault is created, so a mistake fails the test that
made it. See docs/faults.md for what each fault puts on the wire and what clients report.
"""

from harness.faults.base import Fault, FaultError, ResponseLike
from harness.faults.body import after_bytes, bandwidth, dribble, slow_close, stall_after_headers, truncate
from harness.faults.connection import empty_response, hang, malformed_chunk, random_data_then_close, reset
from harness.faults.sequences import chance, fail_times, sequence
from harness.faults.sse import BAD_CHUNK, CLOSE, DONE, RESET, STALL, Marker, SSEEvent, pause, sse
from harness.faults.throttle import throttle
from harness.faults.timing import Distribution, delay, lognormal, uniform

__all__ = [
    "BAD_CHUNK",
    "CLOSE",
    "DONE",
    "RESET",
    "STALL",
    "Distribution",
    "Fault",
    "FaultError",
    "Marker",
    "ResponseLike",
    "SSEEvent",
    "after_bytes",
    "bandwidth",
    "chance",
    "delay",
    "dribble",
    "empty_response",
    "fail_times",
    "hang",
    "lognormal",
    "malformed_chunk",
    "pause",
    "random_data_then_close",
    "reset",
    "sequence",
    "slow_close",
    "sse",
    "stall_after_headers",
    "throttle",
    "truncate",
    "uniform",
]
