"""Record a service's real answers once, replay them in every later run.

``cassette`` (the file format), ``scrub`` (what never reaches a file), ``replay`` (matching),
``upstream`` (forwarding in record mode), ``service`` (one mock's recordings), ``store`` (writing
a test's files). See docs/record-replay.md.
"""
