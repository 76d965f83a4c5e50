"""The demo data's commands, added to `inventory-service` through the `inventory_service.cli`
entry point group (see pyproject.toml): `seed` and `token demo`.

Rules: the CLI never imports this package; this package registers itself, so the service
runs (and its CLI works) where the demo data is not installed. The loader (and everything it
imports) loads when a demo command runs, not with every command of the CLI.
"""

from __future__ import annotations

import typer

from inventory_service.platform.db import get_database


def seed() -> None:
    """Load the Liaoning demo data (idempotent: a second run adds nothing)."""
    from seed.loader import load_demo

    counts = load_demo(get_database(), progress=True)
    summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
    typer.echo(f"demo data loaded ({summary})", err=True)


def token_demo() -> None:
    """Replace the demo tokens: one per role, printed for the quick start."""
    from seed.loader import demo_tokens

    with get_database().transaction() as session:
        issued = demo_tokens(session)
    typer.echo("Demo tokens (press Authorize in /docs and paste one):")
    for role, token in issued.items():
        typer.echo(f"  {role:<10} {token}")


def register(app: typer.Typer, token_app: typer.Typer) -> None:
    """Add `seed` and `token demo` to the service's command."""
    app.command("seed")(seed)
    token_app.command("demo")(token_demo)
