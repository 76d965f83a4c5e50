"""The `inventory-service` command: serve, migrate, tokens and the operators' tools.

The demo data adds `seed` and `token demo` through the `inventory_service.cli` entry point
group (`seed/commands.py`), so imports keep flowing one way.

Rules: every command works from any working directory; data goes to stdout (a token, a
table, a CSV) and progress and diagnostics to stderr; a failure exits non-zero with a
one-line reason, never a stack trace.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, TypeVar

import typer

from inventory_service.platform import auth
from inventory_service.platform import migrate as migrations
from inventory_service.platform.db import get_database
from inventory_service.platform.errors import DomainError
from inventory_service.platform.settings import get_settings
from models import Role

if TYPE_CHECKING:
    from inventory_service.reach.coverage import Coverage

F = TypeVar("F", bound=Callable[..., Any])

# How long uvicorn's supervisor waits for a worker to answer (and, at start, to be serving)
# before it kills and replaces it. Its default, 5 s, is shorter than a worker's imports take
# on a busy node, so with several workers it would replace them forever; a worker that hangs
# later is the liveness probe's business.
WORKER_HEALTHCHECK_SECONDS = 60


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
report_app = ServiceTyper(
    help="Reports for the contract's periodic summaries.", no_args_is_help=True
)
app.add_typer(report_app, name="report")


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
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes (default: INVENTORY_WORKERS, else 1)."),
    ] = None,
) -> None:
    """Serve the REST and GraphQL API (never loads demo data by itself).

    SIGTERM stops accepting connections, lets in-flight requests finish for up to
    INVENTORY_SHUTDOWN_GRACE_SECONDS, then stops the expiry sweeper and closes the pool.
    """
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
        workers=workers or cfg.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=cfg.shutdown_grace_seconds,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


@app.command("verify-ledger")
def verify_ledger() -> None:
    """Replay the movement ledger and recount `spare_count`; exit 1 listing every difference."""
    from inventory_service.warehouse import counts, ledger

    with get_database().transaction(write=False) as session:
        totals = ledger.totals(session)
        problems = ledger.verify(session)
        wrong_counts = counts.verify(session)
    for problem in problems:
        typer.echo(f"spare {problem.spare_id}\t{problem.serial}\t{problem.reason}")
    for c in wrong_counts:
        typer.echo(
            f"count part {c.part_id} warehouse {c.warehouse_id} {c.status} genuine={c.genuine}"
            f"\tspare_count says {c.counted}, the units are {c.units}"
        )
    verdicts = [f"{len({p.spare_id for p in problems})} unit(s) do not replay"] if problems else []
    if wrong_counts:
        verdicts.append(f"{len(wrong_counts)} count(s) differ from the units")
    verdict = "; ".join(verdicts) or "ok"
    typer.echo(f"ledger replay: {totals.units} units, {totals.movements} movements: {verdict}")
    if problems or wrong_counts:
        raise typer.Exit(1)


@import_app.command("devices")
def import_devices(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .xlsx file.")
    ],
    actor: Annotated[str, typer.Option(help="Name written into each history row.")] = "import",
) -> None:
    """Import devices from CSV/XLSX; every bad row is listed and nothing is written."""
    from inventory_service.assets import device_import
    from inventory_service.platform.errors import ValidationFailed
    from inventory_service.platform.progress import Progress

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


@app.command()
def reach(
    site: Annotated[str, typer.Argument(help="Site code.")],
    part: Annotated[str, typer.Argument(help="Part number of the failed component.")],
    deadline: Annotated[
        int | None, typer.Option(help="Deadline in minutes (default: the configured 240).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Candidates and rejected shown (max 500).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="The raw answer as JSON.")] = False,
) -> None:
    """Can a genuine replacement of PART reach SITE by the deadline, and why (not)."""
    from inventory_service.reach import reachability

    with get_database().transaction(write=False) as session:
        answer = reachability.availability(
            session,
            actor=auth.SYSTEM,
            site_code=site,
            part_number=part,
            deadline_minutes=deadline,
            limit=limit,
        )
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
        return
    verdict = "REACHABLE" if answer.reachable else "NOT REACHABLE"
    typer.echo(
        f"{answer.part_number} -> {answer.site_code} within {answer.deadline_minutes} min: "
        f"{verdict} ({answer.candidate_count} candidate(s))"
    )
    typer.echo("candidates (best first):")
    typer.echo("  spare_id\tserial\tpart_number\tsubstitute\twarehouse\tkm\tband\teta")
    for c in answer.candidates:
        typer.echo(
            f"  {c.spare_id}\t{c.serial}\t{c.part_number}\t{'yes' if c.substitute else 'no'}\t"
            f"{c.warehouse_code}\t{c.distance_km}\t{c.band_minutes}\t{c.eta_minutes}"
        )
    counts = ", ".join(f"{k}: {v}" for k, v in answer.rejected_counts.items())
    typer.echo(f"rejected (nearest first; {counts}):")
    typer.echo("  spare_id\tpart_number\twarehouse\treason\tkm\teta")
    for r in answer.rejected:
        eta = "" if r.eta_minutes is None else r.eta_minutes
        typer.echo(
            f"  {r.spare_id}\t{r.part_number}\t{r.warehouse_code}\t{r.reason}\t"
            f"{r.distance_km}\t{eta}"
        )


@app.command()
def coverage(
    customer: Annotated[str | None, typer.Option(help="Only this customer's sites.")] = None,
    deadline: Annotated[
        int | None, typer.Option(help="Deadline in minutes (default: the configured 240).")
    ] = None,
    csv_out: Annotated[bool, typer.Option("--csv", help="Every pair as CSV on stdout.")] = False,
) -> None:
    """Every site x installed part: reachable or not, gaps, stocking plan (设备预购表)."""
    from inventory_service.reach import coverage as coverage_service

    with get_database().transaction(write=False) as session:
        result = coverage_service.compute(
            session,
            actor=auth.SYSTEM,
            customer_code=customer,
            deadline_minutes=deadline,
            progress=True,
        )
    if csv_out:
        _coverage_csv(result)
    else:
        _coverage_text(result)


def _coverage_csv(result: Coverage) -> None:
    """Every pair as a CSV row on stdout."""
    from inventory_service.platform import spreadsheets

    writer = spreadsheets.csv_writer(sys.stdout)
    writer.writerow(
        [
            "site_code",
            "customer_code",
            "part_number",
            "installed",
            "reachable",
            "best_eta_minutes",
            "best_warehouse_code",
        ]
    )
    for p in result.pairs:
        writer.writerow(
            [
                p.site_code,
                p.customer_code,
                p.part_number,
                p.installed,
                p.reachable,
                "" if p.best_eta_minutes is None else p.best_eta_minutes,
                p.best_warehouse_code or "",
            ]
        )


def _coverage_text(result: Coverage) -> None:
    """The share covered, the gaps and the stocking plan, for a person."""
    typer.echo(
        f"coverage within {result.deadline_minutes} min: {result.covered}/{len(result.pairs)} "
        f"site x part pairs ({result.share_covered:.1%})"
    )
    gaps = [p for p in result.pairs if not p.reachable]
    typer.echo(f"gaps ({len(gaps)}):")
    for p in gaps:
        typer.echo(f"  {p.site_code}\t{p.customer_code}\t{p.part_number}\tinstalled {p.installed}")
    typer.echo(f"stocking plan ({len(result.plan)} addition(s), greedy set cover):")
    typer.echo("  warehouse\tpart_number\tquantity\tcloses")
    for a in result.plan:
        typer.echo(
            f"  {a.warehouse_code}\t{a.part_number}\t{a.quantity}\t{', '.join(a.site_codes)}"
        )
    for site_code, part_number in result.uncoverable:
        typer.echo(f"  uncoverable: {site_code}\t{part_number} (no warehouse reaches it in time)")


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


@report_app.command("replacements")
def report_replacements(
    month: Annotated[str | None, typer.Option(help="YYYY-MM, e.g. 2026-10.")] = None,
    quarter: Annotated[str | None, typer.Option(help="YYYY-Qn, e.g. 2026-Q4.")] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First local date, YYYY-MM-DD (with --to).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Last local date, inclusive (with --from).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json, csv or xlsx.")] = "json",
    lang: Annotated[str, typer.Option(help="Headings of csv and xlsx: en or zh.")] = "en",
    customer: Annotated[str | None, typer.Option(help="Only this customer's rows.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """The replacement report of a month, a quarter or a date range (progress on stderr)."""
    from inventory_service.platform.errors import ValidationFailed
    from inventory_service.platform.lang import Lang
    from inventory_service.reporting import periods, reports, reports_export

    if fmt not in set(reports_export.ReportFormat):
        raise ValidationFailed.field("format", f"{fmt!r}: expected json, csv or xlsx")
    if lang not in set(Lang):
        raise ValidationFailed.field("lang", f"{lang!r}: expected en or zh")
    report_format, report_lang = reports_export.ReportFormat(fmt), Lang(lang)
    period = periods.parse_period(
        month=month, quarter=quarter, date_from=date_from, date_to=date_to
    )
    with get_database().transaction(write=False) as session:
        report = reports.report_data(
            session, actor=auth.SYSTEM, period=period, customer_code=customer, progress=True
        )
    if report_format is reports_export.ReportFormat.JSON:
        data = report.read().model_dump_json(by_alias=True, indent=2).encode() + b"\n"
    else:
        data = reports_export.render(report, report_format, report_lang)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        typer.echo(f"{len(report.rows)} replacement(s) written to {output}", err=True)


@report_app.command("failures")
def report_failures(
    quarter: Annotated[str, typer.Option(help="YYYY-Qn, e.g. 2026-Q4.")],
    top: Annotated[int, typer.Option(help="How many parts to print.")] = 10,
    customer: Annotated[str | None, typer.Option(help="Only this customer's devices.")] = None,
) -> None:
    """The parts with the highest annualised failure rate in a quarter (故障概率趋势)."""
    from inventory_service.reporting import reports

    with get_database().transaction(write=False) as session:
        lines = reports.top_failures(
            session, actor=auth.SYSTEM, quarter=quarter, customer_code=customer, top=top
        )
    if not lines:
        typer.echo(f"no replacements in {quarter}", err=True)
        return

    def rate(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    heads = ("#", "part number", "name", "replaced", "installed", "rate/yr", "previous")
    rows = [
        (str(i), x.part_number, x.part_name, str(x.replacements), str(x.installed))
        + (rate(x.annualised_rate), rate(x.previous_rate))
        for i, x in enumerate(lines, start=1)
    ]

    def width(text: str) -> int:  # a CJK character takes two columns in a terminal
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    widths = [max(width(r[c]) for r in (heads, *rows)) for c in range(len(heads))]
    for r in (heads, *rows):
        cells = [
            " " * (w - width(v)) + v if c in (0, 3, 4, 5, 6) else v + " " * (w - width(v))
            for c, (v, w) in enumerate(zip(r, widths, strict=True))
        ]
        typer.echo("  ".join(cells).rstrip())


PLUGINS: Final = "inventory_service.cli"


def install_plugins() -> None:
    """Add the commands other installed packages register under the `inventory_service.cli`
    entry point group: a callable taking (app, token_app). The demo data (`seed` and
    `token demo`) registers itself that way, so this package never imports `seed`."""
    for entry_point in entry_points(group=PLUGINS):
        entry_point.load()(app, token_app)


install_plugins()


def main() -> None:
    """Entry point of the console script."""
    app()


__all__ = ["Role", "app", "main"]
