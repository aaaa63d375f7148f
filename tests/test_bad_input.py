"""The 5xx cases of issue 16, each a 4xx with one log line now (real app, real crypto)."""

from __future__ import annotations

import json
import logging

import pytest

from skill.alexa.builder import build_skill
from skill.alexa.envelopes import LocalDevice
from skill.alexa.replay import MemoryReplayStore
from skill.alexa.verify import AlexaRequestVerifier
from skill.config import Settings
from skill.frontends.web import create_app
from tests.certs import SKILL_ID, TestPKI, headers


@pytest.fixture(scope="module")
def pki():
    return TestPKI()


@pytest.fixture(scope="module")
def client(pki, tmp_path_factory):
    skill = build_skill(Settings(skill_id=SKILL_ID, persistence="none"))
    verifier = AlexaRequestVerifier(fetcher=lambda url: pki.chain_pem(), trusted_roots=[pki.root])
    app = create_app(skill, skill_id=SKILL_ID, verifier=verifier,
                     replay_store=MemoryReplayStore())
    return app.test_client()


def _no_nul_and_no_traceback(caplog) -> None:
    for record in caplog.records:
        assert "\x00" not in record.getMessage(), "a raw NUL in the log"
        assert record.exc_info is None, f"traceback logged: {record.getMessage()}"


@pytest.mark.parametrize("route", ["/api/talk", "/api/start"])
def test_deep_brackets_to_the_web_api_is_400(client, caplog, route) -> None:
    with caplog.at_level(logging.DEBUG):
        resp = client.post(route, data=b"[" * 100_000, content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "the body is not valid JSON"}
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    _no_nul_and_no_traceback(caplog)


@pytest.mark.parametrize("path", ["/audio/sv-SE/%00.mp3", "/audio/%00", "/audio/sv-SE/a%00b.json",
                                  "/audio/sv-SE/%01.mp3", "/audio/sv-SE/a%5Cb.mp3",
                                  "/audio/sv-SE/%E2%80%AE.mp3", "/audio/" + "a/" * 200 + "x.mp3"])
def test_odd_audio_paths_are_404(client, caplog, path) -> None:
    with caplog.at_level(logging.DEBUG):
        resp = client.get(path)
    assert resp.status_code == 404
    _no_nul_and_no_traceback(caplog)


def test_a_real_clip_is_still_served(client) -> None:
    from skill.core.clips import AUDIO_DIR

    clip = next((AUDIO_DIR / "sv-SE").glob("*.mp3"))
    resp = client.get(f"/audio/sv-SE/{clip.name}")
    assert resp.status_code == 200 and resp.mimetype == "audio/mpeg"


def test_signed_envelope_without_system_application_is_400_with_the_real_skill(
        client, pki, caplog) -> None:
    """The real skill has ``skill_id`` on its builder: ask-sdk's own check read
    ``context.System.application`` and raised -> HTTP 500."""
    envelope = LocalDevice(application_id=SKILL_ID).launch()
    del envelope["context"]["System"]["application"]
    body = json.dumps(envelope).encode()
    with caplog.at_level(logging.DEBUG):
        resp = client.post("/alexa", data=body, headers=headers(pki, body))
    assert resp.status_code == 400
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["Alexa request rejected: request has no "
                        "context.System.application.applicationId"]
    _no_nul_and_no_traceback(caplog)
    ok = LocalDevice(application_id=SKILL_ID).launch()  # the same request, whole: answered
    body = json.dumps(ok).encode()
    assert client.post("/alexa", data=body, headers=headers(pki, body)).status_code == 200
