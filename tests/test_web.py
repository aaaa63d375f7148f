"""skill.frontends.web end to end: Flask test client and a real threaded werkzeug server on
loopback.

Verification stays ON: requests are signed with tests/certs.py's test PKI and the verifier
is given that PKI's root as its only trusted root.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type

from skill.alexa.verify import AlexaRequestVerifier
from skill.frontends.web import create_app
from tests.certs import CERT_URL, SKILL_ID, TestPKI, envelope, headers

NOW = dt.datetime.now(dt.UTC)


class Launch(AbstractRequestHandler):
    def __init__(self):
        self.calls = 0

    def can_handle(self, handler_input):
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input):
        self.calls += 1
        return handler_input.response_builder.speak("Hej!").response


def make_skill():
    handler = Launch()
    sb = SkillBuilder()
    sb.add_request_handler(handler)
    return sb.create(), handler


@pytest.fixture(scope="module")
def pki():
    return TestPKI()


@pytest.fixture(scope="module")
def rogue():
    return TestPKI(prefix="rogue ")


class Fetcher:
    def __init__(self, chain: bytes):
        self.chain = chain
        self.calls: list[str] = []

    def __call__(self, url):
        self.calls.append(url)
        return self.chain


@pytest.fixture
def setup(pki):
    """(client, launch handler, fetcher) with verification on and skill id configured."""

    def make(chain: bytes | None = None, skill_id: str | None = SKILL_ID, verify=True):
        skill, handler = make_skill()
        fetch = Fetcher(chain or pki.chain_pem())
        verifier = AlexaRequestVerifier(fetcher=fetch, trusted_roots=[pki.root])
        app = create_app(skill, verify=verify, skill_id=skill_id, verifier=verifier)
        return app.test_client(), handler, fetch

    return make


def post(client, body, hdrs, path="/alexa"):
    return client.post(path, data=body, headers=hdrs)


def test_signed_fresh_request_is_answered(setup, pki):
    client, handler, fetch = setup()
    body = envelope()
    resp = post(client, body, headers(pki, body))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "Hej!" in resp.get_json()["response"]["outputSpeech"]["ssml"]
    assert handler.calls == 1
    # second request, same URL: served from the cache, no fetch
    body = envelope()
    assert post(client, body, headers(pki, body), path="/").status_code == 200
    assert handler.calls == 2
    assert fetch.calls == [CERT_URL]


def test_healthz_and_routes(setup, pki):
    client, handler, _ = setup()
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "ok"
    assert client.get("/alexa").status_code == 405
    page = client.get("/")  # the web voice page and the POST / alias coexist
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True).lower()
    body = envelope()
    assert post(client, body, headers(pki, body), path="/").status_code == 200
    assert handler.calls == 1


def _leaf_chain(pki, **kw):
    return pki.chain_pem(pki.leaf(**kw))


def _cases():
    """(id, chain-maker, header-mutator, body-mutator, expected log reason)."""
    def url(u):
        return lambda pki, rogue, h, b: dict(h, SignatureCertChainUrl=u)

    def drop(*names):
        return lambda pki, rogue, h, b: {k: v for k, v in h.items() if k not in names}

    return [
        ("no-headers", None, drop("SignatureCertChainUrl", "Signature-256"), None,
         "missing SignatureCertChainUrl"),
        ("no-signature", None, drop("Signature-256"), None, "missing Signature-256"),
        ("no-cert-url", None, drop("SignatureCertChainUrl"), None,
         "missing SignatureCertChainUrl"),
        ("bad-signature", None,
         lambda pki, rogue, h, b: dict(h, **{"Signature-256": rogue.sign(b)}), None,
         "signature does not match"),
        ("tampered-body", None, None,
         lambda b: b.replace(b'"locale": "en-US"', b'"locale": "sv-SE"'),
         "signature does not match"),
        ("scheme", None, url(CERT_URL.replace("https", "http")), None, "scheme"),
        ("host", None, url(CERT_URL.replace("s3.amazonaws.com", "s3.evil.example")), None,
         "host"),
        ("path", None, url(CERT_URL.replace("/echo.api/", "/ECHO.API/")), None, "path"),
        ("path-dotdot", None, url("https://s3.amazonaws.com/echo.api/../evil/cert.pem"),
         None, "path"),
        ("port", None, url(CERT_URL.replace(".com/", ".com:563/")), None, "port"),
        ("expired", lambda pki, rogue: _leaf_chain(
            pki, not_before=NOW - dt.timedelta(days=30), not_after=NOW - dt.timedelta(days=1)),
         None, None, "expired"),
        ("not-yet-valid", lambda pki, rogue: _leaf_chain(
            pki, not_before=NOW + dt.timedelta(days=1)), None, None, "not yet valid"),
        ("wrong-san", lambda pki, rogue: _leaf_chain(pki, san="echo-api.evil.example"),
         None, None, "SAN lacks"),
        ("untrusted-root", lambda pki, rogue: rogue.chain_pem(),
         lambda pki, rogue, h, b: dict(h, **{"Signature-256": rogue.sign(b)}), None,
         "chain not trusted"),
    ]


@pytest.mark.parametrize(
    ("chain_of", "mutate_headers", "mutate_body", "reason"),
    [c[1:] for c in _cases()],
    ids=[c[0] for c in _cases()],
)
def test_rejected_with_400_and_no_handler(setup, pki, rogue, caplog, chain_of, mutate_headers,
                                          mutate_body, reason):
    client, handler, _ = setup(chain_of(pki, rogue) if chain_of else None)
    body = envelope()
    hdrs = headers(pki, body)
    if mutate_headers:
        hdrs = mutate_headers(pki, rogue, hdrs, body)
    if mutate_body:
        tampered = mutate_body(body)
        assert tampered != body
        body = tampered
    with caplog.at_level(logging.WARNING):
        resp = post(client, body, hdrs)
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "request verification failed"}
    assert handler.calls == 0
    assert any(r.levelno == logging.WARNING and reason in r.getMessage()
               for r in caplog.records), caplog.text


def test_old_timestamp_rejected(setup, pki, caplog):
    client, handler, _ = setup()
    body = envelope(age_s=151)
    with caplog.at_level(logging.WARNING):
        resp = post(client, body, headers(pki, body))
    assert resp.status_code == 400
    assert handler.calls == 0
    assert "timestamp" in caplog.text


def test_wrong_skill_id_rejected(setup, pki, caplog):
    client, handler, _ = setup()
    body = envelope(skill_id="amzn1.ask.skill.someone-else")
    with caplog.at_level(logging.WARNING):
        resp = post(client, body, headers(pki, body))
    assert resp.status_code == 400
    assert handler.calls == 0
    assert "skill id" in caplog.text
    # without a configured skill id any (correctly signed) skill id is accepted
    client, handler, _ = setup(skill_id=None)
    assert post(client, body, headers(pki, body)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"request": 5}', b""],
    ids=["broken-json", "not-utf8", "not-object", "bad-envelope", "empty"],
)
def test_malformed_body_is_400(setup, pki, body):
    client, handler, _ = setup()
    resp = post(client, body, headers(pki, body))
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "malformed request body"}
    assert handler.calls == 0


def test_no_verify_mode_warns_and_answers_unsigned(setup, caplog):
    with caplog.at_level(logging.WARNING, logger="skill.frontends.web"):
        client, handler, fetch = setup(verify=False, skill_id=None)
    assert "REQUEST VERIFICATION IS OFF" in caplog.text
    resp = post(client, envelope(), {"Content-Type": "application/json"})
    assert resp.status_code == 200
    assert handler.calls == 1
    assert client.get("/healthz").get_json()["verify"] is False


# -- a real server on loopback -----------------------------------------------------------------

def _serve(app_or_handler, wsgi=True):
    if wsgi:
        from werkzeug.serving import make_server

        srv = make_server("127.0.0.1", 0, app_or_handler, threaded=True)
        port = srv.server_port
    else:
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), app_or_handler)
        port = srv.server_address[1]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    return srv, port


@pytest.fixture
def live(pki):
    """Skill server + a loopback 'S3' serving the PEM chain; yields (base_url, handler, hits)."""
    hits: list[str] = []
    chain = pki.chain_pem()

    class S3(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-pem-file")
            self.end_headers()
            self.wfile.write(chain)

        def log_message(self, *a):
            pass

    s3, s3_port = _serve(S3, wsgi=False)

    def fetch_via_loopback(url):
        # the verifier has already checked the URL is https://s3.amazonaws.com/echo.api/...;
        # here we only redirect the download to our loopback "S3"
        path = urllib.parse.urlsplit(url).path
        with urllib.request.urlopen(f"http://127.0.0.1:{s3_port}{path}", timeout=5) as r:
            return r.read()

    skill, handler = make_skill()
    verifier = AlexaRequestVerifier(fetcher=fetch_via_loopback, trusted_roots=[pki.root])
    app = create_app(skill, skill_id=SKILL_ID, verifier=verifier)
    srv, port = _serve(app)
    try:
        yield f"http://127.0.0.1:{port}", handler, hits
    finally:
        srv.shutdown()
        srv.server_close()
        s3.shutdown()
        s3.server_close()


def _http_post(url, body, hdrs):
    req = urllib.request.Request(url, data=body, headers=hdrs, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_live_server(live, pki, rogue):
    base, handler, hits = live
    with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
        assert r.status == 200

    body = envelope()
    status, data = _http_post(base + "/alexa", body, headers(pki, body))
    assert status == 200, data
    assert handler.calls == 1
    assert hits == ["/echo.api/echo-api-cert-test.pem"]

    body = envelope()
    status, _ = _http_post(base + "/alexa", body, headers(pki, body))
    assert status == 200
    assert len(hits) == 1  # cached

    for bad in (
        dict(headers(pki, body), **{"Signature-256": rogue.sign(body)}),
        dict(headers(pki, body), SignatureCertChainUrl="https://s3.amazonaws.com/evil/x.pem"),
        {"Content-Type": "application/json"},
    ):
        status, data = _http_post(base + "/alexa", body, bad)
        assert (status, data) == (400, {"error": "request verification failed"})
    old = envelope(age_s=200)
    assert _http_post(base + "/alexa", old, headers(pki, old))[0] == 400
    assert _http_post(base + "/alexa", b"{oops", headers(pki, b"{oops"))[0] == 400
    assert handler.calls == 2


# -- verify before parse, replays, one log line (issue 16) -----------------------------------

class CountingSerializer:
    def __init__(self, inner):
        self.inner = inner
        self.deserialized = 0

    def deserialize(self, payload, obj_type):
        self.deserialized += 1
        return self.inner.deserialize(payload=payload, obj_type=obj_type)

    def serialize(self, obj):
        return self.inner.serialize(obj)


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a": [' + b"1," * 60_000 + b"1]}",
                                  envelope() + b" " * 200_000],
                         ids=["deep", "wide", "padded"])
def test_unsigned_body_is_refused_before_it_is_parsed(pki, caplog, body):
    skill, handler = make_skill()
    counting = skill.serializer = CountingSerializer(skill.serializer)
    fetch = Fetcher(pki.chain_pem())
    client = create_app(skill, skill_id=SKILL_ID, verifier=AlexaRequestVerifier(
        fetcher=fetch, trusted_roots=[pki.root])).test_client()
    with caplog.at_level(logging.DEBUG):
        resp = post(client, body, {"Content-Type": "application/json"})
    assert (resp.status_code, resp.get_json()) == (400, {"error": "request verification failed"})
    assert counting.deserialized == 0 and handler.calls == 0 and fetch.calls == []
    assert [r.getMessage() for r in caplog.records] == [
        "Alexa request rejected: missing SignatureCertChainUrl header"]
    assert all(r.exc_info is None for r in caplog.records)


def test_body_over_the_cap_is_413_unread(setup, pki, caplog):
    client, handler, _ = setup()
    body = b" " * (300 * 1024)
    with caplog.at_level(logging.WARNING):
        resp = post(client, body, headers(pki, body))
    assert resp.status_code == 413
    assert handler.calls == 0
    assert len(caplog.records) == 1 and "larger than" in caplog.text


def test_replayed_request_is_refused(setup, pki, caplog):
    client, handler, _ = setup()
    body = envelope()
    hdrs = headers(pki, body)
    with caplog.at_level(logging.WARNING):
        statuses = [post(client, body, hdrs).status_code for _ in range(3)]
    assert statuses == [200, 400, 400]
    assert handler.calls == 1
    assert caplog.text.count("replayed request id") == 2


def test_signed_envelope_without_system_application_is_400(setup, pki, caplog):
    """With a skill id set, the SDK's own check used to fail with a 500 here."""
    client, handler, _ = setup()
    data = json.loads(envelope())
    del data["context"]["System"]["application"]
    body = json.dumps(data).encode()
    with caplog.at_level(logging.WARNING):
        resp = post(client, body, headers(pki, body))
    assert resp.status_code == 400
    assert handler.calls == 0
    assert "no context.System.application" in caplog.text


def test_every_rejection_is_one_log_line_without_traceback(setup, pki, rogue, caplog):
    client, handler, _ = setup()
    body = envelope()
    cases = [{"Content-Type": "application/json"},
             dict(headers(pki, body), **{"Signature-256": rogue.sign(body)}),
             dict(headers(pki, body), SignatureCertChainUrl="https://s3.amazonaws.com/echo.api/"
                  + "x" * 7000),
             dict(headers(pki, body), SignatureCertChainUrl="http://evil.example/c.pem")]
    for hdrs in cases:
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            assert post(client, body, hdrs).status_code == 400
        assert len(caplog.records) == 1, caplog.text
        assert caplog.records[0].exc_info is None
        assert len(caplog.records[0].getMessage()) < 400
    for bad in (b"{oops", b"[" * 100_000):
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            resp = post(client, bad, headers(pki, bad))
        assert resp.get_json() == {"error": "malformed request body"}
        assert len(caplog.records) == 1 and caplog.records[0].exc_info is None
