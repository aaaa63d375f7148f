"""halsporre audio publish: the clips to an S3 bucket (moto's server on 127.0.0.1)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from skill.cli import main as cli_main
from skill.tools.audio import publish
from tests.aws_stand_in import point_aws_at, running_moto_server

boto3 = pytest.importorskip("boto3", reason="the 'dynamodb' extra is not installed")


@pytest.fixture(scope="module")
def server():
    yield from running_moto_server()


@pytest.fixture
def bucket(server, monkeypatch):
    point_aws_at(monkeypatch, server, "s3")
    client = boto3.client("s3")
    name = "clips-" + uuid.uuid4().hex[:8]
    client.create_bucket(Bucket=name, CreateBucketConfiguration={
        "LocationConstraint": "eu-north-1"})
    return client, name


def _audio(tmp_path: Path) -> Path:
    folder = tmp_path / "audio" / "sv-SE"
    folder.mkdir(parents=True)
    for name, data in {"a.mp3": b"ID3clip-a", "b.mp3": b"ID3clip-b",
                       "run-c.mp3": b"ID3run-c", "stale.mp3": b"not in the manifest"}.items():
        (folder / name).write_bytes(data)
    manifest = {"clips": {"Hej.": {"file": "a.mp3"}}, "cues": {"hold_end": {"file": "b.mp3"}},
                "runs": {"body:1": {"file": "run-c.mp3"}}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return tmp_path / "audio"


def test_publish_uploads_the_manifest_and_its_clips_with_their_types(bucket, tmp_path,
                                                                     capsys) -> None:
    client, name = bucket
    audio = _audio(tmp_path)
    rc = cli_main(["audio", "publish", "--bucket", name, "--prefix", "audio",
                   "--audio-dir", str(audio)])
    assert rc == 0
    assert "uploaded 4 files" in capsys.readouterr().out
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"]}
    assert keys == {"audio/sv-SE/a.mp3", "audio/sv-SE/b.mp3", "audio/sv-SE/run-c.mp3",
                    "audio/sv-SE/manifest.json"}
    clip = client.get_object(Bucket=name, Key="audio/sv-SE/a.mp3")
    assert clip["ContentType"] == "audio/mpeg" and clip["Body"].read() == b"ID3clip-a"
    assert "immutable" in clip["CacheControl"]
    manifest = client.get_object(Bucket=name, Key="audio/sv-SE/manifest.json")
    assert manifest["ContentType"] == "application/json"
    assert manifest["CacheControl"] == "no-cache"


def test_publishing_again_sends_only_what_changed(bucket, tmp_path) -> None:
    client, name = bucket
    audio = _audio(tmp_path)
    first = publish.publish(name, "", audio)
    assert (first.uploaded, first.unchanged) == (4, 0)
    (audio / "sv-SE" / "a.mp3").write_bytes(b"ID3clip-a, re-rendered")
    again = publish.publish(name, "", audio)
    assert (again.uploaded, again.unchanged) == (1, 3)
    body = client.get_object(Bucket=name, Key="sv-SE/a.mp3")["Body"].read()
    assert body == b"ID3clip-a, re-rendered"


def test_a_missing_bucket_is_a_clear_error(bucket, tmp_path, capsys) -> None:
    rc = publish.main(["--bucket", "no-such-bucket", "--audio-dir", str(_audio(tmp_path))])
    assert rc == 1
    assert "error:" in capsys.readouterr().err
