"""Web users' stored progress: written only when there is something to keep, and expiring.

The web page runs its own Skill (the same handlers) with :class:`WebProgressAdapter` around
the deployment's storage adapter:

* **Written only for a browser that came back.** A request without a valid session cookie
  (a first visit, a script, a flood) may read progress but never writes it: the skill
  answers as usual and the store stays untouched. Once the browser returns the cookie it
  was given, the stretch session's place, completed sessions and check-ins are kept.
* **Expires after an idle time.** Every write stamps the document with the time
  (``web_last_used``); a document idle for longer than ``idle_seconds`` reads as empty and
  is overwritten as new. On SQLite, :meth:`WebProgressAdapter.sweep` deletes web users'
  rows idle that long (at most once per ``sweep_every`` seconds per worker, on a request);
  on DynamoDB each write also sets the item's top-level ``expires_at`` (epoch seconds), so
  a table with Time to Live on ``expires_at`` deletes it.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from skill.alexa.persistence import update_attributes

log = logging.getLogger(__name__)

LAST_USED = "web_last_used"
TTL_ATTRIBUTE = "expires_at"
WEB_USER_PREFIX = "amzn1.ask.account.web-"
DEFAULT_SWEEP_EVERY = 3600.0

_writes = contextvars.ContextVar("halsporre_web_writes", default=False)


@contextmanager
def writes(allowed: bool) -> Iterator[None]:
    """Within this block the web adapter stores progress only if ``allowed``."""
    token = _writes.set(allowed)
    try:
        yield
    finally:
        _writes.reset(token)


class WebProgressAdapter(AbstractPersistenceAdapter):
    """The deployment's adapter, with the web page's write rule and idle expiry."""

    def __init__(self, inner: AbstractPersistenceAdapter, idle_seconds: float,
                 clock: Callable[[], float] = time.time,
                 sweep_every: float = DEFAULT_SWEEP_EVERY) -> None:
        self.inner, self.idle_seconds, self.clock = inner, idle_seconds, clock
        self.sweep_every = sweep_every
        self._next_sweep = 0.0

    def _expired(self, attributes: dict[str, Any]) -> bool:
        stamp = attributes.get(LAST_USED)
        return isinstance(stamp, int | float) and self.clock() - stamp > self.idle_seconds

    def get_attributes(self, request_envelope: Any) -> dict[str, Any]:
        attributes = self.inner.get_attributes(request_envelope) or {}
        return {} if self._expired(attributes) else attributes

    def save_attributes(self, request_envelope: Any, attributes: dict[str, Any]) -> None:
        if _writes.get():
            self.inner.save_attributes(request_envelope,
                                       {**attributes, LAST_USED: int(self.clock())})
            self._set_ttl(request_envelope)

    def update_attributes(self, request_envelope: Any, fn: Callable) -> dict[str, Any]:
        if not _writes.get():
            current = dict(self.get_attributes(request_envelope))
            result = fn(current)
            return current if result is None else result

        def stamped(current: dict[str, Any]) -> dict[str, Any]:
            if self._expired(current):
                current = {}
            result = fn(current)
            new = current if result is None else result
            new[LAST_USED] = int(self.clock())
            return new

        new = update_attributes(self.inner, request_envelope, stamped)
        self._set_ttl(request_envelope)
        return new

    def _set_ttl(self, request_envelope: Any) -> None:
        """On DynamoDB (ask-sdk's adapter): the item's ``expires_at`` for the table's TTL."""
        table_name = getattr(self.inner, "table_name", None)
        dynamodb = getattr(self.inner, "dynamodb", None)
        if not table_name or dynamodb is None:
            return
        inner: Any = self.inner  # ask-sdk's DynamoDbAdapter (checked above)
        key = {inner.partition_key_name: inner.partition_keygen(request_envelope)}
        try:
            dynamodb.Table(table_name).update_item(
                Key=key, UpdateExpression="SET #e = :e",
                ExpressionAttributeNames={"#e": TTL_ATTRIBUTE},
                ExpressionAttributeValues={":e": int(self.clock() + self.idle_seconds)})
        except Exception as exc:  # botocore's errors; the progress itself was saved
            log.warning("web page: could not set the expiry of a web user's progress (%s)",
                        type(exc).__name__)

    def delete_attributes(self, request_envelope: Any) -> None:
        self.inner.delete_attributes(request_envelope)

    def sweep(self) -> int:
        """Delete web users' rows idle too long, when the store can and it is time; the
        number deleted (0 when not done)."""
        now = self.clock()
        delete_idle = getattr(self.inner, "delete_idle", None)
        if now < self._next_sweep or not callable(delete_idle):
            return 0
        self._next_sweep = now + self.sweep_every
        try:
            deleted = int(delete_idle(WEB_USER_PREFIX, self.idle_seconds, now=now))
        except PersistenceException as exc:
            log.warning("web page: sweeping idle web users failed: %s", exc)
            return 0
        if deleted:
            log.info("web page: deleted %d idle web users' progress", deleted)
        return deleted
