"""A thread-safe LRU cache bounded in entries AND in (estimated) bytes.

The render and plan caches are keyed on what was said; when part of that comes back from
session attributes, an entry count alone does not bound memory (2,048 entries of 250 KB
each are 500 MB). Each entry is charged ``size(key, value)`` bytes; the least recently used
entries go until both bounds hold. An entry larger than the whole budget is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

ENTRY_OVERHEAD = 200  # dict slot, tuple and object headers, roughly


def approx_size(value: Any, _depth: int = 0) -> int:
    """Rough bytes of nested tuples/lists/dicts/strings (bounded walk; good enough to
    charge a cache, not a memory profiler)."""
    if isinstance(value, str | bytes):
        return 50 + len(value)
    if _depth > 8:
        return 64
    if isinstance(value, tuple | list | frozenset | set):
        return 56 + sum(8 + approx_size(v, _depth + 1) for v in value)
    if isinstance(value, dict):
        return 64 + sum(approx_size(k, _depth + 1) + approx_size(v, _depth + 1)
                        for k, v in value.items())
    params = getattr(value, "params", None)  # a Say part
    if isinstance(params, dict):
        return 64 + approx_size(getattr(value, "key", ""), _depth + 1) + approx_size(
            params, _depth + 1)
    return 32


class BoundedCache(Generic[V]):
    """``get``/``put`` with LRU eviction within ``max_entries`` and ``max_bytes``."""

    def __init__(self, max_entries: int, max_bytes: int,
                 size: Callable[[Any, V], int]) -> None:
        self.max_entries = max(1, max_entries)
        self.max_bytes = max(1, max_bytes)
        self._size = size
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, value: V) -> None:
        cost = ENTRY_OVERHEAD + self._size(key, value)
        if cost > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, cost)
            self._bytes += cost
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, gone) = self._items.popitem(last=False)
                self._bytes -= gone

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
