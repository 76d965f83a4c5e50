"""The committed SDL (docs/schema.graphql) is the schema served."""

from __future__ import annotations

from pathlib import Path

from api.graphql.sdl import sdl

SDL = Path(__file__).parents[3] / "docs" / "schema.graphql"


def test_the_committed_sdl_is_current() -> None:
    assert SDL.read_text(encoding="utf-8") == sdl(), (
        "docs/schema.graphql is stale: run `python -m api.graphql.sdl > docs/schema.graphql`"
    )
