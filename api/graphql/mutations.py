"""GraphQL mutations for the lifecycle: the same services and rules as REST."""

from __future__ import annotations

from typing import Any

import strawberry
from pydantic import ValidationError
from sqlmodel import Session
from strawberry.types import Info

from api.graphql import types as t
from api.graphql.context import Context, idempotent_write, may
from api.surface import graphql_error
from inventory_service.lifecycle import loans, repairs, replacements, reservations
from inventory_service.platform.errors import ValidationFailed
from inventory_service.policy import Operation
from inventory_service.warehouse import catalogue, stock
from models import bounds
from models.part import AlternateCreate, PartRead
from models.reservation import (
    LoanCreate,
    LoanRead,
    RepairCreate,
    RepairOutcome,
    RepairRead,
    RepairReceive,
    ReplacementCreate,
    ReplacementRead,
    ReplacementUpdate,
    ReservationCreate,
    ReservationRead,
)
from models.spare import SpareRead, SpareUpdate

Ctx = Info[Context, None]


def parse(model: type[Any], raw: dict[str, Any]) -> Any:
    """Validate a mutation input with the REST request model (same rules, same messages)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()
        ]
        raise graphql_error(ValidationFailed("invalid input", details=details)) from None


def _raw(input: object, *ids: str) -> dict[str, Any]:
    """A mutation input as the REST body: its fields, the named `ID` fields as integer ids."""
    raw: dict[str, Any] = strawberry.asdict(input)
    for name in ids:
        raw[name] = _int(raw[name])
    return raw


def _int(value: strawberry.ID | None) -> int | None:
    if value is None:
        return None
    try:
        return bounds.parse_id(value)
    except ValueError as exc:
        raise graphql_error(ValidationFailed.field("id", str(exc))) from None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Hold the best genuine unit for a ticket (idempotent).",
        permission_classes=may(Operation.FIELD_WORK),
    )
    async def reserve(
        self, info: Ctx, input: t.ReserveInput, idempotency_key: str
    ) -> t.Reservation:
        ctx = info.context
        actor = ctx.caller
        raw = _raw(input, "device_id", "spare_id")
        data = parse(ReservationCreate, raw)

        def work(session: Session) -> Any:
            reservation = reservations.reserve(session, actor=actor, data=data)
            return reservations.reads(session, [reservation])[0].model_dump(mode="json")

        answer = await idempotent_write(
            ctx, key=idempotency_key, operation="reserve", payload=raw, fn=work
        )
        return t.Reservation.from_pydantic(ReservationRead.model_validate(answer))

    @strawberry.mutation(
        description="Release a hold; a dispatched unit comes back to stock.",
        permission_classes=may(Operation.FIELD_WORK),
    )
    async def cancel_reservation(self, info: Ctx, id: strawberry.ID) -> t.Reservation:
        ctx = info.context
        actor = ctx.caller

        def work(session: Session, reservation_id: int) -> ReservationRead:
            done = reservations.cancel(session, actor=actor, reservation_id=reservation_id)
            return reservations.reads(session, [done])[0]

        return t.Reservation.from_pydantic(await ctx.write(work, _int(id)))

    @strawberry.mutation(
        description="The warehouse hands the reserved unit over.",
        permission_classes=may(Operation.KEEP_STOCK),
    )
    async def dispatch_reservation(self, info: Ctx, id: strawberry.ID) -> t.Reservation:
        ctx = info.context
        actor = ctx.caller

        def work(session: Session, reservation_id: int) -> ReservationRead:
            done = reservations.dispatch(session, actor=actor, reservation_id=reservation_id)
            return reservations.reads(session, [done])[0]

        return t.Reservation.from_pydantic(await ctx.write(work, _int(id)))

    @strawberry.mutation(
        description="Record a replacement confirmed by both sides.",
        permission_classes=may(Operation.FIELD_WORK),
    )
    async def record_replacement(self, info: Ctx, input: t.ReplacementInput) -> t.Replacement:
        ctx = info.context
        actor = ctx.caller
        data = parse(ReplacementCreate, _raw(input, "reservation_id", "device_id"))

        def work(session: Session) -> ReplacementRead:
            done = replacements.record(session, actor=actor, data=data)
            return replacements.reads(session, [done])[0]

        return t.Replacement.from_pydantic(await ctx.write(work))

    @strawberry.mutation(
        description="Complete the fault record (`PATCH /replacements/{id}`); each change is "
        "kept in the replacement's edit history.",
        permission_classes=may(Operation.FIELD_WORK),
    )
    async def update_replacement(
        self, info: Ctx, id: strawberry.ID, input: t.ReplacementPatchInput
    ) -> t.Replacement:
        ctx = info.context
        actor = ctx.caller
        raw = {name: value for name, value in vars(input).items() if value is not strawberry.UNSET}
        data = parse(ReplacementUpdate, raw)

        def work(session: Session, replacement_id: int) -> ReplacementRead:
            row = replacements.patch(session, actor=actor, replacement_id=replacement_id, data=data)
            return replacements.reads(session, [row])[0]

        return t.Replacement.from_pydantic(await ctx.write(work, _int(id)))

    @strawberry.mutation(
        description=(
            "Lend a standby of the same vendor and model to the site where the replaced device "
            "stands (`POST /loans`); it stands at that site until it is returned."
        ),
        permission_classes=may(Operation.LEND),
    )
    async def lend_standby(self, info: Ctx, input: t.LoanInput) -> t.Loan:
        ctx = info.context
        actor = ctx.caller
        data = parse(LoanCreate, _raw(input, "standby_device_id", "replaces_device_id"))

        def work(session: Session) -> LoanRead:
            return loans.reads(session, [loans.lend(session, actor=actor, data=data)])[0]

        return t.convert(t.Loan, await ctx.write(work))

    @strawberry.mutation(
        description="The standby goes back to its pool site (`POST /loans/{id}/return`).",
        permission_classes=may(Operation.LEND),
    )
    async def return_loan(self, info: Ctx, id: strawberry.ID) -> t.Loan:
        ctx = info.context
        actor = ctx.caller

        def work(session: Session, loan_id: int) -> LoanRead:
            return loans.reads(session, [loans.give_back(session, actor=actor, loan_id=loan_id)])[0]

        return t.convert(t.Loan, await ctx.write(work, _int(id)))

    @strawberry.mutation(
        description="Send a faulty unit to its vendor (faulty → at_repair).",
        permission_classes=may(Operation.KEEP_STOCK),
    )
    async def send_to_repair(
        self, info: Ctx, spare_id: strawberry.ID, vendor: str, rma_number: str
    ) -> t.Repair:
        ctx = info.context
        actor = ctx.caller
        data = parse(
            RepairCreate, {"spare_id": _int(spare_id), "vendor": vendor, "rma_number": rma_number}
        )

        def work(session: Session) -> RepairRead:
            return repairs.read(session, repairs.send(session, actor=actor, data=data))

        return t.Repair.from_pydantic(await ctx.write(work))

    @strawberry.mutation(
        description="Close a repair order: repaired or scrapped.",
        permission_classes=may(Operation.KEEP_STOCK),
    )
    async def receive_repair(self, info: Ctx, id: strawberry.ID, outcome: str) -> t.Repair:
        ctx = info.context
        actor = ctx.caller
        data: RepairReceive = parse(RepairReceive, {"outcome": outcome})
        repair_id = _int(id)

        def work(session: Session) -> RepairRead:
            order = repairs.receive(
                session,
                actor=actor,
                repair_id=repair_id or 0,
                outcome=RepairOutcome(data.outcome),
            )
            return repairs.read(session, order)

        return t.Repair.from_pydantic(await ctx.write(work))

    @strawberry.mutation(
        description="Record the firmware a spare unit carries (warehouse; null: unknown).",
        permission_classes=may(Operation.KEEP_STOCK),
    )
    async def update_spare(
        self, info: Ctx, id: strawberry.ID, firmware_version: str | None
    ) -> t.SpareUnit:
        ctx = info.context
        actor = ctx.caller
        data: SpareUpdate = parse(SpareUpdate, {"firmware_version": firmware_version})
        spare_id = _int(id) or 0

        def work(session: Session) -> SpareRead:
            unit = stock.set_firmware(
                session, actor=actor, spare_id=spare_id, firmware_version=data.firmware_version
            )
            return stock.read(session, unit)

        return t.convert(t.SpareUnit, await ctx.write(work))

    @strawberry.mutation(
        description="Approve part `alternatePartNumber` to replace `partNumber` (admin; one way).",
        permission_classes=may(Operation.ADMINISTER),
    )
    async def add_part_alternate(
        self, info: Ctx, part_number: str, alternate_part_number: str, document: str
    ) -> t.Part:
        ctx = info.context
        actor = ctx.caller
        data = parse(AlternateCreate, {"part_number": alternate_part_number, "document": document})

        def work(session: Session) -> PartRead:
            part = catalogue.add_alternate(session, actor=actor, part_number=part_number, data=data)
            return catalogue.read_part(session, part)

        return t.convert(t.Part, await ctx.write(work))

    @strawberry.mutation(
        description="Withdraw an approved alternate (admin); the part after.",
        permission_classes=may(Operation.ADMINISTER),
    )
    async def remove_part_alternate(
        self, info: Ctx, part_number: str, alternate_part_number: str
    ) -> t.Part:
        ctx = info.context
        actor = ctx.caller

        def work(session: Session) -> PartRead:
            catalogue.remove_alternate(
                session,
                actor=actor,
                part_number=part_number,
                alternate_number=alternate_part_number,
            )
            return catalogue.read_part(
                session, catalogue.get_part(session, part_number=part_number)
            )

        return t.convert(t.Part, await ctx.write(work))
