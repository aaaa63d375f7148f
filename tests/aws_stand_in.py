"""moto's server on 127.0.0.1 as the AWS stand-in, and the environment that points boto3 at it.

Shared by the DynamoDB and S3 tests: the code under test reaches the stand-in only through
the environment (an endpoint, fake credentials, a region), as it would reach AWS.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-north-1",
    "AWS_REGION": "eu-north-1", "AWS_EC2_METADATA_DISABLED": "true",
}


def running_moto_server() -> Iterator[str]:
    """Start moto's threaded server on a free loopback port; yield its URL; stop it."""
    moto_server = pytest.importorskip(
        "moto.server", reason="moto[server] is not installed: pip install 'moto[server]'")
    srv = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    try:
        host, port = srv.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        srv.stop()


def point_aws_at(monkeypatch: pytest.MonkeyPatch, server: str, service: str) -> None:
    """Every boto3 client (and ``service``'s in particular) goes to ``server``."""
    env = {f"AWS_ENDPOINT_URL_{service.upper()}": server, "AWS_ENDPOINT_URL": server, **FAKE_AWS}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
