"""skill.alexa.verify and skill.alexa.compat with real keys and certificates (tests/certs.py)."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.verification import Store

from skill.alexa import compat
from skill.alexa.verify import (
    AlexaRequestVerifier,
    LoggedTimestampVerifier,
    SkillIdVerifier,
    VerificationException,
    check_cert_url,
    default_fetcher,
)
from tests.certs import CERT_URL, SKILL_ID, TestPKI, envelope, headers

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI()


@pytest.fixture(scope="module")
def rogue() -> TestPKI:
    """Same shape, different (untrusted) root."""
    return TestPKI(prefix="rogue ")


class Fetcher:
    def __init__(self, chains: dict[str, bytes] | None = None, default: bytes | None = None):
        self.chains = chains or {}
        self.default = default
        self.calls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        if url in self.chains:
            return self.chains[url]
        if self.default is None:
            raise OSError("404")
        return self.default


def deserialize(body: bytes):
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    return DefaultSerializer().deserialize(body.decode("utf-8"), RequestEnvelope)


def run(verifier, body: bytes, hdrs: dict) -> None:
    verifier.verify(hdrs, body.decode("utf-8"), deserialize(body))


# -- AlexaRequestVerifier ---------------------------------------------------------------------

def test_valid_request_passes(pki):
    fetch = Fetcher(default=pki.chain_pem())
    v = AlexaRequestVerifier(fetcher=fetch, trusted_roots=[pki.root])
    body = envelope()
    run(v, body, headers(pki, body))
    assert fetch.calls == [CERT_URL]


def test_headers_are_case_insensitive(pki):
    v = AlexaRequestVerifier(fetcher=Fetcher(default=pki.chain_pem()), trusted_roots=[pki.root])
    body = envelope()
    run(v, body, {k.lower(): val for k, val in headers(pki, body).items()})


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    ],
)
def test_cert_url_accepted(url):
    check_cert_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "scheme"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com.evil.example/echo.api/c.pem", "host"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/../evil/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/evil/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api", "path"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "port"),
        ("https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem", "malformed"),
    ],
)
def test_cert_url_rejected(url, reason, caplog):
    with caplog.at_level(logging.WARNING, logger="skill.alexa.verify"):
        with pytest.raises(VerificationException, match=reason):
            check_cert_url(url)
    assert reason in caplog.text


def _expect_reject(verifier, body, hdrs, reason, caplog):
    with caplog.at_level(logging.WARNING, logger="skill.alexa.verify"):
        with pytest.raises(VerificationException, match=reason):
            run(verifier, body, hdrs)
    assert any(r.levelno == logging.WARNING and reason in r.getMessage() for r in caplog.records)


def test_missing_headers(pki, caplog):
    v = AlexaRequestVerifier(fetcher=Fetcher(default=pki.chain_pem()), trusted_roots=[pki.root])
    body = envelope()
    good = headers(pki, body)
    _expect_reject(v, body, {}, "missing SignatureCertChainUrl", caplog)
    no_sig = {k: x for k, x in good.items() if k != "Signature-256"}
    _expect_reject(v, body, no_sig, "missing Signature-256", caplog)
    legacy = dict(no_sig, Signature=pki.sign(body, hashes.SHA1()))
    _expect_reject(v, body, legacy, "legacy SHA-1 Signature not accepted", caplog)


def test_bad_signature_and_tampered_body(pki, rogue, caplog):
    v = AlexaRequestVerifier(fetcher=Fetcher(default=pki.chain_pem()), trusted_roots=[pki.root])
    body = envelope()
    good = headers(pki, body)
    _expect_reject(v, body, dict(good, **{"Signature-256": rogue.sign(body)}),
                   "signature does not match", caplog)
    _expect_reject(v, body, dict(good, **{"Signature-256": "not base64!!"}),
                   "not valid base64", caplog)
    tampered = body.replace(b"LaunchRequest", b"SessionEndedRequest")
    _expect_reject(v, tampered, good, "signature does not match", caplog)


@pytest.mark.parametrize(
    ("leaf_kwargs", "reason"),
    [
        ({"not_after": dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
          "not_before": dt.datetime.now(dt.UTC) - dt.timedelta(days=10)}, "expired"),
        ({"not_before": dt.datetime.now(dt.UTC) + dt.timedelta(days=1)}, "not yet valid"),
        ({"san": "evil.example.com"}, "SAN lacks echo-api.amazon.com"),
        ({"digital_signature": False}, "digitalSignature"),
    ],
)
def test_bad_leaf_rejected(pki, leaf_kwargs, reason, caplog):
    chain = pki.chain_pem(pki.leaf(**leaf_kwargs))
    fetch = Fetcher(default=chain)
    v = AlexaRequestVerifier(fetcher=fetch, trusted_roots=[pki.root])
    body = envelope()
    _expect_reject(v, body, headers(pki, body), reason, caplog)
    # a rejected chain is not cached: the next request fetches again
    _expect_reject(v, body, headers(pki, body), reason, caplog)
    assert len(fetch.calls) == 2


def test_untrusted_chain_rejected(pki, rogue, caplog):
    v = AlexaRequestVerifier(fetcher=Fetcher(default=rogue.chain_pem()), trusted_roots=[pki.root])
    body = envelope()
    _expect_reject(v, body, headers(rogue, body), "chain not trusted", caplog)


def test_missing_intermediate_rejected(pki, caplog):
    leaf_only = pki.leaf_cert.public_bytes(serialization.Encoding.PEM)
    v = AlexaRequestVerifier(fetcher=Fetcher(default=leaf_only), trusted_roots=[pki.root])
    body = envelope()
    _expect_reject(v, body, headers(pki, body), "chain not trusted", caplog)


def test_default_roots_do_not_trust_test_ca(pki, caplog):
    v = AlexaRequestVerifier(fetcher=Fetcher(default=pki.chain_pem()))  # certifi roots
    body = envelope()
    _expect_reject(v, body, headers(pki, body), "chain not trusted", caplog)


def test_fetch_failure_and_garbage(pki, caplog):
    v = AlexaRequestVerifier(fetcher=Fetcher(), trusted_roots=[pki.root])
    body = envelope()
    _expect_reject(v, body, headers(pki, body), "could not fetch", caplog)
    v = AlexaRequestVerifier(fetcher=Fetcher(default=b"hello"), trusted_roots=[pki.root])
    _expect_reject(v, body, headers(pki, body), "not valid PEM", caplog)


# -- cache ----------------------------------------------------------------------------------

def test_cache_hit_makes_no_fetch(pki):
    fetch = Fetcher(default=pki.chain_pem())
    v = AlexaRequestVerifier(fetcher=fetch, trusted_roots=[pki.root])
    for _ in range(3):
        body = envelope()
        run(v, body, headers(pki, body))
    assert fetch.calls == [CERT_URL]
    other = CERT_URL.replace("test", "other")
    run(v, body, headers(pki, body, other))
    assert fetch.calls == [CERT_URL, other]


def test_expired_cached_chain_is_refetched(pki):
    now = dt.datetime.now(dt.UTC)
    clock = {"now": now}
    short = pki.chain_pem(pki.leaf(not_after=now + dt.timedelta(hours=1)))
    fresh = pki.chain_pem()
    chains = [short, fresh]
    calls = []

    def fetch(url):
        calls.append(url)
        return chains[len(calls) - 1]

    v = AlexaRequestVerifier(fetcher=fetch, trusted_roots=[pki.root], clock=lambda: clock["now"])
    body = envelope()
    run(v, body, headers(pki, body))
    run(v, body, headers(pki, body))
    assert len(calls) == 1
    clock["now"] = now + dt.timedelta(hours=2)  # the cached leaf is now expired
    run(v, body, headers(pki, body))
    assert len(calls) == 2
    run(v, body, headers(pki, body))
    assert len(calls) == 2


def test_cache_is_bounded(pki):
    fetch = Fetcher(default=pki.chain_pem())
    v = AlexaRequestVerifier(fetcher=fetch, trusted_roots=[pki.root], cache_size=2)
    body = envelope()
    urls = [CERT_URL.replace("test", str(i)) for i in range(3)]
    for url in urls:
        run(v, body, headers(pki, body, url))
    run(v, body, headers(pki, body, urls[0]))  # evicted (least recently used) -> refetch
    run(v, body, headers(pki, body, urls[2]))  # still cached
    assert fetch.calls == [*urls, urls[0]]


def test_default_fetcher_reads_over_http_with_size_cap(tmp_path):
    import http.server
    import threading

    (tmp_path / "ok.pem").write_bytes(b"chain")
    (tmp_path / "big.pem").write_bytes(b"x" * (70 * 1024))

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(tmp_path), **kw)

        def do_GET(self):
            if self.path == "/moved.pem":
                self.send_response(302)
                self.send_header("Location", "/ok.pem")
                self.end_headers()
                return
            super().do_GET()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        assert default_fetcher(base + "/ok.pem") == b"chain"
        with pytest.raises(ValueError, match="too large"):
            default_fetcher(base + "/big.pem")
        with pytest.raises(urllib.error.HTTPError):  # redirects are not followed
            default_fetcher(base + "/moved.pem")
    finally:
        srv.shutdown()
        srv.server_close()


# -- timestamp and skill id -----------------------------------------------------------------

def test_timestamp_verifier(caplog):
    v = LoggedTimestampVerifier()
    for body in (envelope(age_s=10), envelope(age_s=-10), envelope(age_s=140)):
        run(v, body, {})
    _expect_reject(v, envelope(age_s=160), {}, "timestamp", caplog)
    _expect_reject(v, envelope(age_s=-160), {}, "timestamp", caplog)
    event = "AlexaSkillEvent.SkillEnabled"
    run(v, envelope(age_s=3000, request_type=event), {})
    _expect_reject(v, envelope(age_s=3700, request_type=event), {}, "timestamp", caplog)
    _expect_reject(v, envelope(timestamp="2024-01-01T00:00:00"), {}, "timestamp", caplog)


def test_skill_id_verifier(caplog):
    v = SkillIdVerifier(SKILL_ID)
    run(v, envelope(), {})
    _expect_reject(v, envelope(skill_id="amzn1.ask.skill.other"), {}, "skill id", caplog)
    with pytest.raises(ValueError):
        SkillIdVerifier("")


# -- skill.alexa.compat ----------------------------------------------------------------------

@pytest.mark.slow
def test_flask_ask_sdk_importable_in_fresh_subprocess():
    code = (
        "import logging; logging.basicConfig()\n"
        "from skill.alexa.compat import ensure_flask_ask_sdk_importable as ensure\n"
        "shim = ensure(); assert ensure() == shim\n"
        "import flask_ask_sdk.skill_adapter, ask_sdk_webservice_support.verifier\n"
        "print('shim' if shim else 'real')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in {"shim", "real"}
    if out.stdout.strip() == "shim":
        assert "replacement" in out.stderr  # the one-line warning
        assert out.stderr.count("WARNING") == 1


def test_ensure_is_idempotent():
    first = compat.ensure_flask_ask_sdk_importable()
    mod = sys.modules["certvalidator"]
    assert compat.ensure_flask_ask_sdk_importable() == first
    assert sys.modules["certvalidator"] is mod


def test_other_import_errors_are_not_masked(monkeypatch):
    monkeypatch.setitem(sys.modules, "certvalidator", None)  # "import certvalidator" fails
    with pytest.raises(ImportError):
        compat.ensure_flask_ask_sdk_importable()


def test_only_the_version_detection_error_triggers_the_shim():
    from oscrypto.errors import LibraryNotFoundError

    assert compat._is_oscrypto_version_error(
        LibraryNotFoundError("Error detecting the version of libcrypto"))
    assert not compat._is_oscrypto_version_error(
        LibraryNotFoundError("The library libcrypto could not be found"))
    assert not compat._is_oscrypto_version_error(ImportError("x"))


@pytest.fixture
def shim_trusting(monkeypatch):
    def trust(pki):
        monkeypatch.setattr(compat.CertificateValidator, "trust_store", Store([pki.root]))
    return trust


def _der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def test_shim_validator_accepts_trusted_chain(pki, shim_trusting):
    shim_trusting(pki)
    cv = compat.CertificateValidator(_der(pki.leaf_cert), [_der(pki.inter)])
    chain = cv.validate_usage(key_usage={"digital_signature"})
    assert chain[-1] == pki.root
    # PEM input and EKU request work like certvalidator's
    cv = compat.CertificateValidator(pki.chain_pem(pki.leaf_cert), [_der(pki.inter)])
    cv.validate_usage({"digital_signature"}, extended_key_usage={"server_auth"})


def test_shim_validator_rejects(pki, rogue, shim_trusting):
    shim_trusting(pki)
    with pytest.raises(compat.ValidationError, match="path"):
        compat.CertificateValidator(_der(rogue.leaf_cert), [_der(rogue.inter)]).validate_usage(
            key_usage={"digital_signature"})
    with pytest.raises(compat.ValidationError, match="path"):  # intermediate missing
        compat.CertificateValidator(_der(pki.leaf_cert), []).validate_usage({"digital_signature"})
    expired = pki.leaf(not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=9),
                       not_after=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    with pytest.raises(compat.ValidationError):
        compat.CertificateValidator(_der(expired), [_der(pki.inter)]).validate_usage(
            {"digital_signature"})
    no_sig = pki.leaf(digital_signature=False)
    with pytest.raises(compat.InvalidCertificateError, match="digital_signature"):
        compat.CertificateValidator(_der(no_sig), [_der(pki.inter)]).validate_usage(
            {"digital_signature"})
    with pytest.raises(compat.InvalidCertificateError, match=r"1\.3\.6\.1\.5\.5\.7\.3\.3"):
        compat.CertificateValidator(_der(pki.leaf_cert), [_der(pki.inter)]).validate_usage(
            {"digital_signature"}, extended_key_usage={"code_signing"})
    with pytest.raises(compat.ValidationError, match="unparseable"):
        compat.CertificateValidator(b"garbage", []).validate_usage({"digital_signature"})
    with pytest.raises(NotImplementedError):
        compat.CertificateValidator(_der(pki.leaf_cert), [], validation_context=object())


def test_sdk_request_verifier_uses_the_shim(pki, rogue, shim_trusting):
    """ask-sdk's own RequestVerifier chain check runs on the replacement when installed."""
    if not compat.ensure_flask_ask_sdk_importable():
        pytest.skip("real certvalidator works here")
    from ask_sdk_webservice_support.verifier import RequestVerifier

    shim_trusting(pki)
    RequestVerifier()._validate_cert_chain(pki.chain_pem())
    with pytest.raises(VerificationException):
        RequestVerifier()._validate_cert_chain(rogue.chain_pem())


def test_weak_or_non_rsa_leaf_key_rejected(pki, caplog):
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from tests.certs import make_leaf, pem

    for key in (rsa.generate_private_key(65537, 1024), ec.generate_private_key(ec.SECP256R1())):
        chain = pem(make_leaf(pki.inter, pki.inter_key, key), pki.inter)
        v = AlexaRequestVerifier(fetcher=Fetcher(default=chain), trusted_roots=[pki.root])
        body = envelope()
        _expect_reject(v, body, headers(pki, body), "not RSA >= 2048", caplog)
