"""Verified Alexa signing certificates by canonical URL (:class:`CertChainCache`).

A verified chain is kept until its earliest ``notAfter`` (at most ``size`` URLs, least
recently used first out). A failed fetch or an invalid chain is kept too and not tried again
for 5 s, then 10, 20, ... up to 5 min (at most 256 URLs). Only one fetch per URL is in
flight: other requests for it wait for that one; at most four fetches run at once, and a
fifth is refused rather than queued.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509

from skill.alexa.compat import ensure_flask_ask_sdk_importable

ensure_flask_ask_sdk_importable()

from ask_sdk_webservice_support.verifier import VerificationException  # noqa: E402

#: failed fetches are retried after this long, doubling up to the maximum
FAILURE_BACKOFF_S = (5.0, 300.0)
MAX_FAILED_URLS = 256
MAX_FETCHES_IN_FLIGHT = 4


@dataclass
class _Failure:
    reason: str
    retry_at: float
    backoff: float


class CertChainCache:
    """Verified signing certificates by canonical URL, failures with backoff, one fetch in
    flight per URL (others wait for it) and at most a few fetches at once.

    :param load: ``canonical url -> (leaf, valid until)``; fetches and validates, raising
        VerificationException (already logged) or any exception of the fetch.
    :param reject: ``reason -> exception`` that logs the reason (the verifier's one line).
    :param describe: how a URL or message appears in a reason (cut to a short length).
    :param monotonic: clock for the backoff (tests inject one).
    """

    def __init__(self, load: Callable[[str], tuple[x509.Certificate, dt.datetime]], *,
                 reject: Callable[..., Exception], describe: Callable[[object], str] = repr,
                 size: int = 16, monotonic: Callable[[], float] = time.monotonic,
                 fetch_timeout: float = 5.0,
                 backoff: tuple[float, float] = FAILURE_BACKOFF_S,
                 max_failed: int = MAX_FAILED_URLS,
                 max_in_flight: int = MAX_FETCHES_IN_FLIGHT) -> None:
        self._load = load
        self._reject = reject
        self._describe = describe
        self._fetch_timeout = fetch_timeout
        self._size = max(1, size)
        self._monotonic = monotonic
        self._backoff = backoff
        self._max_failed = max(1, max_failed)
        self._good: collections.OrderedDict[str, tuple[x509.Certificate, dt.datetime]] = (
            collections.OrderedDict())
        self._failed: collections.OrderedDict[str, _Failure] = collections.OrderedDict()
        self._in_flight: dict[str, threading.Event] = {}
        self._slots = threading.BoundedSemaphore(max(1, max_in_flight))
        self._lock = threading.Lock()

    def leaf(self, url: str, now: dt.datetime) -> x509.Certificate:
        """The verified leaf for canonical ``url`` valid at ``now``."""
        for _ in range(2):
            with self._lock:
                found = self._lookup(url, now)
                if isinstance(found, x509.Certificate):
                    return found
                event = self._in_flight.get(url)
                if event is None:
                    event = self._in_flight[url] = threading.Event()
                    break
            event.wait(self._fetch_timeout + 1.0)  # someone else is fetching this URL
        else:
            raise self._reject(f"certificate chain from {self._describe(url)} is still being "
                               "fetched")
        try:
            return self._fetch(url)
        finally:
            with self._lock:
                self._in_flight.pop(url, None)
            event.set()

    def _lookup(self, url: str, now: dt.datetime) -> x509.Certificate | None:
        hit = self._good.get(url)
        if hit is not None:
            if now < hit[1]:
                self._good.move_to_end(url)
                return hit[0]
            del self._good[url]
        failure = self._failed.get(url)
        if failure is not None and self._monotonic() < failure.retry_at:
            wait = failure.retry_at - self._monotonic()
            raise self._reject(f"certificate chain from {self._describe(url)} failed recently "
                          f"({failure.reason}); next try in {wait:.0f} s")
        return None

    def _fetch(self, url: str) -> x509.Certificate:
        if not self._slots.acquire(blocking=False):
            raise self._reject("too many certificate fetches in flight")
        try:
            leaf, expires = self._load(url)
        except VerificationException as exc:  # an invalid chain
            self._failure(url, str(exc.args[0]) if exc.args else "invalid chain")
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the download is a rejection
            detail = self._describe(str(exc))
            reason = f"could not fetch certificate chain from {self._describe(url)}: {detail}"
            self._failure(url, f"{type(exc).__name__}: {detail}")
            raise self._reject(reason, exc) from exc
        finally:
            self._slots.release()
        with self._lock:
            self._failed.pop(url, None)
            self._good[url] = (leaf, expires)
            self._good.move_to_end(url)
            while len(self._good) > self._size:
                self._good.popitem(last=False)
        return leaf

    def _failure(self, url: str, reason: str) -> None:
        first, most = self._backoff
        with self._lock:
            old = self._failed.pop(url, None)
            backoff = first if old is None else min(most, old.backoff * 2)
            self._failed[url] = _Failure(reason, self._monotonic() + backoff, backoff)
            while len(self._failed) > self._max_failed:
                self._failed.popitem(last=False)
