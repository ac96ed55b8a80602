import requests


def test_the_simulator_is_reachable_and_answers(harness_services):
    greeter = harness_services["chat"].simulator
    assert type(greeter).__name__ == "Greeter"
    assert greeter.service_name == "chat"
    assert requests.get(harness_services["chat"].url + "/hello", timeout=10).json() == {"hello": "chat"}


def test_an_unknown_route_fails_the_strict_test(harness_services):
    assert requests.get(harness_services["chat"].url + "/nope", timeout=10).status_code == 404
