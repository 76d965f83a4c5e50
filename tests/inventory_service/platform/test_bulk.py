"""`gc_paused`: the collector is off inside, and back as it was outside, whatever happens."""

from __future__ import annotations

import gc
import threading

import pytest

from inventory_service.platform.bulk import gc_paused


def test_the_collector_is_off_inside_and_back_on_after_an_error() -> None:
    seen: list[bool] = []

    def fail_inside() -> None:
        with gc_paused():
            seen.append(gc.isenabled())
            raise RuntimeError

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        fail_inside()
    assert seen == [False]
    assert gc.isenabled()


def test_nested_and_overlapping_blocks_restore_it_only_when_the_last_one_ends() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with gc_paused():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread's block still runs
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
