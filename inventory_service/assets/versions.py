"""Software levels in the order engineers read them (natural order).

Rules that always hold here: `patch_level_below=X` compares levels by `version_key`, natsort's
natural order ignoring case (runs of digits compare as numbers: `SPC90` < `SPC600`,
`7.3` < `7.3.2` < `7.10.0`); a device without a level is not "below" anything.
"""

from __future__ import annotations

from typing import Any

from natsort import natsort_keygen, ns

version_key: Any = natsort_keygen(alg=ns.IGNORECASE)
"""A sort key comparing levels the way engineers read them: `V800R021C10SPC600` <
`V800R021C10SPC700` < `V800R022C00`; `FW860.90` < `FW860.A0` (a number before letters)."""


def is_below(level: str | None, bound: str) -> bool:
    """Is `level` strictly below `bound` in `version_key` order? A missing level is not."""
    return level is not None and bool(version_key(level) < version_key(bound))
