"""HTTPS for mock services: a certificate authority made for one run, and what makes an app trust it.

azure-core refuses to send token credentials over plain HTTP, and an app's configuration often
insists on https:// endpoints, so a mock standing in for an Azure service must be able to speak
TLS with a certificate the app accepts. The CA (trustme) exists only in memory
and in one PEM bundle written for the run; its private key never touches the disk. The app is
pointed at the bundle through every variable the common TLS stacks read (:data:`TRUST_VARIABLES`).
"""

from __future__ import annotations

import re
import ssl
import threading
from pathlib import Path

#: Names the server certificate is valid for: however an app spells the mock's address.
IDENTITIES = ("localhost", "127.0.0.1", "::1")

#: Variables pointing a process at the bundle, and who reads them: OpenSSL-based stacks (Python's
#: ssl and httpx/httpcore, the openai SDK, Go, .NET on Linux, Ruby) read SSL_CERT_FILE; requests
#: (and so azure-core's default transport) reads REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE; curl and
#: libcurl read CURL_CA_BUNDLE; Node.js adds NODE_EXTRA_CA_CERTS to its own roots; git reads
#: GIT_SSL_CAINFO; AWS-style SDKs read AWS_CA_BUNDLE; httplib2 (older Google clients) reads
#: HTTPLIB2_CA_CERTS. Set, each also replaces any inherited value, which would otherwise win.
TRUST_VARIABLES = (
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
    "AWS_CA_BUNDLE",
    "HTTPLIB2_CA_CERTS",
)


#: Suffix of a run's bundle: ``<state dir>/tls/<run marker>-ca.pem``.
BUNDLE_SUFFIX = "-ca.pem"
#: Suffix of its twin for the JVM, a PKCS12 trust store without a password: ``<run marker>-ca.p12``.
TRUSTSTORE_SUFFIX = "-ca.p12"


#: A run's marker (harness.orchestrator.new_marker): what a swept bundle's name must start with.
_RUN_MARKER = re.compile(r"harness-\d+-[0-9a-f]{32}")


def bundle_path(state_dir: Path, marker: str) -> Path:
    """Where the run ``marker`` writes its trust bundle."""
    return state_dir / "tls" / f"{marker}{BUNDLE_SUFFIX}"


def sweep_stale_bundles(state_dir: Path) -> list[Path]:
    """Remove bundles of runs that are over (no record under ``<state dir>/runs``: a run records
    itself before it writes its bundle and removes the bundle before its record); return them.

    A run killed with SIGKILL cannot remove its bundle; the next run in the checkout does.
    """
    removed: list[Path] = []
    directory = state_dir / "tls"
    if not directory.is_dir():
        return removed
    for suffix in (BUNDLE_SUFFIX, TRUSTSTORE_SUFFIX):
        for bundle in directory.glob(f"*{suffix}"):
            marker = bundle.name[: -len(suffix)]
            # Only names a run gives its bundles (harness-<pid>-<32 hex>), and never through a link.
            if not _RUN_MARKER.fullmatch(marker) or bundle.is_symlink():
                continue
            if not (state_dir / "runs" / f"{marker}.json").exists():
                bundle.unlink(missing_ok=True)
                removed.append(bundle)
    return removed


class CertificateAuthority:
    """One run's CA: server contexts for the TLS mocks and a trust bundle for the apps.

    The bundle holds this CA alone. Not the system's roots as well: a client that loads a CA file
    per connection (requests does, whenever REQUESTS_CA_BUNDLE is set) parses all of it every time,
    and ~140 public roots made a downstream call ~40 ms against ~6 ms for one certificate. An
    app under test has no business with real HTTPS hosts; one that must reach them can be given
    its own bundle in ``[tool.harness.env]`` (configured values win).
    """

    def __init__(self, bundle_path: Path) -> None:
        import trustme  # noqa: PLC0415  # only runs that serve TLS pay for importing cryptography

        self._ca = trustme.CA(organization_name="harness test CA")
        self._leaf = self._ca.issue_cert(*IDENTITIES, common_name="localhost")
        self.bundle_path = bundle_path
        #: The same certificates as a PKCS12 trust store for the JVM (``-Djavax.net.ssl.trustStore``),
        #: no password; None where this cryptography cannot write one (before 45).
        self.truststore_path: Path | None = None
        if _can_write_truststore():
            self.truststore_path = bundle_path.with_name(
                bundle_path.name.removesuffix(BUNDLE_SUFFIX) + TRUSTSTORE_SUFFIX
            )
        self._written = False
        self._lock = threading.Lock()

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate alone, PEM-encoded."""
        return self._ca.cert_pem.bytes()

    def server_context(self) -> ssl.SSLContext:
        """A server-side context presenting the certificate for :data:`IDENTITIES`."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._leaf.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting only this CA (for tests and health probes in-process)."""
        context = ssl.create_default_context()
        self._ca.configure_trust(context)
        return context

    def write_bundle(self) -> Path:
        """Write the trust bundle (idempotent) and return its path."""
        with self._lock:
            if not self._written:
                self.bundle_path.parent.mkdir(parents=True, exist_ok=True)
                temporary = self.bundle_path.with_name(self.bundle_path.name + ".tmp")
                pem = self.ca_pem
                temporary.write_bytes(pem)
                temporary.replace(self.bundle_path)
                if self.truststore_path is not None:
                    _write_truststore(self.truststore_path, pem)
                self._written = True
        return self.bundle_path

    def trust_env(self) -> dict[str, str]:
        """Environment variables making an app trust the mocks (writes the bundle first)."""
        bundle = str(self.write_bundle())
        return dict.fromkeys(TRUST_VARIABLES, bundle)

    def remove_bundle(self) -> None:
        """Remove the bundle (at the end of the run); :meth:`write_bundle` would write it again."""
        with self._lock:
            self.bundle_path.unlink(missing_ok=True)
            if self.truststore_path is not None:
                self.truststore_path.unlink(missing_ok=True)
            self._written = False


def _can_write_truststore() -> bool:
    from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: PLC0415

    return hasattr(pkcs12, "serialize_java_truststore")


def _write_truststore(path: Path, pem: bytes) -> None:
    """Write every certificate of ``pem`` as trusted entries of a password-less PKCS12 store."""
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives.serialization import NoEncryption, pkcs12  # noqa: PLC0415

    certificates = x509.load_pem_x509_certificates(pem)
    entries = [
        pkcs12.PKCS12Certificate(certificate, f"harness-{index}".encode())
        for index, certificate in enumerate(certificates)
    ]
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(pkcs12.serialize_java_truststore(entries, NoEncryption()))
    temporary.replace(path)
