"""Building many long-lived objects at once (coverage's ~260,000 pairs).

Rules that always hold here: `gc_paused` pauses CPython's cyclic garbage collector only for the
block it wraps and restores it as it was on the way out, error or not. Wrap only code that
builds acyclic objects (tuples of text and numbers): while the heap grows, the collector would
re-walk it again and again (0.7 s of a 1.7 s coverage) and find nothing to free. The pause is
process-wide: garbage cycles made meanwhile by other threads wait for the next collection after
it, which is seconds at most; reference counting frees everything else as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # blocks inside `gc_paused`, across threads
_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (nested and concurrent blocks too)."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
