"""Alexa request verification with ``cryptography`` only (no certvalidator/oscrypto).

Implements Amazon's "host a custom skill as a web service" checks, cheapest first; 1-3 need
only the headers and the raw body and run before the body is parsed
(:mod:`skill.alexa.webservice`):

1. ``SignatureCertChainUrl``: at most 1024 characters; scheme ``https`` and host
   ``s3.amazonaws.com`` (both case-insensitive), port 443 or none, path (percent-decoded,
   ``.``/``..`` resolved) starting with ``/echo.api/`` (case-sensitive). User info, query
   and fragment are dropped: :func:`canonical_cert_url` is the one spelling that is cached
   and fetched.
2. The PEM chain at that URL (fetched with a short timeout, size-capped; cached by canonical
   URL until the chain's earliest ``notAfter``; a failed fetch or an invalid chain is cached
   too and retried after 5 s, doubling to 5 min; one fetch in flight per URL, at most four
   at once - :class:`CertChainCache`): the leaf is inside its validity window, its SAN
   contains ``echo-api.amazon.com``, its keyUsage has digitalSignature, its key is RSA >=
   2048 bits, and ``cryptography``'s WebPKI path validation
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
6. Replays: ``ReplayVerifier`` refuses a ``requestId`` seen while its timestamp is still
   inside the tolerance (:mod:`skill.alexa.replay` keeps them).

Every rejection raises ``VerificationException`` with a reason and logs exactly one WARNING
line (values cut to 120 characters, never a traceback).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import posixpath
import re
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from skill.alexa.certcache import CertChainCache
from skill.alexa.compat import certifi_store, ensure_flask_ask_sdk_importable

ensure_flask_ask_sdk_importable()

from ask_sdk_webservice_support.verifier import (  # noqa: E402
    AbstractVerifier,
    TimestampVerifier,
    VerificationException,
)
from ask_sdk_webservice_support.verifier_constants import (  # noqa: E402
    MAX_NORMAL_REQUEST_TOLERANCE_IN_MILLIS,
    MAX_SKILL_EVENT_TOLERANCE_IN_MILLIS,
)

__all__ = [
    "AlexaRequestVerifier",
    "CertChainCache",
    "LoggedTimestampVerifier",
    "ReplayVerifier",
    "SkillIdVerifier",
    "canonical_cert_url",
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


MAX_CERT_URL_CHARS = 1024
MAX_REQUEST_ID_CHARS = 256
REQUEST_TOLERANCE_S = MAX_NORMAL_REQUEST_TOLERANCE_IN_MILLIS / 1000
SKILL_EVENT_TOLERANCE_S = MAX_SKILL_EVENT_TOLERANCE_IN_MILLIS / 1000
#: what a canonical certificate path may contain (Amazon's are ``/echo.api/echo-api-cert-N.pem``)
_SAFE_PATH = re.compile(r"/echo\.api/[A-Za-z0-9._~/-]+")
_LOGGED_CHARS = 120


def short(value: object) -> str:
    """``repr`` of ``value`` cut to a log-friendly length (control characters escaped)."""
    text = repr(value)
    return text if len(text) <= _LOGGED_CHARS else f"{text[:_LOGGED_CHARS]}... ({len(text)} chars)"


def _reject(reason: str, exc: BaseException | None = None) -> VerificationException:
    """The one log line of a rejection (its reason, never a traceback) and the exception."""
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


def canonical_cert_url(url: str) -> str:
    """The one spelling of an allowed Alexa cert-chain URL, or VerificationException.

    Scheme and host compare case-insensitively, port 443 may be written or not, user info,
    query and fragment are dropped and the path is percent-decoded with dot segments
    resolved (Amazon's "normalise the URL"); the path must then start with ``/echo.api/``
    (case-sensitive) and hold only plain URL characters. Every spelling of one certificate
    is one cache key and one fetch, and only the canonical URL is ever fetched.
    """
    if len(url) > MAX_CERT_URL_CHARS:
        raise _reject(f"certificate URL is too long ({len(url)} characters)")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _reject(f"certificate URL is malformed: {short(url)}", exc) from exc
    if parts.scheme.lower() != "https":
        raise _reject(f"certificate URL scheme is not https: {short(url)}")
    if (parts.hostname or "").lower() != CERT_HOST:
        raise _reject(f"certificate URL host is not {CERT_HOST}: {short(url)}")
    if port is not None and port != 443:
        raise _reject(f"certificate URL port is not 443: {short(url)}")
    path = posixpath.normpath(urllib.parse.unquote(parts.path)) if parts.path else ""
    if not path.startswith(CERT_PATH_PREFIX):
        raise _reject(f"certificate URL path does not start with {CERT_PATH_PREFIX}: "
                      f"{short(url)}")
    if not _SAFE_PATH.fullmatch(path):
        raise _reject(f"certificate URL path has unexpected characters: {short(url)}")
    return f"https://{CERT_HOST}{path}"


def check_cert_url(url: str) -> None:
    """Raise VerificationException unless ``url`` is an allowed Alexa cert-chain URL."""
    canonical_cert_url(url)


class AlexaRequestVerifier(AbstractVerifier):
    """Signature verifier for Alexa requests (see module docstring for every check).

    Needs only the headers and the raw body (``deserialized_request_env`` is ignored), so
    it runs before the body is parsed (:mod:`skill.alexa.webservice`).

    :param fetcher: ``url -> PEM bytes``; default :func:`default_fetcher`.
    :param trusted_roots: root certificates to trust; default certifi's bundle.
    :param cache_size: how many verified chains (by canonical URL) to keep.
    :param clock: ``() -> aware datetime``; for tests.
    :param monotonic: ``() -> seconds`` for the failed-fetch backoff; for tests.
    """

    needs_envelope = False

    def __init__(
        self,
        *,
        fetcher: Callable[[str], bytes] | None = None,
        trusted_roots: Iterable[x509.Certificate] | None = None,
        cache_size: int = 16,
        clock: Callable[[], dt.datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetcher or default_fetcher
        self._store = Store(list(trusted_roots)) if trusted_roots is not None else None
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._chains = CertChainCache(self._load_chain, reject=_reject, describe=short,
                                      size=cache_size, monotonic=monotonic,
                                      fetch_timeout=FETCH_TIMEOUT_S)

    # -- AbstractVerifier -----------------------------------------------------------------

    def verify(self, headers, serialized_request_env, deserialized_request_env=None) -> None:
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
        if len(signature) > 4096:
            raise _reject("Signature-256 is too long")
        try:
            raw_sig = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _reject("Signature-256 is not valid base64", exc) from exc
        leaf = self._chains.leaf(canonical_cert_url(cert_url), self._clock())
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

    def _load_chain(self, url: str) -> tuple[x509.Certificate, dt.datetime]:
        return self._validate_chain(self._fetch(url), self._clock())

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
            raise _reject(f"signing certificate SAN lacks {ALEXA_SAN} (has {short(names)})")
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
            raise _reject(f"certificate chain not trusted: {short(str(exc))}", exc) from exc
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
    """Reject requests whose application id is not ``skill_id`` (HTTP 400, not 500).

    The id must be in ``context.System.application`` (where Alexa always puts it and where
    ask-sdk's own check reads it); ``session.application``, when present, must agree.
    """

    def __init__(self, skill_id: str) -> None:
        if not skill_id:
            raise ValueError("skill_id must be a non-empty string")
        self._skill_id = skill_id

    def verify(self, headers, serialized_request_env, deserialized_request_env) -> None:
        env = deserialized_request_env
        system_app = getattr(getattr(getattr(env, "context", None), "system", None),
                             "application", None)
        app_id = getattr(system_app, "application_id", None)
        if app_id is None:
            raise _reject("request has no context.System.application.applicationId")
        if app_id != self._skill_id:
            raise _reject(f"skill id {short(app_id)} is not the configured skill id")
        session_app = getattr(getattr(env, "session", None), "application", None)
        session_id = getattr(session_app, "application_id", None)
        if session_app is not None and session_id != self._skill_id:
            raise _reject(f"session skill id {short(session_id)} is not the configured skill id")


class ReplayVerifier(AbstractVerifier):
    """Refuse a ``requestId`` already seen while its timestamp is still acceptable.

    Runs after the timestamp check: a request is remembered until its timestamp leaves the
    tolerance (150 s; 1 h for skill events), so a replay is refused by this verifier
    within the window and by the timestamp check after it.

    :param store: a :class:`skill.alexa.replay.ReplayStore` (shared by the workers that use
        the same SQLite file; see :mod:`skill.alexa.replay`).
    """

    def __init__(self, store: Any, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    def verify(self, headers, serialized_request_env, deserialized_request_env) -> None:
        request = getattr(deserialized_request_env, "request", None)
        request_id = getattr(request, "request_id", None)
        stamp = getattr(request, "timestamp", None)
        if not isinstance(request_id, str) or not 0 < len(request_id) <= MAX_REQUEST_ID_CHARS:
            raise _reject(f"request id missing or too long: {short(request_id)}")
        if not isinstance(stamp, dt.datetime) or stamp.tzinfo is None:
            raise _reject("timestamp unusable for replay protection")
        kind = getattr(request, "object_type", None) or ""
        tolerance = (SKILL_EVENT_TOLERANCE_S if kind.startswith("AlexaSkillEvent.")
                     else REQUEST_TOLERANCE_S)
        now = self._clock()
        expires = max(stamp.timestamp(), now) + tolerance
        if not self._store.first_sight(request_id, expires, now):
            raise _reject(f"replayed request id {short(request_id)} (seen within "
                          f"{tolerance:.0f} s)")
