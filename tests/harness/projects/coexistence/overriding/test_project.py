def test_overridden(harness_services, harness):
    assert harness_services == {"mine": "not a mock"}
    assert harness == "the project's own harness"


def test_overridden_failure(harness_services):
    assert not harness_services
