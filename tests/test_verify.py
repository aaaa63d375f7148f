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
    ReplayVerifier,
    SkillIdVerifier,
    VerificationException,
    canonical_cert_url,
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
        "https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/./echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem?q=1#f",
        "https://s3.amazonaws.com/echo.api/echo-api-cert%2Epem",
    ],
)
def test_cert_url_accepted_in_one_canonical_spelling(url):
    check_cert_url(url)
    assert canonical_cert_url(url) == "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"


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
        ("https://s3.amazonaws.com/echo.api/a b.pem", "unexpected characters"),
        ("https://s3.amazonaws.com/echo.api/%00.pem", "unexpected characters"),
        ("https://s3.amazonaws.com/echo.api/" + "a" * 2000, "too long"),
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
    clock = {"t": 0.0}
    v = AlexaRequestVerifier(fetcher=fetch, trusted_roots=[pki.root],
                             monotonic=lambda: clock["t"])
    body = envelope()
    _expect_reject(v, body, headers(pki, body), reason, caplog)
    # a rejected chain is remembered: no new fetch until the backoff has passed
    _expect_reject(v, body, headers(pki, body), "failed recently", caplog)
    assert len(fetch.calls) == 1
    clock["t"] = 6.0
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


def _without(body: bytes, *path: str) -> bytes:
    import json

    data = json.loads(body)
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return json.dumps(data).encode()


def test_skill_id_verifier_needs_the_system_application(caplog):
    """The SDK's own check reads context.System.application: without it, a 400 here (it
    was a 500 from the SDK); the session's copy must agree too."""
    v = SkillIdVerifier(SKILL_ID)
    _expect_reject(v, _without(envelope(), "context", "System", "application"), {},
                   "no context.System.application", caplog)
    mixed = envelope()
    mixed = mixed.replace(b'"session": {"new": true, "sessionId": "amzn1.echo-api.session.TEST", '
                          b'"application": {"applicationId": "' + SKILL_ID.encode(),
                          b'"session": {"new": true, "sessionId": "amzn1.echo-api.session.TEST", '
                          b'"application": {"applicationId": "amzn1.ask.skill.other')
    assert b"amzn1.ask.skill.other" in mixed
    _expect_reject(v, mixed, {}, "session skill id", caplog)
    run(v, _without(envelope(), "session"), {})  # no session (skill events): fine


# -- replays ----------------------------------------------------------------------------------

@pytest.fixture(params=["memory", "sqlite"])
def replay_store(request, tmp_path):
    from skill.alexa.replay import MemoryReplayStore, SQLiteReplayStore

    if request.param == "memory":
        return MemoryReplayStore(max_entries=50)
    return SQLiteReplayStore(tmp_path / "replay.sqlite3", max_entries=50)


def test_replay_refused_within_window_and_forgotten_after(replay_store, caplog):
    clock = {"t": dt.datetime.now(dt.UTC).timestamp()}
    v = ReplayVerifier(replay_store, clock=lambda: clock["t"])
    body = envelope(request_id="amzn1.echo-api.request.once")
    run(v, body, {})
    _expect_reject(v, body, {}, "replayed request id", caplog)
    clock["t"] += 100
    _expect_reject(v, body, {}, "replayed request id", caplog)
    run(v, envelope(), {})  # another id: fine
    clock["t"] += 60  # the timestamp check refuses it from now on; the id may go
    run(v, body, {})


def test_replay_window_of_skill_events_is_an_hour(replay_store, caplog):
    clock = {"t": dt.datetime.now(dt.UTC).timestamp()}
    v = ReplayVerifier(replay_store, clock=lambda: clock["t"])
    body = envelope(request_type="AlexaSkillEvent.SkillDisabled", request_id="ev-1")
    run(v, body, {})
    clock["t"] += 3000
    _expect_reject(v, body, {}, "replayed", caplog)


def test_replay_store_is_bounded(replay_store):
    now = 1000.0
    for i in range(120):
        assert replay_store.first_sight(f"id-{i}", now + 150, now)
    if hasattr(replay_store, "__len__"):
        assert len(replay_store) <= 50
    else:
        import sqlite3

        with sqlite3.connect(replay_store.path) as conn:
            assert conn.execute("SELECT count(*) FROM seen").fetchone()[0] <= 50
    assert not replay_store.first_sight("id-119", now + 150, now)  # recent ones stay
    assert replay_store.first_sight("id-0", now + 300, now + 200)  # expired ones go


def test_sqlite_replay_store_is_shared_between_processes(tmp_path):
    """Two processes (as gunicorn's workers) on one file: the second sees the first's id."""
    db = tmp_path / "replay.sqlite3"
    code = ("import sys; from skill.alexa.replay import SQLiteReplayStore as S; "
            "print(S(sys.argv[1]).first_sight('shared-id', 2e9, 1e9))")
    outs = [subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True,
                           text=True, cwd=REPO, timeout=60).stdout.strip() for _ in range(2)]
    assert outs == ["True", "False"]


def test_unusable_replay_store_lets_requests_through_with_a_log_line(tmp_path, caplog):
    from skill.alexa.replay import SQLiteReplayStore

    (tmp_path / "file").write_text("not a folder")
    store = SQLiteReplayStore(tmp_path / "file" / "replay.sqlite3")
    with caplog.at_level(logging.WARNING, logger="skill.alexa.replay"):
        assert store.first_sight("x", 2e9, 1e9)
    assert "unusable" in caplog.text


def test_replay_verifier_refuses_absurd_request_ids(caplog):
    from skill.alexa.replay import MemoryReplayStore

    v = ReplayVerifier(MemoryReplayStore())
    _expect_reject(v, envelope(request_id="r" * 300), {}, "request id", caplog)


# -- the certificate cache under attack -------------------------------------------------------

def test_failed_fetches_back_off_exponentially(pki, caplog):
    clock = {"t": 0.0}
    fetch = Fetcher()  # every fetch fails
    v = AlexaRequestVerifier(fetcher=fetch, trusted_roots=[pki.root],
                             monotonic=lambda: clock["t"])
    body = envelope()
    hdrs = headers(pki, body)
    for _ in range(100):
        with pytest.raises(VerificationException):
            run(v, body, hdrs)
    assert len(fetch.calls) == 1
    tries = []
    for t in (4.9, 5.1, 9.0, 15.2, 30.0, 35.4):  # backoff 5 s, then 10 s, then 20 s
        clock["t"] = t
        with pytest.raises(VerificationException):
            run(v, body, hdrs)
        tries.append(len(fetch.calls))
    assert tries == [1, 2, 2, 3, 3, 4]


def test_every_spelling_of_one_url_is_one_fetch(pki):
    fetch = Fetcher(default=pki.chain_pem())
    v = AlexaRequestVerifier(fetcher=fetch, trusted_roots=[pki.root])
    base = "s3.amazonaws.com/echo.api/echo-api-cert.pem"
    for url in (f"https://{base}", "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
                "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem", f"https://user@{base}",
                "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
                f"https://{base}?q#f"):
        body = envelope()
        run(v, body, headers(pki, body, url))
    assert fetch.calls == [f"https://{base}"]


def test_one_fetch_in_flight_per_url(pki):
    import threading

    gate = threading.Event()
    calls = []

    def slow_fetch(url):
        calls.append(url)
        gate.wait(5)
        return pki.chain_pem()

    v = AlexaRequestVerifier(fetcher=slow_fetch, trusted_roots=[pki.root])
    results: list[str] = []

    def client():
        body = envelope()
        try:
            run(v, body, headers(pki, body))
            results.append("ok")
        except VerificationException as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=client) for _ in range(6)]
    for t in threads:
        t.start()
    for _ in range(200):
        if calls:
            break
        threading.Event().wait(0.01)
    threading.Event().wait(0.1)
    gate.set()
    for t in threads:
        t.join(10)
    assert calls == [CERT_URL]
    assert results == ["ok"] * 6


def test_rejections_log_one_short_line_without_traceback(pki, caplog):
    v = AlexaRequestVerifier(fetcher=Fetcher(), trusted_roots=[pki.root])
    body = envelope()
    long_url = "https://s3.amazonaws.com/echo.api/" + "a" * 900 + ".pem"
    with caplog.at_level(logging.DEBUG):
        for _ in range(2):
            with pytest.raises(VerificationException):
                run(v, body, headers(pki, body, long_url))
    assert len(caplog.records) == 2
    assert all(r.exc_info is None and len(r.getMessage()) < 400 for r in caplog.records)


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


def test_fetches_at_once_are_capped(pki):
    """Different URLs each get a fetch, but only a few at once: the rest are refused (and
    not cached as failures)."""
    import threading

    from skill.alexa.certcache import CertChainCache

    gate, started = threading.Event(), threading.Event()

    def load(url):
        started.set()
        gate.wait(5)
        return pki.leaf_cert, dt.datetime.now(dt.UTC) + dt.timedelta(days=1)

    def reject(reason, exc=None):
        return VerificationException(reason)

    cache = CertChainCache(load, reject=reject, max_in_flight=1)
    now = dt.datetime.now(dt.UTC)
    first = threading.Thread(target=cache.leaf, args=("https://a/echo.api/1.pem", now))
    first.start()
    assert started.wait(5)
    with pytest.raises(VerificationException, match="too many certificate fetches"):
        cache.leaf("https://a/echo.api/2.pem", now)
    gate.set()
    first.join(5)
    assert cache.leaf("https://a/echo.api/2.pem", now) is pki.leaf_cert  # not remembered
