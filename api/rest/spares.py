"""Spare units: receiving, verification, transfers, scrapping, the list, summary, ledger and
export (备品备件清单), and stocktakes of a warehouse."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Query
from fastapi.responses import Response

from api.deps import Reader, SessionDep, Staff, Stockkeeper
from api.filters import query_filters
from api.idempotency import IdempotencyDep
from api.routing import Router
from api.schemas import CodePath, Cursor, Limit, PageOf, PathId, page_of
from inventory_service.platform.lang import Lang
from inventory_service.platform.pagination import DEFAULT_LIMIT
from inventory_service.warehouse import spares_export, spares_list, stock
from inventory_service.warehouse import stocktakes as stocktakes_service
from inventory_service.warehouse.spares_export import ExportFormat
from models.ledger import MovementRead
from models.spare import (
    SpareRead,
    SpareReceive,
    SpareScrap,
    SpareSummary,
    SpareTransfer,
    SpareUpdate,
    SpareVerify,
    StocktakeCreate,
    StocktakeRead,
)

router = Router(prefix="/spares", tags=["spares"])
stocktakes = Router(prefix="/warehouses/{code}/stocktakes", tags=["spares"])


Filters = Annotated[stock.SpareFilter, Depends(query_filters(stock.SpareFilter))]


@router.post("", status_code=201, response_model=SpareRead)
def receive_spare(
    data: SpareReceive, session: SessionDep, actor: Stockkeeper, idem: IdempotencyDep
) -> object:
    """Receive a unit: available, or quarantined while its provenance is incomplete."""
    unit = stock.receive(session, actor=actor, data=data)
    return idem.respond(session, 201, stock.read(session, unit))


@router.get("", response_model=PageOf[SpareRead])
def list_spares(
    session: SessionDep,
    actor: Reader,
    filters: Filters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[SpareRead]:
    """Units the caller may see (a customer: parts of its devices and their substitutes)."""
    page = stock.list_units(session, actor=actor, limit=limit, cursor=cursor, filters=filters)
    return page_of(page, lambda item: item)


@router.get("/summary", response_model=SpareSummary)
def spares_summary(session: SessionDep, actor: Reader, filters: Filters) -> SpareSummary:
    """Count of units per part number × warehouse × status, with the list's filters."""
    return stock.summary(session, actor=actor, filters=filters)


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {
            "content": {ctype: {} for ctype in spares_export.CONTENT_TYPE.values()},
            "description": "The spares list as a file.",
        }
    },
)
def export_spares(
    session: SessionDep,
    actor: Reader,
    filters: Filters,
    format: Annotated[ExportFormat, Query(description="csv (UTF-8 with BOM) or xlsx")] = (
        ExportFormat.CSV
    ),
    lang: Annotated[Lang, Query(description="Headings and values: en or zh")] = Lang.EN,
) -> Response:
    """The spares list (备品备件清单) for the customer's inspection: units held, by part."""
    rows = spares_list.list_(session, actor=actor, filters=filters)
    name = spares_export.filename(format, lang)
    return Response(
        spares_export.render(rows, format, lang),
        media_type=spares_export.CONTENT_TYPE[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{spare_id}", response_model=SpareRead)
def get_spare(spare_id: PathId, session: SessionDep, actor: Reader) -> SpareRead:
    """One unit."""
    return stock.get(session, actor=actor, spare_id=spare_id)


@router.get("/{spare_id}/movements", response_model=PageOf[MovementRead])
def list_movements(
    spare_id: PathId,
    session: SessionDep,
    actor: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[MovementRead]:
    """The unit's ledger rows, oldest first."""
    page = stock.movements(session, actor=actor, spare_id=spare_id, limit=limit, cursor=cursor)
    return page_of(page, lambda item: item)


@router.post("/{spare_id}/verify", response_model=SpareRead)
def verify_spare(
    spare_id: PathId,
    session: SessionDep,
    actor: Stockkeeper,
    idem: IdempotencyDep,
    data: Annotated[SpareVerify | None, Body()] = None,
) -> object:
    """Release a quarantined unit once its provenance (supplier, channel, document) is complete."""
    unit = stock.verify(session, actor=actor, spare_id=spare_id, data=data or SpareVerify())
    return idem.respond(session, 200, stock.read(session, unit))


@router.patch("/{spare_id}", response_model=SpareRead)
def update_spare(
    spare_id: PathId, data: SpareUpdate, session: SessionDep, actor: Stockkeeper
) -> SpareRead:
    """Record the firmware a unit carries (`null`: unknown); a ledger row names the change."""
    unit = stock.set_firmware(
        session, actor=actor, spare_id=spare_id, firmware_version=data.firmware_version
    )
    return stock.read(session, unit)


@router.post("/{spare_id}/transfer", response_model=SpareRead)
def transfer_spare(
    spare_id: PathId,
    data: SpareTransfer,
    session: SessionDep,
    actor: Stockkeeper,
    idem: IdempotencyDep,
) -> object:
    """Move an available unit to another warehouse."""
    unit = stock.transfer(
        session, actor=actor, spare_id=spare_id, warehouse_code=data.warehouse_code
    )
    return idem.respond(session, 200, stock.read(session, unit))


@router.post("/{spare_id}/scrap", response_model=SpareRead)
def scrap_spare(
    spare_id: PathId,
    session: SessionDep,
    actor: Stockkeeper,
    idem: IdempotencyDep,
    data: Annotated[SpareScrap | None, Body()] = None,
) -> object:
    """Write a unit off (quarantined, available, faulty or at repair)."""
    reason = data.reason if data else None
    unit = stock.scrap(session, actor=actor, spare_id=spare_id, reason=reason)
    return idem.respond(session, 200, stock.read(session, unit))


@stocktakes.post("", status_code=201, response_model=StocktakeRead)
def create_stocktake(
    code: CodePath,
    data: StocktakeCreate,
    session: SessionDep,
    actor: Stockkeeper,
    idem: IdempotencyDep,
) -> object:
    """Compare the serials counted on the shelves with the books (a report; no unit changes)."""
    record = stocktakes_service.take(session, actor=actor, warehouse_code=code, data=data)
    return idem.respond(session, 201, stocktakes_service.read(record, code))


@stocktakes.get("", response_model=PageOf[StocktakeRead])
def list_stocktakes(
    code: CodePath,
    session: SessionDep,
    actor: Staff,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[StocktakeRead]:
    """The warehouse's stocktakes, oldest first."""
    page = stocktakes_service.list_(session, warehouse_code=code, limit=limit, cursor=cursor)
    return page_of(page, lambda item: item)


@stocktakes.get("/{stocktake_id}", response_model=StocktakeRead)
def get_stocktake(
    code: CodePath, stocktake_id: PathId, session: SessionDep, actor: Staff
) -> StocktakeRead:
    """One stocktake with its report."""
    return stocktakes_service.get(session, warehouse_code=code, stocktake_id=stocktake_id)
