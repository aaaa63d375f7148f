"""Alexa request verification with ``cryptography`` only (no certvalidator/oscrypto).

Implements Amazon's "host a custom skill as a web service" checks:

1. ``SignatureCertChainUrl``: scheme ``https`` and host ``s3.amazonaws.com`` (both
   case-insensitive), port 443 or none, path (percent-decoded, ``.``/``..`` resolved) starting
   with ``/echo.api/`` (case-sensitive).
2. The PEM chain at that URL (fetched with a short timeout, size-capped, cached): the leaf is
   inside its validity window, its SAN contains ``echo-api.amazon.com``, its keyUsage has
   digitalSignature, its key is RSA >= 2048 bits, and ``cryptography``'s WebPKI path validation
   (``PolicyBuilder.build_server_verifier(DNSName("echo-api.amazon.com"))``) finds a path to a
   trusted root (certifi's Mozilla bundle by default).
3. ``Signature-256``: base64 RSA PKCS#1 v1.5 SHA-256 signature over the raw body bytes.
   The legacy SHA-1 ``Signature`` header is NOT accepted as a fallback: Alexa sends
   ``Signature-256`` with every request, ask-sdk's own verifier reads only
   ``Signature-256``, and SHA-1 is deprecated, so a fallback would only add attack surface.
4. Timestamp: ask-sdk's ``TimestampVerifier`` (|now - request.timestamp| <= 150 s, 3600 s for
   ``AlexaSkillEvent.*``), wrapped so malformed timestamps and rejections are logged and
   surface as ``VerificationException`` (never a 500).
5. Skill id (optional): ``SkillIdVerifier``.  ask-sdk's own check (``skill_id`` on the skill
   builder) raises a plain ``AskSdkException``, which flask-ask-sdk turns into HTTP 500; this
   verifier rejects with ``VerificationException`` -> HTTP 400 before any handler runs.

Every rejection raises ``VerificationException`` with a reason and logs it at WARNING.
"""

from __future__ import annotations

import base64
import binascii
import collections
import datetime as dt
import logging
import posixpath
import ssl
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from skill.alexa.compat import certifi_store, ensure_flask_ask_sdk_importable

ensure_flask_ask_sdk_importable()

from ask_sdk_webservice_support.verifier import (  # noqa: E402
    AbstractVerifier,
    TimestampVerifier,
    VerificationException,
)

__all__ = [
    "AlexaRequestVerifier",
    "LoggedTimestampVerifier",
    "SkillIdVerifier",
    "VerificationException",
    "default_fetcher",
]

log = logging.getLogger(__name__)

CERT_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_256_HEADER = "Signature-256"
LEGACY_SIGNATURE_HEADER = "Signature"
CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
ALEXA_SAN = "echo-api.amazon.com"
FETCH_TIMEOUT_S = 5.0
MAX_CHAIN_BYTES = 64 * 1024


def _reject(reason: str, exc: BaseException | None = None) -> VerificationException:
    log.warning("Alexa request rejected: %s", reason)
    return VerificationException(reason) if exc is None else VerificationException(reason, exc)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx becomes an HTTPError: we only ever read the validated URL


def default_fetcher(url: str) -> bytes:
    """GET ``url`` over verified TLS (certifi roots), no redirects, 5 s timeout, <= 64 KiB."""
    ctx = ssl.create_default_context()
    try:
        import certifi

        ctx.load_verify_locations(certifi.where())
    except ImportError:  # pragma: no cover - certifi is a dependency
        pass
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), _NoRedirect)
    with opener.open(url, timeout=FETCH_TIMEOUT_S) as resp:
        data = resp.read(MAX_CHAIN_BYTES + 1)
    if len(data) > MAX_CHAIN_BYTES:
        raise ValueError("certificate chain too large")
    return data


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def check_cert_url(url: str) -> None:
    """Raise VerificationException unless ``url`` is an allowed Alexa cert-chain URL."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _reject(f"certificate URL is malformed: {url!r}", exc) from exc
    if parts.scheme.lower() != "https":
        raise _reject(f"certificate URL scheme is not https: {url!r}")
    if (parts.hostname or "").lower() != CERT_HOST:
        raise _reject(f"certificate URL host is not {CERT_HOST}: {url!r}")
    if port is not None and port != 443:
        raise _reject(f"certificate URL port is not 443: {url!r}")
    path = posixpath.normpath(urllib.parse.unquote(parts.path)) if parts.path else ""
    if not path.startswith(CERT_PATH_PREFIX):
        raise _reject(f"certificate URL path does not start with {CERT_PATH_PREFIX}: {url!r}")


class AlexaRequestVerifier(AbstractVerifier):
    """Signature verifier for Alexa requests (see module docstring for every check).

    :param fetcher: ``url -> PEM bytes``; default :func:`default_fetcher`.
    :param trusted_roots: root certificates to trust; default certifi's bundle.
    :param cache_size: how many verified chains (by URL) to keep.
    :param clock: ``() -> aware datetime``; for tests.
    """

    def __init__(
        self,
        *,
        fetcher: Callable[[str], bytes] | None = None,
        trusted_roots: Iterable[x509.Certificate] | None = None,
        cache_size: int = 16,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._fetch = fetcher or default_fetcher
        self._store = Store(list(trusted_roots)) if trusted_roots is not None else None
        self._cache_size = max(1, cache_size)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        # url -> (leaf certificate, time the verified chain stops being valid)
        self._cache: collections.OrderedDict[str, tuple[x509.Certificate, dt.datetime]] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()

    # -- AbstractVerifier -----------------------------------------------------------------

    def verify(self, headers, serialized_request_env, deserialized_request_env) -> None:
        cert_url = _header(headers, CERT_URL_HEADER)
        signature = _header(headers, SIGNATURE_256_HEADER)
        if not cert_url:
            raise _reject(f"missing {CERT_URL_HEADER} header")
        if not signature:
            if _header(headers, LEGACY_SIGNATURE_HEADER):
                raise _reject(
                    f"missing {SIGNATURE_256_HEADER} header (legacy SHA-1 Signature not accepted)"
                )
            raise _reject(f"missing {SIGNATURE_256_HEADER} header")
        check_cert_url(cert_url)
        leaf = self._verified_leaf(cert_url)
        try:
            raw_sig = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _reject("Signature-256 is not valid base64", exc) from exc
        body = serialized_request_env
        if isinstance(body, str):
            body = body.encode("utf-8")
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise _reject("the signing certificate has no RSA key")
        try:
            key.verify(raw_sig, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise _reject("request body signature does not match", exc) from exc

    # -- certificate chain ----------------------------------------------------------------

    def _verified_leaf(self, url: str) -> x509.Certificate:
        now = self._clock()
        with self._lock:
            hit = self._cache.get(url)
            if hit is not None:
                if now < hit[1]:
                    self._cache.move_to_end(url)
                    return hit[0]
                del self._cache[url]
        try:
            data = self._fetch(url)
        except Exception as exc:
            raise _reject(f"could not fetch certificate chain from {url!r}: {exc}", exc) from exc
        leaf, expires = self._validate_chain(data, now)
        with self._lock:
            self._cache[url] = (leaf, expires)
            self._cache.move_to_end(url)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return leaf

    def _validate_chain(
        self, data: bytes, now: dt.datetime
    ) -> tuple[x509.Certificate, dt.datetime]:
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError as exc:
            raise _reject("certificate chain is not valid PEM", exc) from exc
        leaf, intermediates = certs[0], certs[1:]
        if now < leaf.not_valid_before_utc:
            raise _reject(f"signing certificate not yet valid (from {leaf.not_valid_before_utc})")
        if now > leaf.not_valid_after_utc:
            raise _reject(f"signing certificate expired (at {leaf.not_valid_after_utc})")
        try:
            san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = san.get_values_for_type(x509.DNSName)
        except x509.ExtensionNotFound:
            names = []
        if ALEXA_SAN not in names:
            raise _reject(f"signing certificate SAN lacks {ALEXA_SAN} (has {names})")
        try:
            ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
            signing = ku.digital_signature
        except x509.ExtensionNotFound:
            signing = False
        if not signing:
            raise _reject("signing certificate keyUsage lacks digitalSignature")
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
            raise _reject("signing certificate key is not RSA >= 2048 bits")
        verifier = (
            PolicyBuilder()
            .store(self._store or certifi_store())
            .time(now)
            .build_server_verifier(x509.DNSName(ALEXA_SAN))
        )
        try:
            chain = verifier.verify(leaf, intermediates)
        except VerificationError as exc:
            raise _reject(f"certificate chain not trusted: {exc}", exc) from exc
        return leaf, min(c.not_valid_after_utc for c in chain)


class LoggedTimestampVerifier(TimestampVerifier):
    """ask-sdk's ``TimestampVerifier`` (150 s; 3600 s for skill events) with logging, and
    malformed/naive timestamps rejected as ``VerificationException`` instead of a 500."""

    def verify(self, headers, serialized_request_env, deserialized_request_env) -> None:
        try:
            super().verify(headers, serialized_request_env, deserialized_request_env)
        except VerificationException as exc:
            raise _reject(f"timestamp outside tolerance or missing ({exc})") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise _reject(f"timestamp unusable: {exc}", exc) from exc


class SkillIdVerifier(AbstractVerifier):
    """Reject requests whose application id is not ``skill_id`` (HTTP 400, not 500)."""

    def __init__(self, skill_id: str) -> None:
        if not skill_id:
            raise ValueError("skill_id must be a non-empty string")
        self._skill_id = skill_id

    def verify(self, headers, serialized_request_env, deserialized_request_env) -> None:
        env = deserialized_request_env
        app_id = None
        try:
            app_id = env.context.system.application.application_id
        except AttributeError:
            try:
                app_id = env.session.application.application_id
            except AttributeError:
                pass
        if app_id != self._skill_id:
            raise _reject(f"skill id {app_id!r} is not the configured skill id")
