"""A tiny weather service, simulated: ``GET /weather/<city>`` answers ``{"city", "celsius"}``."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from harness.simulators import Simulator, json_response
from harness.simulators.checks import TIMES, Schema, arguments, number, text

CELSIUS = number(-90, 60, expected="degrees Celsius from -90 to 60")
CITY = text(expected="a city name")


class WeatherSimulator(Simulator):
    """Every city has the ``celsius`` option's temperature, unless the test says otherwise."""

    kind: ClassVar[str] = "weather"
    options_schema: ClassVar[Schema] = Schema({"celsius": CELSIUS.with_fix("celsius = 21")})

    def __init__(self, options: Mapping[str, Any] | None = None, *, root: Path | None = None) -> None:
        super().__init__(options, root=root)  # checks the options, sets up the reset rule
        self._lock = threading.Lock()
        self._default = float(self.options.get("celsius", 20))
        self._celsius: dict[str, float] = {}  # set_temperature(): until the test ends
        self._answers = self.next_calls()  # answer_next(): the next calls only

    # -- the test API: <verb>_next for the next calls, set_<thing> until the test ends ----------------

    @arguments(celsius=CELSIUS, city=CITY.or_none(), times=TIMES)
    def answer_next(self, celsius: float, *, city: str | None = None, times: int = 1) -> None:
        """The next ``times`` calls (for ``city``, when given) answer ``celsius``."""
        self._answers.add(float(celsius), times=times, description=f"answer {celsius} °C", city=city)

    @arguments(city=CITY, celsius=CELSIUS)
    def set_temperature(self, city: str, celsius: float) -> None:
        """Every call for ``city`` answers ``celsius`` until the test ends."""
        with self._lock:
            self._celsius[city] = float(celsius)

    # -- the reset rule: what save_state returns when a test begins is restored when it ends ------

    def save_state(self) -> dict[str, float]:
        with self._lock:
            return dict(self._celsius)

    def restore_state(self, saved: object) -> None:
        assert isinstance(saved, dict)
        with self._lock:
            self._celsius = saved

    # -- serving ------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | None:
        if request.method != "GET" or not request.path.startswith("/weather/"):
            return None  # a route the service does not have: unmatched, answered by not_found()
        city = request.path.removeprefix("/weather/")
        primed = self._answers.take(city=city)
        with self._lock:
            celsius = primed if primed is not None else self._celsius.get(city, self._default)
        return json_response({"city": city, "celsius": celsius})
