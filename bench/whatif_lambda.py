"""Cold-start "after": ``skill.lambda_function.handler`` with :mod:`bench.whatif`'s
lazy API client and C YAML loader applied first."""

from bench.whatif import c_yaml, lazy_api_client

lazy_api_client()
c_yaml()

from skill.lambda_function import handler  # noqa: E402

__all__ = ["handler"]
