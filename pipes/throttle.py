"""Per-token request rate limits (a token's ``limits.rps``), counted in Django's default cache.

A fixed one-second window per token name: ``cache.add`` creates the window's counter and
``cache.incr`` counts atomically, so every worker sharing the cache (Redis, Memcached) shares
the count. With the local-memory cache each process counts on its own.
"""
from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def now() -> float:
    return time.time()


def allow(name: str, rps: int) -> bool:
    """Count one request for ``name``; False once more than ``rps`` arrived in this second."""
    # Hashed: token names are free text, and some cache backends refuse spaces in keys.
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    key = f"pipes:rps:{digest}:{int(now())}"
    cache.add(key, 0, timeout=2)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr: this is its first request
        cache.add(key, 1, timeout=2)
        count = 1
    return count <= rps
