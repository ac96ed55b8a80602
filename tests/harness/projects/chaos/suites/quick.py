def test_quick(harness_app):
    assert harness_app.is_alive()
