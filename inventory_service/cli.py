"""The `inventory-service` command: serve, migrate, seed, tokens and the operators' tools.

Rules: every command works from any working directory; data goes to stdout (a token, a
table, a CSV) and progress and diagnostics to stderr; a failure exits non-zero with a
one-line reason, never a stack trace.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from inventory_service import auth
from inventory_service import migrate as migrations
from inventory_service.db import get_database
from inventory_service.errors import DomainError
from inventory_service.settings import get_settings
from models import Role

F = TypeVar("F", bound=Callable[..., Any])


class ServiceTyper(typer.Typer):
    """A Typer whose commands turn domain errors into a one-line reason and exit code 2."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        register = super().command(*args, **kwargs)

        def decorator(fn: F) -> F:
            @functools.wraps(fn)
            def wrapper(*a: Any, **kw: Any) -> Any:
                try:
                    return fn(*a, **kw)
                except DomainError as exc:
                    typer.echo(f"error: {exc.message}", err=True)
                    raise typer.Exit(2) from None

            register(wrapper)
            return fn

        return decorator


app = ServiceTyper(
    help="Spare parts and device register of the Liaoning O&M contract.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
token_app = ServiceTyper(help="API tokens (stored hashed; shown once).", no_args_is_help=True)
app.add_typer(token_app, name="token")
import_app = ServiceTyper(help="Bulk imports (whole file validated first; all or nothing).")
app.add_typer(import_app, name="import")


@app.command()
def migrate() -> None:
    """Bring the database to the latest schema."""
    url = get_settings().database_url
    migrations.upgrade(url)
    typer.echo(f"database at revision {migrations.head_revision()}", err=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the REST and GraphQL API (never loads demo data by itself)."""
    import uvicorn

    cfg = get_settings()
    if get_database().is_sqlite:
        # The embedded database keeps itself current; a shared PostgreSQL is migrated by ops.
        migrations.upgrade(cfg.database_url)
    base = f"http://{host}:{port}"
    typer.echo(f"serving on {base}  docs: {base}/docs  GraphQL: {base}/graphql", err=True)
    uvicorn.run(
        "api.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
    )


@app.command()
def seed() -> None:
    """Load the Liaoning demo data (idempotent: a second run adds nothing)."""
    from seed.loader import load_demo

    db = get_database()
    counts = load_demo(db, progress=True)
    summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
    typer.echo(f"demo data loaded ({summary})", err=True)


@app.command("verify-ledger")
def verify_ledger() -> None:
    """Replay the movement ledger; exit 1 listing every unit it does not explain."""
    from inventory_service import stock

    with get_database().transaction(write=False) as session:
        totals = stock.ledger_totals(session)
        problems = stock.verify_ledger(session)
    for problem in problems:
        typer.echo(f"spare {problem.spare_id}\t{problem.serial}\t{problem.reason}")
    verdict = f"{len({p.spare_id for p in problems})} unit(s) do not replay" if problems else "ok"
    typer.echo(f"ledger replay: {totals.units} units, {totals.movements} movements: {verdict}")
    if problems:
        raise typer.Exit(1)


@import_app.command("devices")
def import_devices(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .xlsx file.")
    ],
    actor: Annotated[str, typer.Option(help="Name written into each history row.")] = "import",
) -> None:
    """Import devices from CSV/XLSX; every bad row is listed and nothing is written."""
    from inventory_service import device_import
    from inventory_service.errors import ValidationFailed
    from inventory_service.progress import Progress

    caller = auth.Caller(token_id=0, name=actor, role=Role.ADMIN)
    try:
        with get_database().transaction() as session, Progress("import devices") as bar:
            count = device_import.import_devices(
                session, actor=caller, content=file.read_bytes(), filename=file.name, progress=bar
            )
    except ValidationFailed as exc:
        for problem in exc.details:
            row = f"row {problem['row']}, " if "row" in problem else ""
            column = problem.get("column", problem.get("field", ""))
            typer.echo(f"{row}{column}: {problem['reason']}", err=True)
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"imported {count} devices from {file.name}", err=True)


@token_app.command("create")
def token_create(
    role: Annotated[
        str, typer.Option(help="admin, warehouse, dispatcher, engineer, reporter or customer.")
    ],
    customer: Annotated[
        str | None, typer.Option(help="Customer code (customer role only).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Who holds it; written into history.")] = None,
) -> None:
    """Create a token and print it (only it) on stdout."""
    with get_database().transaction() as session:
        issued = auth.create_token(session, role=role, customer_code=customer, name=name)
    typer.echo(issued.token)


@token_app.command("list")
def token_list() -> None:
    """List tokens (never the tokens themselves)."""
    with get_database().transaction(write=False) as session:
        rows = auth.list_tokens(session)
        typer.echo("id\tname\trole\tcustomer_id\tcreated_at\trevoked_at")
        for t in rows:
            typer.echo(
                f"{t.id}\t{t.name}\t{t.role}\t{t.customer_id or ''}\t"
                f"{t.created_at.isoformat()}\t{t.revoked_at.isoformat() if t.revoked_at else ''}"
            )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The id from `token list`.")],
) -> None:
    """Revoke a token for good."""
    with get_database().transaction() as session:
        auth.revoke_token(session, token_id=token_id)
    typer.echo(f"token {token_id} revoked", err=True)


@token_app.command("demo")
def token_demo() -> None:
    """Replace the demo tokens: one per role, printed for the quick start."""
    from seed.loader import demo_tokens

    with get_database().transaction() as session:
        issued = demo_tokens(session)
    typer.echo("Demo tokens (press Authorize in /docs and paste one):")
    for role, token in issued.items():
        typer.echo(f"  {role:<10} {token}")


def main() -> None:
    """Entry point of the console script."""
    app()


__all__ = ["Role", "app", "main"]
