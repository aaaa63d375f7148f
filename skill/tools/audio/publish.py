"""``halsporre audio publish --bucket B [--prefix audio]``: the clips to an S3 bucket.

An Echo fetches every clip itself, over HTTPS, from ``AUDIO_BASE_URL``; on AWS that is an S3
bucket (or CloudFront in front of it). This uploads ``audio/<locale>/`` - the manifest and
every clip it names - under ``<prefix>/<locale>/``, as the webservice's ``/audio/`` lays
them out: clips as ``audio/mpeg`` cached for a year (their names are hashes of what they
say, so a changed clip is a new file), the manifest as JSON that is never cached. A clip
already in the bucket with the same MD5 (its ETag) is not sent again. boto3 finds the
credentials and region the usual way (environment, profile, instance role).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.core.clips import AUDIO_DIR, MANIFEST

CLIP_CACHE = "public, max-age=31536000, immutable"
MANIFEST_CACHE = "no-cache"


@dataclass
class Published:
    uploaded: int = 0
    unchanged: int = 0
    bytes: int = 0

    def line(self, bucket: str, prefix: str) -> str:
        where = f"s3://{bucket}/{prefix}".rstrip("/")
        return (f"{where}: uploaded {self.uploaded} files ({self.bytes / 1_000_000:.1f} MB), "
                f"{self.unchanged} unchanged")


def _files(audio_dir: Path) -> Iterator[tuple[Path, str]]:
    """(file, key below the prefix) for every locale's manifest and the clips it names."""
    for manifest in sorted(audio_dir.glob(f"*/{MANIFEST}")):
        locale = manifest.parent.name
        data = json.loads(manifest.read_text(encoding="utf-8"))
        names = {e["file"] for part in ("clips", "cues", "runs")
                 for e in data.get(part, {}).values()}
        for name in sorted(names):
            yield manifest.parent / name, f"{locale}/{name}"
        yield manifest, f"{locale}/{MANIFEST}"  # last: it names clips already there


def _etags(client: Any, bucket: str, prefix: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            tags[obj["Key"]] = obj["ETag"].strip('"')
    return tags


def publish(bucket: str, prefix: str = "audio", audio_dir: Path = AUDIO_DIR,
            client: Any = None) -> Published:
    """Upload ``audio_dir`` to ``s3://bucket/prefix/``; return what was sent."""
    if client is None:
        import boto3

        client = boto3.client("s3")
    prefix = prefix.strip("/")
    head = f"{prefix}/" if prefix else ""
    known = _etags(client, bucket, head)
    done = Published()
    for path, key in _files(audio_dir):
        body = path.read_bytes()
        if known.get(head + key) == hashlib.md5(body, usedforsecurity=False).hexdigest():
            done.unchanged += 1
            continue
        is_manifest = path.name == MANIFEST
        client.put_object(
            Bucket=bucket, Key=head + key, Body=body,
            ContentType="application/json" if is_manifest else "audio/mpeg",
            CacheControl=MANIFEST_CACHE if is_manifest else CLIP_CACHE)
        done.uploaded += 1
        done.bytes += len(body)
    return done


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="halsporre audio publish",
                                description="Upload the clips and manifests to an S3 bucket.")
    p.add_argument("--bucket", required=True, help="the S3 bucket")
    p.add_argument("--prefix", default="audio",
                   help="key prefix; AUDIO_BASE_URL ends with it (default: audio)")
    p.add_argument("--audio-dir", type=Path, default=AUDIO_DIR,
                   help=f"the clips (default: {AUDIO_DIR})")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        import boto3  # noqa: F401
    except ImportError:
        print("error: boto3 is needed: pip install 'halsporre[dynamodb]'", file=sys.stderr)
        return 2
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        done = publish(args.bucket, args.prefix, args.audio_dir)
    except (BotoCoreError, ClientError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(done.line(args.bucket, args.prefix.strip("/")))
    return 0
