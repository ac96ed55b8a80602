def test_two_apps(harness):
    assert harness.app_for("one").is_alive()
    assert harness.app_for("two").is_alive()
