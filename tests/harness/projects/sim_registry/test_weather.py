import requests


def test_the_installed_simulator_answers_and_is_primed(harness_services):
    weather = harness_services["weather"]
    sim = weather.simulator
    assert type(sim).__module__ == "example_simulator"

    def celsius(city):
        return requests.get(f"{weather.url}/weather/{city}", timeout=10).json()["celsius"]

    assert celsius("Oslo") == 18  # the option
    sim.answer_next(-5, city="Oslo")
    sim.set_temperature("Rome", 31)
    assert [celsius("Oslo"), celsius("Oslo"), celsius("Rome")] == [-5, 18, 31]
    assert sim.pending == []
    assert weather.requests[0].expectation == "simulator weather"


def test_the_next_test_starts_from_the_options(harness_services):
    url = harness_services["weather"].url
    assert requests.get(f"{url}/weather/Rome", timeout=10).json() == {"city": "Rome", "celsius": 18}
