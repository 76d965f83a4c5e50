"""Work done once when a service process starts."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from inventory_service import places
from inventory_service.db import Database

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
