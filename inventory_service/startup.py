"""Work done once when a service process starts (it composes capabilities, so it is not
plumbing: it sits beside `cli.py`, outside `platform`)."""

from __future__ import annotations

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
    """Release the units of overdue reservations (safe on several replicas at once)."""
    from inventory_service.lifecycle import reservations
    from inventory_service.platform.auth import Caller
    from models import Role

    sweeper = Caller(token_id=0, name="expiry-sweeper", role=Role.ADMIN)
    try:
        with db.transaction() as session:
            released = reservations.expire_due(session, actor=sweeper)
    except SQLAlchemyError:
        log.warning("expiry sweep failed; will retry", exc_info=True)
        return 0
    if released:
        log.info("expired reservations released", extra={"released": released})
    return released
