"""A local HTTPS stand-in for the Alexa API (``context.System.apiEndpoint``).

ask-sdk's ``DefaultApiClient`` refuses plain HTTP, so the stand-in serves HTTPS on
127.0.0.1 (port 0) with a throw-away CA; point ``REQUESTS_CA_BUNDLE`` at ``ca_file``.
It records every request (method, path, headers, JSON body) and answers like the
Reminders API (create/list/delete with an in-memory store) and the settings API
(``/v2/devices/{id}/settings/System.timeZone``), unless a scripted answer is queued::

    with AlexaApiStandin() as api:
        api.script("POST", "/v1/alerts/reminders", 403, {"code": "FORBIDDEN"})
        ...
        api.requests[0].headers["Authorization"]
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import json
import ssl
import tempfile
import threading
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REMINDERS_PATH = "/v1/alerts/reminders"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None


@functools.cache
def _tls_material() -> tuple[bytes, bytes, bytes]:
    """(CA cert PEM, server cert PEM, server key PEM) for 127.0.0.1, made once a process."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Halsporre stand-in CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True,
            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return (
        ca.public_bytes(pem),
        leaf.public_bytes(pem),
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()),
    )


class AlexaApiStandin:
    """Start with ``start()`` (or ``with``); ``endpoint`` is ``https://127.0.0.1:<port>``."""

    def __init__(self, time_zone: str | None = "Europe/Stockholm") -> None:
        self.requests: list[Recorded] = []
        self.reminders: dict[str, dict[str, Any]] = {}
        self.time_zone = time_zone
        self._scripted: dict[tuple[str, str], deque[tuple[int, Any]]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._dir = tempfile.TemporaryDirectory(prefix="alexa-standin-")
        ca_pem, cert_pem, key_pem = _tls_material()
        folder = Path(self._dir.name)
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(ca_pem)
        (folder / "cert.pem").write_bytes(cert_pem)
        (folder / "key.pem").write_bytes(key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> AlexaApiStandin:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread:  # shutdown() waits for serve_forever, so only when started
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self._dir.cleanup()

    def __enter__(self) -> AlexaApiStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, method: str, path: str, status: int | None, body: Any = None,
               times: int = 1) -> None:
        """Answer the next ``times`` ``method`` requests to ``path`` (prefix match on the
        path without the query) with ``status`` and JSON ``body``; ``status=None``
        gives the normal answer (to script, say, the second request only)."""
        with self._lock:
            for _ in range(times):
                self._scripted[(method.upper(), path)].append((status, body))

    # -- answering ---------------------------------------------------------------------

    def _scripted_answer(self, method: str, path: str) -> tuple[int, Any] | None:
        with self._lock:
            for (m, prefix), queue in self._scripted.items():
                if m == method and path.startswith(prefix) and queue:
                    return queue.popleft()
        return None

    def _default_answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000")
        if path == REMINDERS_PATH and method == "POST":
            token = str(uuid.uuid4())
            with self._lock:
                self.reminders[token] = {"alertToken": token, "createdTime": now,
                                         "updatedTime": now, "status": "ON",
                                         "version": "1", **(body or {})}
            return 200, {"alertToken": token, "createdTime": now, "updatedTime": now,
                         "status": "ON", "version": "1", "href": f"{REMINDERS_PATH}/{token}"}
        if path == REMINDERS_PATH and method == "GET":
            with self._lock:
                alerts = list(self.reminders.values())
            return 200, {"totalCount": str(len(alerts)), "alerts": alerts, "links": None}
        if path.startswith(REMINDERS_PATH + "/"):
            token = path[len(REMINDERS_PATH) + 1:]
            with self._lock:
                if token not in self.reminders:
                    return 404, {"code": "NOT_FOUND", "message": "no such reminder"}
                if method == "DELETE":
                    del self.reminders[token]
                    return 200, None
                if method == "GET":
                    return 200, self.reminders[token]
        if path.startswith("/v2/devices/") and path.endswith("/settings/System.timeZone"):
            if self.time_zone is None:
                return 204, None
            return 200, self.time_zone
        return 404, {"code": "NOT_FOUND", "message": f"{method} {path}"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                path = self.path.split("?", 1)[0]
                with standin._lock:
                    standin.requests.append(Recorded(
                        self.command, self.path, dict(self.headers.items()), body))
                answer = standin._scripted_answer(self.command, path)
                if answer is None or answer[0] is None:
                    answer = standin._default_answer(self.command, path, body)
                status, payload = answer
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        return Handler
