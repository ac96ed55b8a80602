"""What one request to a mock costs over plain HTTP and over TLS, the way an app's client makes it.

Usage: python bench/tls_request.py [--requests N] [--runs R]

A ``MockService`` answering a small JSON body; ``requests.post`` with a new connection per request
(as the sample app makes its Search and Content Safety calls), and with one ``Session``
(keep-alive). Over TLS the client verifies with a CA file, as an app given REQUESTS_CA_BUNDLE
does, either the run's CA alone (what harness writes) or the CA followed by the system's public
roots (what it wrote before 2026-11-25). Also printed: how long ``ssl.create_default_context``
takes to load each file, which requests does for every new connection when given a CA path.
Medians of R runs of N requests each. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from harness.mocks import MockService
from harness.run.tls import CertificateAuthority


def _system_roots() -> bytes:
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_bytes()
    return b""


def _median_ms(action: Callable[[], object], count: int) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="harness-bench-") as tmp:
        ca = CertificateAuthority(Path(tmp) / "ca.pem")
        alone = ca.write_bundle()
        with_roots = Path(tmp) / "with-roots.pem"
        with_roots.write_bytes(ca.ca_pem + b"\n" + _system_roots())
        print(f"CA alone: 1 certificate; with the system roots: {with_roots.read_text().count('BEGIN')}")

        for verify_file in (alone, with_roots):
            loads = [
                _median_ms(lambda f=verify_file: ssl.create_default_context(cafile=str(f)), 20)
                for _ in range(args.runs)
            ]
            print(f"load {verify_file.name}: {statistics.median(loads):.2f} ms")

        plain = MockService("plain")
        tls = MockService("tls", ssl_context=ca.server_context())
        rows: dict[str, list[float]] = {}
        for service in (plain, tls):
            service.start()
            service.expect_request("/chat", method="POST").respond_with_json({"ok": True})
        try:
            for _ in range(args.runs):
                cases: list[tuple[str, str, object]] = [("plain", plain.url, True)]
                cases += [(f"TLS, {f.name}", tls.url, str(f)) for f in (alone, with_roots)]
                for label, url, verify in cases:

                    def new_connection(url: str = url, verify: object = verify) -> None:
                        requests.post(url + "/chat", json={"q": 1}, verify=verify, timeout=10)

                    session = requests.Session()

                    # verify per call: an inherited REQUESTS_CA_BUNDLE beats a Session's own
                    # ``verify`` (requests merges the environment in over it).
                    def keep_alive(
                        url: str = url, verify: object = verify, session: requests.Session = session
                    ) -> None:
                        session.post(url + "/chat", json={"q": 1}, verify=verify, timeout=10)

                    rows.setdefault(f"{label}, new connection", []).append(
                        _median_ms(new_connection, args.requests)
                    )
                    rows.setdefault(f"{label}, keep-alive", []).append(_median_ms(keep_alive, args.requests))
                    session.close()
        finally:
            plain.stop()
            tls.stop()

    print(f"\nms per request, medians of {args.runs} runs of {args.requests}\n")
    print("| client | ms per request |")
    print("| --- | ---: |")
    for label, values in rows.items():
        print(f"| {label} | {statistics.median(values):.1f} |")


if __name__ == "__main__":
    main()
