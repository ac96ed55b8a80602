"""A run of the project in the current directory (test_tls.py): starts it, prints its CA bundle,
its certificate authority and which of trustme and cryptography were imported, then stops it."""

import sys

from harness import Harness

h = Harness.from_pyproject("pyproject.toml")
h.start()
imported = sorted(name for name in ("trustme", "cryptography") if name in sys.modules)
print(h.ca_bundle, h.certificate_authority, imported)
h.stop()
