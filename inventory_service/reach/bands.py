"""The contract's travel bands: distance → minutes, or None beyond the last band.

Rules: edges are inclusive (100.0 km is in the 60-minute band); the unrounded distance is
compared; the first band is the stocking point's own city (within `local_radius_km`).
"""

from __future__ import annotations

from inventory_service.platform.settings import Settings, get_settings


def band_minutes(distance_km: float, cfg: Settings | None = None) -> int | None:
    """Band minutes for a distance from a stocking point, or None when not covered."""
    cfg = cfg or get_settings()
    if distance_km <= cfg.local_radius_km:
        return cfg.local_band_minutes
    for ceiling_km, minutes in cfg.travel_bands:
        if distance_km <= ceiling_km:
            return minutes
    return None
