"""Six months of demo activity, ending today, played through the lifecycle services.

Rules: every event goes through the same service functions as the API (reserve, record,
send to repair, receive, lend, give back, cancel, expire, take stock), each in its own
transaction, with the clock set to the event's time (time-machine), so ledger rows, history
rows and timestamps read as they would have been written that day. Deterministic: a fixed
random seed, and the days counted back from today. Idempotent: a second run finds the
history's tickets and adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, Final, TypeVar

import time_machine
from sqlmodel import Session, col, select

from inventory_service.lifecycle import loans, repairs, replacements, reservations
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.errors import DomainError
from inventory_service.warehouse import spares_list, stock, stocktakes
from models import Device, Part, Reservation, Role, Site
from models.device import Component, DeviceStatus
from models.reservation import (
    FaultLevel,
    LoanCreate,
    RepairCreate,
    RepairOutcome,
    ReplacementCreate,
    ReservationCreate,
)
from models.spare import StocktakeCreate, StocktakeLine
from models.spare import UnitStatus as U

T = TypeVar("T")

HISTORY_SEED: Final = 20260403
TICKET_PREFIX: Final = "GD-"  # 工单: every ticket of the demo history starts with it
MONTHS: Final = 6
FAULTS: Final = 110
CST: Final = timedelta(hours=8)  # Liaoning's working day, in UTC below

DISPATCHER: Final = Caller(token_id=0, name="调度-周敏", role=Role.DISPATCHER)
STOCKKEEPER: Final = Caller(token_id=0, name="库管-刘洋", role=Role.WAREHOUSE)
ENGINEERS: Final = ("王磊", "李强", "张伟", "赵军", "陈刚", "孙浩", "马超", "高峰")
CUSTOMER_STAFF: Final = ("运维值班-刘工", "机房主管-何工", "网络部-吴工", "信息中心-郑工")
# What the field sees, by the kind of part (the category's last word): reason, impact, level.
FAULTS_SEEN: Final[dict[str, tuple[tuple[str, str, FaultLevel], ...]]] = {
    "psu": (
        ("电源模块告警，输出电压异常", "单电源运行，存在掉电风险", FaultLevel.MAJOR),
        ("电源模块无输出，指示灯灭", "电源冗余丢失", FaultLevel.SERIOUS),
    ),
    "fan": (("风扇模块转速异常，温度告警", "设备温度升高，性能降级", FaultLevel.SERIOUS),),
    "card": (
        ("接口板卡离线，端口全部 down", "下挂业务中断，已倒换至备用链路", FaultLevel.CRITICAL),
        ("板卡复位频繁，日志报硬件错误", "部分业务闪断", FaultLevel.MAJOR),
    ),
    "mpu": (("主控板倒换后备板异常", "主控无冗余", FaultLevel.SERIOUS),),
    "supervisor": (("主控引擎自检失败", "主控无冗余，配置无法同步", FaultLevel.CRITICAL),),
    "optic": (("光模块收光异常，CRC 错误增多", "链路丢包，业务质量下降", FaultLevel.MINOR),),
    "disk": (("硬盘预告警（SMART），阵列降级", "RAID 降级运行，无冗余", FaultLevel.MAJOR),),
    "raid": (("阵列卡缓存电池失效", "写缓存关闭，性能下降", FaultLevel.MINOR),),
    "memory": (("内存 ECC 不可纠正错误", "服务器重启，业务短时中断", FaultLevel.CRITICAL),),
    "backplane": (("背板槽位识别异常", "部分硬盘脱机", FaultLevel.MAJOR),),
}
KIND_OF: Final = {
    "line_card": "card",
    "hdd": "disk",
    "ssd": "disk",
    "sfp_plus": "optic",
    "qsfp28": "optic",
}


def faults_for(category: str) -> tuple[tuple[str, str, FaultLevel], ...]:
    """The faults a part of this category shows (a PSU does not lose light)."""
    for suffix, kind in KIND_OF.items():
        if category.endswith(suffix):
            return FAULTS_SEEN[kind]
    return FAULTS_SEEN.get(category.rsplit("_", 1)[-1], FAULTS_SEEN["card"])


LOANS: Final = 4  # standby loans; the last one stays out past its due date
EXPIRED: Final = 5
CANCELLED: Final = 4


def _cst(day: date, hour: float) -> datetime:
    """A moment of a Liaoning working day, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=UTC) - CST + timedelta(hours=hour)


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


@dataclass(frozen=True)
class Target:
    device_id: int
    site_code: str
    part_number: str
    category: str
    serial: str


def _in_service_components(session: Session) -> list[Target]:
    rows = session.exec(
        select(Component, Site.code, Part.part_number, Part.category)
        .select_from(Device)
        .join(Site, col(Site.id) == col(Device.site_id))
        .join(Component, col(Component.device_id) == col(Device.id))
        .join(Part, col(Part.id) == col(Component.part_id))
        .where(Device.status == DeviceStatus.IN_SERVICE.value)
        .order_by(col(Device.id), col(Component.slot))
    ).all()
    return [Target(c.device_id, site, part, kind, c.serial) for c, site, part, kind in rows]


@dataclass(frozen=True)
class Fault:
    target: Target
    reported: datetime
    what: tuple[str, str, FaultLevel]
    engineer: str
    travel: int  # minutes on the road beyond the band's estimate
    work: int
    confirmed: str


def _reserve(session: Session, *, data: ReservationCreate) -> int:
    return reservations.reserve(session, actor=DISPATCHER, data=data).id or 0


def _reserve_for_fault(
    session: Session, *, target: Target, ticket: str, engineer: str
) -> tuple[int, int]:
    """A hold on the best unit for the faulty component: (reservation id, ETA minutes)."""
    held = reservations.reserve(
        session,
        actor=DISPATCHER,
        data=ReservationCreate(
            site_code=target.site_code,
            part_number=target.part_number,
            ticket=ticket,
            engineer=engineer,
            device_id=target.device_id,
            require_within_deadline=False,
        ),
    )
    return held.id or 0, held.eta_minutes


def _fault_record(fault: Fault) -> dict[str, Any]:
    """The fault report's narrative (plan 2.2.6), as the engineer writes it after the repair."""
    reason = fault.what[0]
    return {
        "remote_support_at": fault.reported + timedelta(minutes=5),
        "customer_engineer": fault.confirmed,
        "process": f"远程登录确认{reason}，申请备件赶赴现场，更换后业务恢复，双方确认。",
        "cause": f"{reason}：部件硬件故障，旧件已返厂检测。",
        "solution": "更换原厂备件，旧件返修；更换后检查告警与日志无异常。",
        "prevention": "纳入月度巡检重点，关注同批次部件的告警与温度。",
    }


def _dispatch(session: Session, *, reservation_id: int) -> int:
    return reservations.dispatch(session, actor=DISPATCHER, reservation_id=reservation_id).id or 0


def _cancel(session: Session, *, reservation_id: int) -> int:
    return reservations.cancel(session, actor=DISPATCHER, reservation_id=reservation_id).id or 0


def _lend(session: Session, *, data: LoanCreate) -> int:
    return loans.lend(session, actor=DISPATCHER, data=data).id or 0


def _give_back(session: Session, *, loan_id: int) -> int:
    return loans.give_back(session, actor=DISPATCHER, loan_id=loan_id).id or 0


class History:
    """Plays the events in time order; each event is one transaction at its own moment."""

    def __init__(self, db: Database, today: date) -> None:
        self.db = db
        self.today = today
        self.rng = random.Random(HISTORY_SEED)
        self.start = today - timedelta(days=MONTHS * 30)
        self.counts: dict[str, int] = {}
        self.tickets = 0

    def _ticket(self, day: date) -> str:
        self.tickets += 1
        return f"{TICKET_PREFIX}{day:%Y%m%d}-{self.tickets:04d}"

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def _do(self, moment: datetime, fn: Callable[[Session], T]) -> T | None:
        """Run `fn` in one transaction at `moment`; a refusal (no unit left…) skips the event."""
        with _at(moment):
            try:
                with self.db.transaction(write=True) as session:
                    return fn(session)
            except DomainError:
                self._count("refused")
                return None

    def _day(self, n: int, *, weekdays: bool = True) -> date:
        day = self.start + timedelta(days=n)
        while weekdays and day.weekday() >= 5 and day < self.today:
            day += timedelta(days=1)
        return day

    def faults(self, targets: list[Target]) -> None:
        """Faults and replacements; the removed parts go to the vendor and (mostly) come back."""
        span = (self.today - self.start).days
        faults = []
        for _ in range(FAULTS):
            reported = _cst(self._day(self.rng.randrange(span - 1)), self.rng.uniform(0, 22))
            # Most arrive well in time; some are late in the day's traffic, a few miss 4 h.
            delay = self.rng.choices([0, 40, 150], weights=[80, 14, 6])[0]
            target = self.rng.choice(targets)
            faults.append(
                Fault(
                    target=target,
                    reported=reported,
                    what=self.rng.choice(faults_for(target.category)),
                    engineer=self.rng.choice(ENGINEERS),
                    travel=self.rng.randint(10, 50) + delay,
                    work=self.rng.randint(15, 60),
                    confirmed=self.rng.choice(CUSTOMER_STAFF),
                )
            )
        used: set[str] = set()
        for fault in sorted(faults, key=lambda f: f.reported):
            self._fault(fault, used)

    def _fault(self, fault: Fault, used: set[str]) -> None:
        target, reported, engineer = fault.target, fault.reported, fault.engineer
        reason, impact, level = fault.what
        if target.serial in used:
            return  # that component was already swapped out
        ticket = self._ticket(reported.date())

        held = self._do(
            reported + timedelta(minutes=8),
            partial(_reserve_for_fault, target=target, ticket=ticket, engineer=engineer),
        )
        if held is None:
            return
        reservation_id, eta = held
        # The engineer leaves with the unit: a dispatched hold no longer expires.
        if (
            self._do(
                reported + timedelta(minutes=15), partial(_dispatch, reservation_id=reservation_id)
            )
            is None
        ):
            return
        arrived = reported + timedelta(minutes=15 + eta + fault.travel)
        replaced = arrived + timedelta(minutes=fault.work)
        if replaced >= datetime.now(UTC):
            return  # still under way: the reservation stays as it is

        def record(session: Session) -> int:
            done = replacements.record(
                session,
                actor=DISPATCHER,
                data=ReplacementCreate(
                    reservation_id=reservation_id,
                    device_id=target.device_id,
                    removed_serial=target.serial,
                    reason=reason,
                    fault_level=level,
                    fault_impact=impact,
                    fault_reported_at=reported,
                    arrived_at=arrived,
                    replaced_at=replaced,
                    customer_confirmed_by=fault.confirmed,
                    engineer_confirmed_by=engineer,
                    **_fault_record(fault),
                ),
            )
            return done.removed_spare_id

        removed = self._do(replaced + timedelta(minutes=5), record)
        if removed is None:
            return
        used.add(target.serial)
        self._count("replacements")
        self._repair(removed, replaced)

    def _repair(self, spare_id: int, replaced: datetime) -> None:
        sent = replaced + timedelta(days=self.rng.randint(1, 4))
        back = sent + timedelta(days=self.rng.randint(12, 35))
        outcome = RepairOutcome.SCRAPPED if self.rng.random() < 0.2 else RepairOutcome.REPAIRED
        now = datetime.now(UTC)
        if sent >= now:
            return
        order = self._do(
            sent,
            lambda s: (
                repairs.send(
                    s,
                    actor=STOCKKEEPER,
                    data=RepairCreate(
                        spare_id=spare_id,
                        vendor="原厂维修中心",
                        rma_number=f"RMA-{sent:%y%m%d}-{spare_id}",
                    ),
                ).id
            ),
        )
        if order is None:
            return
        self._count("repairs_sent")
        if back >= now:
            return
        if self._do(
            back, lambda s: repairs.receive(s, actor=STOCKKEEPER, repair_id=order, outcome=outcome)
        ):
            self._count(f"repairs_{outcome.value}")

    def holds(self, targets: list[Target]) -> None:
        """Reservations that were cancelled, and some that nobody picked up and expired."""
        span = (self.today - self.start).days
        for n in range(EXPIRED + CANCELLED):
            target = self.rng.choice(targets)
            at = _cst(self._day(self.rng.randrange(span - 2)), self.rng.uniform(8, 18))
            data = ReservationCreate(
                site_code=target.site_code,
                part_number=target.part_number,
                ticket=self._ticket(at.date()),
                engineer=self.rng.choice(ENGINEERS),
                require_within_deadline=False,
            )
            held = self._do(at, partial(_reserve, data=data))
            if held is None:
                continue
            if n < CANCELLED:
                later = at + timedelta(minutes=self.rng.randint(10, 60))
                if self._do(later, partial(_cancel, reservation_id=held)):
                    self._count("cancelled")
            else:
                later = at + timedelta(hours=3)
                if self._do(later, lambda s: reservations.expire_due(s, actor=DISPATCHER)):
                    self._count("expired")

    def standby_loans(self) -> None:
        """Standby devices lent to sites; all came back but the last, which is overdue."""
        with self.db.session() as session:
            standbys = session.exec(
                select(Device)
                .where(Device.status == DeviceStatus.STANDBY.value)
                .order_by(col(Device.id))
            ).all()
            pairs: list[tuple[int, int, str]] = []
            for standby in standbys[:LOANS]:
                twin = session.exec(
                    select(Device.id, Site.code)
                    .join(Site, col(Site.id) == col(Device.site_id))
                    .where(
                        Device.vendor == standby.vendor,
                        Device.model == standby.model,
                        Device.status == DeviceStatus.IN_SERVICE.value,
                    )
                    .order_by(col(Device.id))
                ).first()
                if twin is not None:
                    pairs.append((standby.id or 0, twin[0] or 0, twin[1]))
        for i, (standby_id, replaced_id, site_code) in enumerate(pairs):
            last = i == len(pairs) - 1
            days_ago = 20 if last else self.rng.randint(40, 150)
            lent = _cst(self.today - timedelta(days=days_ago), 10.5)
            data = LoanCreate(
                standby_device_id=standby_id,
                replaces_device_id=replaced_id,
                site_code=site_code,
                ticket=self._ticket(lent.date()),
                due_at=lent + timedelta(days=14),
            )
            loan = self._do(lent, partial(_lend, data=data))
            if loan is None:
                continue
            self._count("loans")
            if not last:
                back = lent + timedelta(days=self.rng.randint(5, 13))
                self._do(back, partial(_give_back, loan_id=loan))

    def stocktake(self, warehouse_code: str) -> None:
        """Last week's count at a depot: one unit not found, one serial not on the books."""
        at = _cst(self.today - timedelta(days=self.rng.randint(3, 6)), 15)

        def count(session: Session) -> int:
            shelf = spares_list.list_(
                session,
                actor=STOCKKEEPER,
                filters=stock.SpareFilter(warehouse_code=warehouse_code, status=U.AVAILABLE),
            )
            seen = [StocktakeLine(part_number=r.part_number, serial=r.serial) for r in shelf[1:]]
            seen.append(StocktakeLine(part_number=None, serial="UNLABELLED-0001"))
            data = StocktakeCreate(counted=seen, note="季度盘点（演示）：一件未找到，一件无账")
            return (
                stocktakes.take(
                    session, actor=STOCKKEEPER, warehouse_code=warehouse_code, data=data
                ).id
                or 0
            )

        if self._do(at, count):
            self._count("stocktakes")


def already_played(session: Session) -> bool:
    """Whether the demo history is in this database (its tickets are)."""
    found = session.exec(
        select(Reservation.id).where(col(Reservation.ticket).startswith(TICKET_PREFIX)).limit(1)
    ).first()
    return found is not None


def load_history(db: Database, *, today: date | None = None) -> dict[str, int]:
    """Play six months of activity ending `today` (default: today), unless it was played."""
    with db.session() as session:
        if already_played(session):
            return {}
        targets = _in_service_components(session)
    if not targets:
        return {}
    history = History(db, today or datetime.now(UTC).date())
    history.standby_loans()
    history.faults(targets)
    history.holds(targets)
    history.stocktake("WH-DL")
    return history.counts
