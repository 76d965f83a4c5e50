"""Software levels in the order engineers read them (natural order).

Rules that always hold here: `patch_level_below=X` compares levels by `version_key`; a
device without a level is not "below" anything.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"(\d+)|([^\W\d_]+)")


def version_key(level: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key comparing levels the way engineers read them (natural order).

    The text is cut into runs of digits and runs of letters; every other character (`.`,
    `-`, `_`, spaces) only separates runs. Runs compare one by one: numbers by value
    (`SPC600` > `SPC90`), letters case-insensitively, and a number before letters at the same
    place (`FW860.90` < `FW860.A0`); when one level is a prefix of the other, the shorter is
    lower (`7.3` < `7.3.2`). So `V800R021C10SPC600` < `V800R021C10SPC700` < `V800R022C00`.
    """
    return tuple(
        (0, int(digits), "") if digits else (1, 0, letters.casefold())
        for digits, letters in _TOKEN.findall(level)
    )


def is_below(level: str | None, bound: str) -> bool:
    """Is `level` strictly below `bound` in `version_key` order? A missing level is not."""
    return level is not None and version_key(level) < version_key(bound)
