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
* :func:`sqlite_reuse` - **skill/persistence.py** ``SQLitePersistenceAdapter._run``: every
  read and write opens a new connection (``sqlite3.connect`` + ``PRAGMA busy_timeout`` +
  schema load) and closes it.  Fix: keep one connection per (process id, thread) in a
  ``threading.local`` and reuse it (WAL and the busy timeout still arbitrate between
  processes; the pid check keeps a forked worker from using its parent's connection).
  Also ``PRAGMA synchronous = NORMAL`` in ``_connect``: in WAL mode it is the documented
  safe setting (no corruption; a power cut may lose the last commit) and spares an
  fsync per write - each stretch turn writes progress.
* :func:`plan_cache` - **skill/session_plan.py** ``reps_per_response`` (line ~324): a pure
  function of small hashable arguments that re-estimates ~50 candidate segments over every
  locale on each stretch turn (~5 ms).  Fix: ``@functools.lru_cache(maxsize=None)``.
* ``bench.wsgi_apps._OnceSerializer`` - **skill/web.py** ``create_app.alexa``: the body is
  deserialized into a ``RequestEnvelope`` to pre-check it, then again by flask-ask-sdk.
  Fix: pre-check with ``json.loads`` only and let the SDK's one deserialization reject
  malformed bodies (catch its failure and answer 400), or reuse the envelope.
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

    def render(parts, content, clips=None, *args, **kwargs):
        if clips is not None:
            return original(parts, content, clips, *args, **kwargs)
        key = (id(content), tuple(_part_key(p) for p in parts), args,
               tuple(sorted(kwargs.items())))
        hit = cache.get(key)
        if hit is None:
            if len(cache) > 4096:
                cache.clear()
            hit = cache[key] = original(parts, content, None, *args, **kwargs)
        return hit

    respond.render = render

    def undo() -> None:
        respond.render = original

    return undo


def sqlite_reuse() -> Callable[[], None]:
    """One SQLite connection per (pid, thread, db) instead of one per call; returns undo."""
    import os
    import sqlite3
    import threading

    from skill.persistence import SQLitePersistenceAdapter, _fail

    original = SQLitePersistenceAdapter._run
    local = threading.local()

    def _run(self, action, fn):
        self._ensure_ready()
        key = (os.getpid(), str(self.db_path))
        conns = local.__dict__.setdefault("conns", {})
        conn = conns.get(key)
        try:
            if conn is None:
                conn = conns[key] = self._connect()
                conn.execute("PRAGMA synchronous = NORMAL")
            return fn(conn)
        except sqlite3.Error as exc:
            conns.pop(key, None)
            raise _fail(action, self.db_path, exc) from exc

    SQLitePersistenceAdapter._run = _run

    def undo() -> None:
        SQLitePersistenceAdapter._run = original

    return undo


def plan_cache() -> Callable[[], None]:
    """Memoise ``session_plan.reps_per_response``; returns undo."""
    import functools

    import skill.session_plan as plan

    original = plan.reps_per_response
    plan.reps_per_response = functools.lru_cache(maxsize=None)(original)

    def undo() -> None:
        plan.reps_per_response = original

    return undo


def inprocess_fixes() -> Callable[[], None]:
    """Every in-process fix at once (render memo, SQLite reuse, plan cache); returns undo."""
    undos = [render_cache(), sqlite_reuse(), plan_cache()]

    def undo() -> None:
        for u in reversed(undos):
            u()

    return undo
