from conftest import get


def test_session_and_own_expectations(primed, harness_services):
    harness_services["loose"].expect_request("/added").respond_with_data("added by this test")
    assert get(harness_services["loose"].url_for("/added")) == (200, "added by this test")
    assert get(harness_services["loose"].url_for("/base")) == (200, "from the session")


def test_own_expectations_are_gone_session_ones_stay(primed, harness_services):
    assert get(harness_services["loose"].url_for("/base")) == (200, "from the session")
    status, _ = get(harness_services["loose"].url_for("/added"))
    assert status == 500  # unmatched; "loose" is not strict, so this test still passes


def test_app_reaches_the_mock(harness_app, harness_services):
    harness_services["up"].expect_request("/thing").respond_with_data("primed")
    assert get(harness_app.url_for("/call")) == (200, "primed")


def test_unmatched_request(harness_app, harness_services):
    status, _ = get(harness_app.url_for("/call"))
    assert status == 502  # the test itself is happy; strict mode is not


def test_after_the_unmatched_one(harness_app, harness_services):
    assert harness_services["up"].requests == []
    get(harness_app.url_for("/env?name=EARLIER_TEST_MARK"))


def test_failing(harness_app, harness_services):
    harness_services["up"].expect_request("/thing").respond_with_data("seen in the report")
    get(harness_app.url_for("/call"))
    get(harness_app.url_for("/env?name=THIS_TEST_MARK"))
    assert False, "deliberate failure"
