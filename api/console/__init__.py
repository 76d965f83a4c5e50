"""The read-only console at /console: server-rendered pages for people, in Chinese and English.

Rules: every page calls the same service functions as the API, with the signed-in caller,
so roles and customer scope are the API's (a page a role may not use says so; something out
of a customer's scope is "not found"); at most two service calls a page; nothing here
writes. Sign-in keeps the token in an HttpOnly, SameSite=Strict cookie and authenticates it
through `api.deps.caller_of`, the API's own path from a token to a caller.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import i18n, svg
from api.deps import DatabaseDep, SessionDep, caller_of
from api.routing import Router, include
from api.web import CONSOLE_POLICY, self_only, templates
from inventory_service import policy
from inventory_service.assets import devices, places
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import (
    DomainError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from inventory_service.platform.lang import Lang as FileLang
from inventory_service.platform.settings import get_settings
from inventory_service.policy import Operation
from inventory_service.reach import coverage as coverage_service
from inventory_service.reach import reachability
from inventory_service.reporting import periods, report_tables, reports, reports_export
from inventory_service.reporting.periods import default_month
from inventory_service.warehouse import spares_export, spares_list, stock
from models import UnitStatus

COOKIE: Final = "inventory_console"
LANG_COOKIE: Final = "inventory_console_lang"
PAGE_SIZE: Final = 100
SPARE_STATUSES: Final = tuple(UnitStatus)

router = Router(prefix="/console", include_in_schema=False)


class SignInRequired(Exception):
    """No valid console cookie: the page answers with a redirect to the sign-in form."""


def language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE, "zh")
    return chosen if chosen in i18n.LANGS else "zh"


Lang = Annotated[str, Depends(language)]


async def console_caller(request: Request, db: DatabaseDep) -> Caller:
    """The caller of the console cookie (else a redirect to sign in)."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired
    try:
        return await caller_of(request, db, token)
    except Unauthorized as exc:
        raise SignInRequired from exc


ConsoleCaller = Annotated[Caller, Depends(console_caller)]


def page(
    request: Request,
    name: str,
    *,
    caller: Caller | None,
    lang: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A console page: the template with the words, the caller and the navigation."""
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    other = "en" if lang == "zh" else "zh"
    here = request.url.path + ("?" + urlencode(query) if query else "")
    response = templates.TemplateResponse(
        request,
        f"console/{name}.html",
        {
            "t": i18n.words(lang),
            "lang": lang,
            "caller": caller,
            "path": request.url.path,
            "switch_lang": f"/console/lang/{other}?{urlencode({'next': here})}",
            "report_allowed": caller is not None and policy.allows(caller, Operation.READ_REPORTS),
            **context,
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return self_only(response, CONSOLE_POLICY)


def refusal(request: Request, exc: DomainError, *, caller: Caller, lang: str) -> HTMLResponse:
    """A service's refusal as a page: the same status code and message as the API's."""
    words = i18n.words(lang)
    if isinstance(exc, Forbidden):
        status, headline = 403, words["not_allowed"]
    elif isinstance(exc, NotFound):
        status, headline = 404, words["not_found"]
    elif isinstance(exc, ValidationFailed):
        status, headline = 422, words["invalid"]
    else:
        status, headline = 409, exc.code
    return page(
        request,
        "refusal",
        caller=caller,
        lang=lang,
        status_code=status,
        headline=headline,
        message=exc.message,
        details=exc.details,
    )


# --- sign-in, sign-out, language -------------------------------------------------------


@router.get("/sign-in")
def sign_in_form(request: Request, lang: Lang) -> HTMLResponse:
    """The sign-in form (a token)."""
    return page(request, "sign_in", caller=None, lang=lang, failed=False)


@router.post("/sign-in")
async def sign_in(
    request: Request,
    db: DatabaseDep,
    lang: Lang,
    token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the token (the API's path) and keep it in an HttpOnly, SameSite=Strict cookie."""
    try:
        await caller_of(request, db, token.strip())
    except Unauthorized:
        return page(request, "sign_in", caller=None, lang=lang, failed=True, status_code=401)
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/console",
        max_age=12 * 3600,
    )
    return response


@router.post("/sign-out")
def sign_out() -> Response:
    """Forget the token."""
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict")
    return response


@router.get("/lang/{to}")
def switch_language(to: str, next: str = "/console") -> Response:
    """Remember the language and go back (only to a console page)."""
    target = next if next.startswith("/console") and "//" not in next else "/console"
    response = RedirectResponse(target, status_code=303)
    if to in i18n.LANGS:
        response.set_cookie(LANG_COOKIE, to, samesite="strict", path="/console")
    return response


@router.get("")
def home() -> Response:
    """The spares list is the console's first page."""
    return RedirectResponse("/console/spares", status_code=303)


# --- 备件清单 -----------------------------------------------------------------------------


def _spare_filter(
    part_number: str | None, warehouse_code: str | None, status: str | None, genuine: str | None
) -> stock.SpareFilter:
    try:
        unit_status = UnitStatus(status) if status else None
    except ValueError as exc:
        raise ValidationFailed.field("status", f"unknown status {status!r}") from exc
    return stock.SpareFilter(
        part_number=part_number or None,
        warehouse_code=warehouse_code or None,
        status=unit_status,
        genuine={"true": True, "false": False}.get(genuine or ""),
    )


@router.get("/spares")
def spares_page(
    request: Request,
    session: SessionDep,
    caller: ConsoleCaller,
    lang: Lang,
    part_number: str | None = None,
    warehouse_code: str | None = None,
    status: str | None = None,
    genuine: str | None = None,
    cursor: str | None = None,
) -> HTMLResponse:
    """备件清单: the units the caller may see, counts per warehouse, export links."""
    try:
        filters = _spare_filter(part_number, warehouse_code, status, genuine)
        summary = stock.summary(session, actor=caller, filters=filters)
        units = stock.list_units(
            session, actor=caller, limit=PAGE_SIZE, cursor=cursor, filters=filters
        )
    except DomainError as exc:
        return refusal(request, exc, caller=caller, lang=lang)
    per_warehouse: dict[str, Counter[str]] = defaultdict(Counter)
    for row in summary.items:
        per_warehouse[row.warehouse_code or "—"][row.status.value] += row.count
    shown = {
        "part_number": part_number or "",
        "warehouse_code": warehouse_code or "",
        "status": status or "",
        "genuine": genuine or "",
    }
    query = {k: v for k, v in shown.items() if v}
    return page(
        request,
        "spares",
        caller=caller,
        lang=lang,
        filters=shown,
        statuses=[s.value for s in SPARE_STATUSES],
        per_warehouse=sorted(per_warehouse.items()),
        total=summary.total,
        units=units.items,
        next_cursor=units.next_cursor,
        query=urlencode(query),
        next_query=urlencode({**query, "cursor": units.next_cursor or ""}),
    )


@router.get("/spares/export")
def spares_export_file(
    session: SessionDep,
    caller: ConsoleCaller,
    lang: Lang,
    format: Annotated[spares_export.ExportFormat, Query()] = spares_export.ExportFormat.CSV,
    part_number: str | None = None,
    warehouse_code: str | None = None,
    status: str | None = None,
    genuine: str | None = None,
) -> Response:
    """The spares list as the API exports it (CSV or XLSX), for the signed-in caller."""
    filters = _spare_filter(part_number, warehouse_code, status, genuine)
    rows = spares_list.list_(session, actor=caller, filters=filters)
    file_lang = FileLang(lang)
    return Response(
        spares_export.render(rows, format, file_lang),
        media_type=spares_export.CONTENT_TYPE[format],
        headers={
            "Content-Disposition": (
                f'attachment; filename="{spares_export.filename(format, file_lang)}"'
            )
        },
    )


# --- 4 小时可达 ----------------------------------------------------------------------------


@router.get("/reach")
def reach_page(
    request: Request,
    session: SessionDep,
    caller: ConsoleCaller,
    lang: Lang,
    site_code: str | None = None,
    part_number: str | None = None,
    device_id: str | None = None,
    slot: str | None = None,
) -> HTMLResponse:
    """4 小时可达: site + part (or device + slot) → the answer, candidates, rejections, map."""
    cfg = get_settings()
    points = places.map_points(session, actor=caller)
    answer = None
    device = None
    if site_code or device_id:
        try:
            if device_id:
                if not device_id.strip().isdigit():
                    raise ValidationFailed.field("device_id", "must be a whole number")
                device = int(device_id)
            answer = reachability.availability(
                session,
                actor=caller,
                site_code=site_code or None,
                part_number=part_number or None,
                device_id=device,
                slot=slot or None,
                deadline_minutes=None,
                limit=20,
            )
        except DomainError as exc:
            return refusal(request, exc, caller=caller, lang=lang)
    deadline = answer.deadline_minutes if answer else cfg.deadline_minutes
    chosen = answer.best.warehouse_code if answer and answer.best else None
    view = svg.build_map(
        points.sites,
        points.warehouses,
        rings_for=[chosen] if chosen else [w.code for w in points.warehouses],
        cfg=cfg,
        deadline=deadline,
    )
    if answer is not None:
        view = svg.with_route(view, answer.site_code, chosen)
    return page(
        request,
        "reach",
        caller=caller,
        lang=lang,
        sites=points.sites,
        answer=answer,
        view=view,
        form={
            "site_code": site_code or "",
            "part_number": part_number or "",
            "device_id": device_id or "",
            "slot": slot or "",
        },
    )


# --- 覆盖 ------------------------------------------------------------------------------------


@router.get("/coverage")
def coverage_page(
    request: Request,
    session: SessionDep,
    caller: ConsoleCaller,
    lang: Lang,
    customer_code: str | None = None,
) -> HTMLResponse:
    """覆盖: every site × installed part of a customer, the map coloured by share covered."""
    cfg = get_settings()
    try:
        points = places.map_points(session, actor=caller)
        result = coverage_service.read(
            session, actor=caller, customer_code=customer_code or None, deadline_minutes=None
        )
    except DomainError as exc:
        return refusal(request, exc, caller=caller, lang=lang)
    per_site: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in result.rows:
        per_site[row.site_code][0] += int(row.reachable)
        per_site[row.site_code][1] += 1
    shares = {code: ok / n for code, (ok, n) in per_site.items() if n}
    customers = sorted({p.customer_code for p in points.sites if p.customer_code})
    sites = [p for p in points.sites if not customer_code or p.customer_code == customer_code]
    view = svg.build_map(
        sites,
        points.warehouses,
        colours={code: svg.share_colour(share) for code, share in shares.items()},
        labels={code: f"{share:.0%}" for code, share in shares.items()},
        rings_for=[w.code for w in points.warehouses],
        cfg=cfg,
        deadline=result.deadline_minutes,
    )
    return page(
        request,
        "coverage",
        caller=caller,
        lang=lang,
        result=result,
        view=view,
        shares=sorted(shares.items(), key=lambda kv: (kv[1], kv[0])),
        customers=customers,
        customer_code=customer_code or "",
    )


# --- 月报 ------------------------------------------------------------------------------------


@router.get("/report")
def report_page(
    request: Request,
    session: SessionDep,
    caller: ConsoleCaller,
    lang: Lang,
    month: str | None = None,
) -> HTMLResponse:
    """月报: the month's replacement summary with the XLSX's charts, drawn as SVG."""
    chosen = month or default_month()
    try:
        report = reports.report_data(
            session, actor=caller, period=periods.parse_period(month=chosen)
        )
    except DomainError as exc:
        return refusal(request, exc, caller=caller, lang=lang)
    start, end = report.period.from_, report.period.to
    buckets = report_tables.duration_buckets(report.rows, report.deadline_minutes)
    weeks = report_tables.weekly_shares(report.rows, start, end)
    return page(
        request,
        "report",
        caller=caller,
        lang=lang,
        report=report,
        month=chosen,
        by_part=svg.bars(report.summary.by_part),
        columns=svg.columns(buckets),
        weeks=list(zip(weeks, svg.polyline([w[3] for w in weeks]), strict=True)),
    )


@router.get("/report/export")
def report_export_file(
    session: SessionDep,
    caller: ConsoleCaller,
    lang: Lang,
    month: str,
    format: Annotated[reports_export.ReportFormat, Query()] = reports_export.ReportFormat.XLSX,
) -> Response:
    """The month's report as the API exports it (XLSX with charts, or CSV)."""
    report = reports.report_data(session, actor=caller, period=periods.parse_period(month=month))
    file_lang = FileLang(lang)
    name = reports_export.filename(report, format, file_lang)
    return Response(
        reports_export.render(report, format, file_lang),
        media_type=reports_export.CONTENT_TYPE[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- a device ---------------------------------------------------------------------------------


@router.get("/devices")
def find_device(
    request: Request,
    session: SessionDep,
    caller: ConsoleCaller,
    lang: Lang,
    serial: Annotated[str, Query(min_length=1, max_length=100)],
) -> Response:
    """A device by its serial or a component's: straight to its page."""
    found = devices.find_by_serial(session, actor=caller, serial=serial.strip())
    if not found:
        return refusal(
            request, NotFound(f"no device with serial {serial!r}"), caller=caller, lang=lang
        )
    return RedirectResponse(f"/console/devices/{found[0].device.id}", status_code=303)


@router.get("/devices/{device_id}")
def device_page(
    request: Request,
    session: SessionDep,
    caller: ConsoleCaller,
    lang: Lang,
    device_id: int,
) -> HTMLResponse:
    """A device: its components, levels and history (the customer sees no actors)."""
    try:
        view = devices.get(session, actor=caller, device_id=device_id)
        history = devices.history(
            session, actor=caller, device_id=device_id, limit=200, cursor=None
        )
    except DomainError as exc:
        return refusal(request, exc, caller=caller, lang=lang)
    return page(
        request, "device", caller=caller, lang=lang, device=view.device, history=history.items
    )


def install(app: FastAPI) -> None:
    """Mount the console and send a visitor without a valid cookie to the sign-in form."""

    async def to_sign_in(request: Request, exc: Exception) -> Response:
        target = urlencode({"lang": language(request)})
        return RedirectResponse(f"/console/sign-in?{target}", status_code=303)

    app.add_exception_handler(SignInRequired, to_sign_in)
    include(app, router)
