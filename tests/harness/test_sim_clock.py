"""The Azure OpenAI simulator's clock and rate-limit windows are exact: integer nanoseconds.

A float clock once kept a throttled deployment throttled after ``clock.advance(60)`` for about
0.2 % of ``time.monotonic()`` readings ((t + 60) - 60 rounded below t). The properties below pin
the reading of the real clock (:func:`clock.monotonic_ns`, the one source the simulator's clock
reads) and prove that advancing by the window -- or by the ``Retry-After`` the limiter answered --
always reopens it, for both limits, frozen or not -- in the limiter, and on the wire. Reproducible
(``derandomize=True``, no example database); the ``@example`` readings are the report's and ones
the float clock got wrong.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.mocks.server import MockService
from harness.simulators import SimulatorError
from harness.simulators.azure_openai import AzureOpenAISimulator, SimClock
from harness.simulators.azure_openai import clock as clock_module
from harness.simulators.azure_openai.ratelimit import WINDOW_SECONDS, Limits, RateLimiter

from .test_sim_openai import per_test, serve
from .test_sim_openai_rest import CHAT, OPTIONS, post

T = TypeVar("T", bound=Callable[..., None])

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Readings of the real monotonic clock, in nanoseconds (as the OS gives them): up to ~30 years.
READINGS = st.integers(min_value=0, max_value=10**18)
#: Real time passing between two steps of a test: often nothing (a coarse clock), up to a second.
STEPS = st.integers(min_value=0, max_value=10**9) | st.just(0)
#: Real time passing between successive requests (repeated as needed).
GAPS = st.lists(STEPS, min_size=1, max_size=5)
#: Gaps short enough that the most admissions a token window takes (100: a request is >= 1 % of the
#: limit) fit in one minute (100 x 0.5 s < 60 s), so the window fills before its first use expires.
SHORT_GAPS = st.lists(st.integers(min_value=0, max_value=5 * 10**8), min_size=1, max_size=5)

#: The reading of the report (8143.02070358762 s, to the nanosecond), and readings at which the
#: float clock kept the window closed after ``advance(60)`` (found by search, frozen or not).
PINNED = (8_143_020_703_588, 13_814_341_507, 2_001_092_012_726, 16_345_291_612_085, 32_749_972_060_919)


class RealTime:
    """A pinned monotonic clock that a test moves by hand."""

    def __init__(self, ns: int) -> None:
        self.ns = ns

    def __call__(self) -> int:
        return self.ns

    def pass_(self, ns: int) -> None:
        self.ns += ns


@contextmanager
def pinned(ns: int) -> Iterator[RealTime]:
    real = RealTime(ns)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock_module, "monotonic_ns", real)
        yield real


def pinned_examples(**rest: object) -> Callable[[T], T]:
    """``@example`` for each pinned reading, frozen and not, no real time passing."""

    def decorate(test: T) -> T:
        for reading in PINNED:
            for frozen in (True, False):
                test = example(reading=reading, frozen=frozen, elapsed=0, **rest)(test)
        return test

    return decorate


# -- advance(window) reopens the window ------------------------------------------------------------


@PROPERTY
@given(reading=READINGS, frozen=st.booleans(), elapsed=STEPS, rpm=st.integers(1, 5), gaps=GAPS)
@pinned_examples(rpm=1, gaps=[0])
def test_advancing_a_minute_reopens_requests_per_minute(
    reading: int, frozen: bool, elapsed: int, rpm: int, gaps: list[int]
) -> None:
    limits = Limits(requests_per_minute=rpm)
    with pinned(reading) as real:
        clock = SimClock()
        limiter = RateLimiter(clock)
        if frozen:
            clock.freeze()
        for gap in itertools.islice(itertools.cycle(gaps), rpm):
            assert limiter.admit("chat", limits, 1).admitted
            real.pass_(gap)
        refused = limiter.admit("chat", limits, 1)
        assert not refused.admitted
        assert refused.exceeded == "requests"
        real.pass_(elapsed)
        clock.advance(WINDOW_SECONDS)
        assert limiter.remaining("chat", limits).requests == rpm
        assert limiter.admit("chat", limits, 1).admitted


@PROPERTY
@given(
    reading=READINGS,
    frozen=st.booleans(),
    elapsed=STEPS,
    tpm=st.integers(1, 10_000),
    share=st.integers(1, 100),
    gaps=SHORT_GAPS,
)
@pinned_examples(tpm=60, share=20, gaps=[0])
def test_advancing_a_minute_reopens_tokens_per_minute(
    *, reading: int, frozen: bool, elapsed: int, tpm: int, share: int, gaps: list[int]
) -> None:
    limits = Limits(tokens_per_minute=tpm)
    estimate = max(1, tpm * share // 100)
    with pinned(reading) as real:
        clock = SimClock()
        limiter = RateLimiter(clock)
        if frozen:
            clock.freeze()
        steps = itertools.cycle(gaps)
        for _ in range(tpm // estimate):  # what fits; bounded, so a limiter that never refuses fails
            assert limiter.admit("chat", limits, estimate).admitted
            real.pass_(next(steps))
        decision = limiter.admit("chat", limits, estimate)
        assert not decision.admitted
        assert decision.exceeded == "tokens"
        real.pass_(elapsed)
        clock.advance(WINDOW_SECONDS)
        assert limiter.remaining("chat", limits).tokens == tpm
        assert limiter.admit("chat", limits, estimate).admitted


@PROPERTY
@given(
    reading=READINGS,
    frozen=st.booleans(),
    elapsed=STEPS,
    tokens=st.booleans(),
    gap=STEPS,
)
@pinned_examples(tokens=False, gap=0)
@pinned_examples(tokens=True, gap=0)
def test_advancing_by_retry_after_reopens_the_window(
    reading: int, frozen: bool, elapsed: int, tokens: bool, gap: int
) -> None:
    """What the 429 says (``Retry-After``, in seconds) is enough: a client that waits it is admitted."""
    limits = Limits(tokens_per_minute=10) if tokens else Limits(requests_per_minute=1)
    with pinned(reading) as real:
        clock = SimClock()
        limiter = RateLimiter(clock)
        if frozen:
            clock.freeze()
        assert limiter.admit("chat", limits, 10).admitted
        real.pass_(gap)
        refused = limiter.admit("chat", limits, 10)
        assert not refused.admitted
        assert 0 < refused.retry_after <= WINDOW_SECONDS
        if frozen:
            assert refused.retry_after == WINDOW_SECONDS
        real.pass_(elapsed)
        clock.advance(refused.retry_after)
        assert limiter.admit("chat", limits, 10).admitted


@pytest.fixture
def server() -> Iterator[MockService]:
    # A fresh simulator per case: its clock starts at the pinned reading, not at what earlier
    # cases advanced it to.
    yield from serve(OPTIONS)


@pytest.fixture
def sim(server: MockService) -> Iterator[AzureOpenAISimulator]:
    yield from per_test(server)


@pytest.mark.parametrize("limit", ["requests_per_minute", "tokens_per_minute"])
@pytest.mark.parametrize("frozen", [True, False], ids=["frozen", "running"])
@pytest.mark.parametrize("reading", PINNED)
def test_advancing_a_minute_reopens_the_deployment_on_the_wire(
    server: MockService, sim: AzureOpenAISimulator, reading: int, frozen: bool, limit: str
) -> None:
    """The report's case end to end: a throttled deployment answers again after ``advance(60)``."""
    with pinned(reading):
        if frozen:
            sim.clock.freeze()
        sim.set_rate_limits(**{limit: 1 if limit == "requests_per_minute" else 60}, deployment="chat")
        while (response := post(server, CHAT)).status_code == 200:
            pass
        assert response.status_code == 429
        sim.clock.advance(60)
        assert post(server, CHAT).status_code == 200
        sim.clock.unfreeze()


# -- the clock itself --------------------------------------------------------------------------------


@PROPERTY
@given(
    reading=READINGS,
    seconds=st.integers(0, 10**6) | st.floats(0, 10**6),
)
@example(reading=PINNED[0], seconds=60)
@example(reading=PINNED[0], seconds=0.1)
def test_advance_moves_a_frozen_clock_by_exactly_the_seconds_given(reading: int, seconds: float) -> None:
    with pinned(reading):
        clock = SimClock()
        clock.freeze()
        before = clock.now_ns()
        clock.advance(seconds)
        assert clock.now_ns() - before == round(Fraction(seconds) * 1_000_000_000)
    assert isinstance(clock.now_ns(), int)


def test_advance_by_a_minute_is_sixty_billion_nanoseconds_and_now_is_in_seconds() -> None:
    with pinned(PINNED[0]) as real:
        clock = SimClock()
        start = clock.now_ns()
        assert start == PINNED[0]
        clock.advance(60)
        assert clock.now_ns() - start == 60_000_000_000
        clock.advance(60.0)
        assert clock.now_ns() - start == 120_000_000_000
        assert clock.now() == (PINNED[0] + 120_000_000_000) / 1e9
        real.pass_(5)
        assert clock.now_ns() - start == 120_000_000_005


def test_freeze_stops_real_time_and_unfreeze_resumes_from_where_it_stood() -> None:
    with pinned(PINNED[1]) as real:
        clock = SimClock()
        assert not clock.frozen
        clock.freeze()
        clock.freeze()  # a second freeze keeps the first reading
        assert clock.frozen
        frozen_at = clock.now_ns()
        real.pass_(7_000_000_001)
        assert clock.now_ns() == frozen_at
        clock.advance(1)
        assert clock.now_ns() == frozen_at + 1_000_000_000
        clock.unfreeze()
        assert not clock.frozen
        assert clock.now_ns() == frozen_at + 1_000_000_000  # never backwards, never a jump
        real.pass_(3)
        assert clock.now_ns() == frozen_at + 1_000_000_003
        clock.unfreeze()  # unfreezing a running clock changes nothing
        assert clock.now_ns() == frozen_at + 1_000_000_003


@pytest.mark.parametrize("seconds", [-1, -0.5, float("nan"), float("inf"), True, "60", None])
def test_advance_rejects_what_is_not_a_finite_number_of_seconds(seconds: object) -> None:
    with pytest.raises(SimulatorError, match=r"clock\.advance\(seconds\): expected a finite number >= 0"):
        SimClock().advance(seconds)  # type: ignore[arg-type]
