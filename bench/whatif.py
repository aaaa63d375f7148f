"""Prototypes of the skill fixes the benchmark proposes, applied by patching at run time.

Nothing under ``skill/`` is edited: these patches only let ``python -m bench`` show the
"after" figure next to the "before" one.  Each names the real fix it stands for.

* :func:`lazy_api_client` - **skill/builder.py**: ``from ask_sdk_core.api_client import
  DefaultApiClient`` pulls in ``requests``/``urllib3`` (~80-90 ms of a ~200 ms import)
  for an API client that only reminders/time-zone calls use.  Fix: build the skill with a
  small ``ApiClient`` subclass that imports and creates ``DefaultApiClient`` on first
  ``invoke``.
* :func:`c_yaml` - **skill/content/__init__.py** ``_read_locale_dir``: ``yaml.safe_load``
  is the pure-Python loader; the first request of a cold process parses every content file.
  Fix: ``yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))``.
* :func:`render_cache` - **skill/speech.py** ``render``: builds and serialises an
  ElementTree for every speech and reprompt.  Fix: memoise the finished ``Rendered`` per
  (content, parts) when no clip source is used (parts and content are immutable values).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any


def lazy_api_client() -> None:
    """Make ``ask_sdk_core.api_client.DefaultApiClient`` lazy (before importing the skill)."""
    from ask_sdk_model.services import ApiClient

    class LazyApiClient(ApiClient):
        _real: Any = None

        def invoke(self, request):
            if self._real is None:
                sys.modules.pop("ask_sdk_core.api_client", None)
                from ask_sdk_core import api_client as real

                self._real = real.DefaultApiClient()
            return self._real.invoke(request)

    module = types.ModuleType("ask_sdk_core.api_client")
    module.DefaultApiClient = LazyApiClient  # type: ignore[attr-defined]
    sys.modules["ask_sdk_core.api_client"] = module


def c_yaml() -> None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    yaml.safe_load = lambda stream: yaml.load(stream, Loader=loader)  # noqa: S506


def _part_key(part: Any) -> tuple:
    params = getattr(part, "params", None)
    return (type(part).__name__, getattr(part, "key", None), getattr(part, "ms", None),
            getattr(part, "name", None), tuple(sorted(params.items())) if params else ())


def render_cache() -> Callable[[], None]:
    """Memoise ``render`` as seen by the handlers; returns an undo function."""
    import skill.handlers.respond as respond

    original = respond.render
    cache: dict[tuple, Any] = {}

    def render(parts, content, clips=None):
        if clips is not None:
            return original(parts, content, clips)
        key = (id(content), tuple(_part_key(p) for p in parts))
        hit = cache.get(key)
        if hit is None:
            if len(cache) > 4096:
                cache.clear()
            hit = cache[key] = original(parts, content, None)
        return hit

    respond.render = render

    def undo() -> None:
        respond.render = original

    return undo
