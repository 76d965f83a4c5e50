"""The demo sites (seed/data/sites.csv) and ~300 demo devices of the register.

Rules: deterministic (a fixed random seed); components use part numbers of
`seed/data/parts.json` that fit the device (chassis / machine type); every device goes
through `register.create_device`, so each has its `created` history row; a second run adds
nothing (rows whose code or serial exists are skipped).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlmodel import Session, select

from inventory_service.assets import places, register
from inventory_service.platform.auth import Caller
from models import Device, Role, Site
from models.device import ComponentCreate, DeviceCreate, DeviceStatus
from models.place import SiteCreate

DATA = Path(__file__).parent / "data"
ACTOR = Caller(token_id=0, name="seed", role=Role.ADMIN)
DEVICES_SEED: Final = 20260402
DEVICES_TOTAL: Final = 300
STANDBY_TOTAL: Final = 8
_ALNUM: Final = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class Model:
    vendor: str
    model: str
    kind: str  # router, switch, server, minicomputer: which customers and rooms hold it
    serial_prefix: str
    slots: tuple[tuple[str, tuple[str, ...]], ...]  # slot → part numbers that fit it
    firmware: tuple[str, ...]
    patches: tuple[str, ...]
    microcode: tuple[str, ...] = ()
    roles: tuple[str, ...] = ("core",)
    patch_on_firmware: bool = False  # Huawei names a patch after its release: V800R021C10SPC600


def _n(
    prefix: str, count: int, parts: tuple[str, ...], start: int = 0
) -> list[tuple[str, tuple[str, ...]]]:
    return [(f"{prefix}{i}", parts) for i in range(start, start + count)]


MODELS: Final = (
    Model(
        "Huawei",
        "NE40E-X8",
        "router",
        "2102",
        (
            *_n("MPU", 2, ("CR5D00E4XF90", "CR5D00E8XF91")),
            *_n("LPU", 3, ("CR5D0L2XFA70", "CR5D0L4XFE71"), 1),
            *_n("PSU", 4, ("PAC-2200WF", "PAC-3000WF"), 1),
            ("FAN1", ("FAN-NE40E-X8",)),
            ("FAN2", ("FAN-NE40E-X8",)),
            *_n("LPU1/0/", 2, ("OSX010000", "OSX040N01")),
            ("LPU2/0/0", ("QSFP28-100G-LR4", "QSFP28-100G-ER4L")),
        ),
        ("V800R021C10", "V800R022C00"),
        ("SPC600", "SPC700", "SPC800"),
        roles=("PE", "P", "BRAS"),
        patch_on_firmware=True,
    ),
    Model(
        "Cisco",
        "ASR9006",
        "router",
        "FOX",
        (
            *_n("RSP", 2, ("ASR9K-RSP880-SE",)),
            *_n("LC", 2, ("A9K-24X10GE-1G-SE",)),
            *_n("PS", 3, ("A9K-3KW-AC",)),
            *_n("LC0/0/0/", 2, ("SFP-10G-LR", "SFP-10G-ER")),
        ),
        ("IOS-XR 7.3.2", "IOS-XR 7.5.2"),
        ("7.3.2", "7.3.2.SMU-CSCwb", "7.5.2"),
        roles=("PE", "ASBR"),
    ),
    Model(
        "Huawei",
        "S12708",
        "switch",
        "2102",
        (
            *_n("MPU", 2, ("LSXM1SUPH1", "LSXM1SUPK1")),
            *_n("LPU", 3, ("ES1D2X48SED0",), 1),
            *_n("PSU", 4, ("PAC-2200WA", "PAC-1000WA"), 1),
        ),
        ("V200R019C10", "V200R021C00"),
        ("SPC500", "SPC600", "SPH016"),
        roles=("core", "aggregation"),
        patch_on_firmware=True,
    ),
    Model(
        "H3C",
        "S10508",
        "switch",
        "210235A",
        (
            *_n("MPU", 2, ("LSQM2MPUD0",)),
            *_n("LPU", 2, ("LSQM1TGS48SC0",), 1),
            *_n("PSU", 2, ("PSR2800-ACV",), 1),
        ),
        ("Comware 7.1.070",),
        ("R7585P05", "R7595P03", "R7607"),
        roles=("core", "aggregation"),
    ),
    Model(
        "Cisco",
        "N9K-C93180YC-FX",
        "switch",
        "FDO",
        (
            *_n("PS", 2, ("N9K-C93180YC-FX-PSU",), 1),
            *_n("Eth1/", 4, ("SFP-10G-LR", "SFP-10G-ER"), 1),
        ),
        ("NX-OS 9.3",),
        ("9.3(8)", "9.3(10)", "9.3(12)"),
        roles=("leaf", "spine"),
    ),
    Model(
        "Dell",
        "PowerEdge R740",
        "server",
        "CN0",
        (
            *_n("PSU", 2, ("PSU-750W-PLAT", "PSU-1100W-PLAT"), 1),
            *_n("DIMM_A", 4, ("MEM-32G-DDR4-3200", "MEM-64G-DDR4-3200"), 1),
            *_n("Disk.Bay.", 4, ("HDD-1.2T-SAS-10K", "HDD-2.4T-SAS-10K")),
            ("RAID.Integrated.1", ("RAID-H755",)),
        ),
        ("BIOS 2.15.1", "BIOS 2.19.1"),
        ("iDRAC 6.10.30.00", "iDRAC 7.00.00.00"),
        roles=("NMS", "OSS", "AAA"),
    ),
    Model(
        "HPE",
        "ProLiant DL380 Gen10",
        "server",
        "7CE",
        (
            *_n("PSU", 2, ("865414-B21",), 1),
            *_n("PROC1-DIMM", 4, ("P06033-B21",), 1),
            *_n("Bay", 4, ("872479-B21",), 1),
        ),
        ("U30 2.76", "U30 2.80"),
        ("SPP 2022.09.0", "SPP 2023.03.0", "SPP 2023.09.0"),
        roles=("SCADA", "NMS"),
    ),
    Model(
        "Inspur",
        "NF5280M6",
        "server",
        "IS",
        (*_n("Disk", 4, ("SSD-960G-SATA", "SSD-1.92T-SATA")),),
        ("BIOS 06.00.02", "BIOS 06.00.05"),
        ("BMC 4.21.0", "BMC 4.27.0"),
        roles=("SCADA", "historian"),
    ),
    Model(
        "IBM",
        "8286-42A",
        "minicomputer",
        "YL10",
        (
            ("P1-C9", ("00E3234",)),
            *_n("E", 2, ("00FX846",), 1),
            *_n("P1-C", 4, ("00JA682", "00E9953"), 16),
            *_n("P2-D", 2, ("00RY311",), 1),
        ),
        ("FW860",),
        ("7200-05-03", "7200-05-06"),
        ("FW860.90", "FW860.A0", "FW860.B0"),
        roles=("EMS", "billing"),
    ),
)
# Which kinds of device each customer runs: the operator its network and OSS, the grid its
# dispatch data network, SCADA servers and minicomputers.
KINDS: Final = {
    "LNXX": (("router", 5), ("switch", 4), ("server", 2)),
    "LNGRID": (("router", 2), ("switch", 3), ("server", 3), ("minicomputer", 1)),
}


def load_sites(session: Session) -> int:
    """The demo sites of both customers (real coordinates of Liaoning's cities and towns)."""
    existing = set(session.exec(select(Site.code)).all())
    added = 0
    with (DATA / "sites.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["code"] in existing:
                continue
            data = SiteCreate(
                code=row["code"],
                name=row["name"],
                customer_code=row["customer_code"],
                city=row["city"],
                address=row["address"] or None,
                lat=float(row["lat"]),
                lon=float(row["lon"]),
            )
            places.create_site(session, actor=ACTOR, data=data)
            added += 1
    return added


def _serial(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choices(_ALNUM, k=12))


def _device(
    rng: random.Random, model: Model, site: str, customer: str, number: int, status: DeviceStatus
) -> DeviceCreate:
    firmware = rng.choice(model.firmware)
    patch = rng.choice(model.patches)
    role = rng.choice(model.roles)
    components = [
        ComponentCreate(slot=slot, part_number=rng.choice(fits), serial=_serial(rng, "C"))
        for slot, fits in model.slots
        if not slot.startswith(("LPU3", "PSU4")) or rng.random() < 0.7
    ]
    short = site.split("-", 1)[1]
    return DeviceCreate(
        site_code=site,
        vendor=model.vendor,
        model=model.model,
        hostname=f"{short}-{role}-{model.model.split()[0].split('-')[0]}-{number:02d}".upper(),
        serial=_serial(rng, model.serial_prefix),
        status=status,
        firmware_version=firmware,
        patch_level=f"{firmware}{patch}" if model.patch_on_firmware else patch,
        microcode_level=rng.choice(model.microcode) if model.microcode else None,
        config={
            "role": role,
            "mgmt_ip": f"10.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "rack": f"{rng.choice('ABCDEF')}{rng.randint(1, 12):02d}",
            "customer": customer,
        },
        components=components,
    )


def demo_devices(sites: list[tuple[str, str]]) -> list[DeviceCreate]:
    """~300 devices over the demo sites (code, customer code), deterministic."""
    rng = random.Random(DEVICES_SEED)
    by_kind: dict[str, list[Model]] = {}
    for model in MODELS:
        by_kind.setdefault(model.kind, []).append(model)
    weights = {s: (3 if s.endswith(("CORE", "-SY", "-DL")) else 1) for s, _ in sites}
    codes = [s for s, _ in sites]
    customer_of = dict(sites)
    devices: list[DeviceCreate] = []
    in_service: list[tuple[Model, str]] = []
    while len(devices) < DEVICES_TOTAL - STANDBY_TOTAL:
        site = rng.choices(codes, [weights[c] for c in codes])[0]
        customer = customer_of[site]
        kinds = KINDS[customer]
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        model = rng.choice(by_kind[kind])
        roll = rng.random()
        status = (
            DeviceStatus.FAULTY
            if roll < 0.02
            else DeviceStatus.UNDER_REPAIR
            if roll < 0.04
            else DeviceStatus.IN_SERVICE
        )
        devices.append(_device(rng, model, site, customer, len(devices) + 1, status))
        in_service.append((model, customer))
    # Standby units (同档次备机) of models in service, kept in each customer's Shenyang room.
    standby_site = {"LNXX": "LNXX-SY-CORE", "LNGRID": "LNGRID-SY"}
    for n in range(STANDBY_TOTAL):
        model, customer = in_service[(n * 37) % len(in_service)]
        devices.append(
            _device(rng, model, standby_site[customer], customer, 90 + n, DeviceStatus.STANDBY)
        )
    return devices


def load_devices(session: Session) -> int:
    """The demo devices, through the register (each with its `created` history row)."""
    have = set(session.exec(select(Site.code)).all())
    with (DATA / "sites.csv").open(encoding="utf-8", newline="") as handle:
        sites = [
            (row["code"], row["customer_code"])
            for row in csv.DictReader(handle)
            if row["code"] in have and row["customer_code"] in KINDS
        ]
    if not sites:
        return 0
    existing = set(session.exec(select(Device.serial)).all())
    added = 0
    for data in demo_devices(sites):
        if data.serial in existing:
            continue
        register.create_device(session, actor=ACTOR, data=data, reference="seed")
        added += 1
    return added
