"""Work done once when a service process starts (it composes capabilities, so it is not
plumbing: it sits beside `cli.py`, outside `platform`)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError

from inventory_service.assets import places
from inventory_service.platform.db import Database

log = logging.getLogger("inventory.startup")


def refresh_places(db: Database) -> None:
    """Recompute hub distances and bands, in case the hub or the bands were reconfigured."""
    try:
        with db.transaction() as session:
            changed = places.recompute_hub_distances(session)
    except SQLAlchemyError:
        # An unmigrated or unreachable database: /readyz says so; serving must still start.
        log.warning("could not refresh hub distances; is the database migrated?")
        return
    if changed:
        log.info("hub distances refreshed", extra={"changed": changed})


def sweep_expired(db: Database) -> int:
    """Release the units of overdue reservations (safe on several replicas at once).

    Raises what the database raises: the caller (`sweep_forever`) logs it and backs off.
    """
    from inventory_service.lifecycle import reservations
    from inventory_service.platform.auth import Caller
    from models import Role

    sweeper = Caller(token_id=0, name="expiry-sweeper", role=Role.ADMIN)
    with db.transaction() as session:
        released = reservations.expire_due(session, actor=sweeper)
    if released:
        log.info("expired reservations released", extra={"released": released})
    return released


MAX_SWEEP_BACKOFF_SECONDS = 600.0


def sweep_delay(every: float, failures: int) -> float:
    """Seconds before the next sweep: `every`, doubled after each failure in a row (capped)."""
    if failures == 0:
        return every
    grown: float = every * 2.0 ** min(failures, 16)
    return min(grown, max(every, MAX_SWEEP_BACKOFF_SECONDS))


async def sweep_forever(db: Database, every: float, stop: asyncio.Event) -> None:
    """Sweep every `every` seconds until `stop` is set; no exception ever stops it.

    A failed sweep (database down, a bug in one reservation) is logged as a warning with its
    traceback and retried after a growing delay; the first success returns to `every`. A sweep
    under way when `stop` is set is finished first (never cancelled mid-transaction).
    """
    failures = 0
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=sweep_delay(every, failures))
            return
        except TimeoutError:
            pass
        try:
            await asyncio.to_thread(sweep_expired, db)
        except Exception:
            failures += 1
            log.warning(
                "expiry sweep failed; retrying with backoff",
                exc_info=True,
                extra={"failures": failures, "retry_in_seconds": sweep_delay(every, failures)},
            )
        else:
            failures = 0
