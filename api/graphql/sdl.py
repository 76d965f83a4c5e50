"""The GraphQL SDL: `python -m api.graphql.sdl > docs/schema.graphql` (a test keeps it in sync)."""

from __future__ import annotations

import sys

from api.graphql.schema import build_schema
from inventory_service.platform.settings import Settings


def sdl() -> str:
    """The schema as SDL (limits do not change it)."""
    return build_schema(Settings(environment="production")).as_str() + "\n"


if __name__ == "__main__":
    sys.stdout.write(sdl())
