"""The app process: launch, readiness, teardown."""
