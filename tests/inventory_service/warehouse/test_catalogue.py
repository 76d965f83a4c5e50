"""The substitution rule (property-based) and the catalogue queries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_service.platform.db import Database
from inventory_service.platform.errors import Conflict, ValidationFailed
from inventory_service.warehouse import catalogue
from inventory_service.warehouse.catalogue import PartFacts, may_substitute, refusal
from tests import factories

names = st.sampled_from(["watts", "ports", "speed", "chassis", "input", "reach"])
values = st.one_of(st.integers(0, 5000), st.floats(0, 5000, allow_nan=False), st.text(max_size=4))
specs = st.dictionaries(names, values, max_size=5)
categories = st.sampled_from(["psu", "optic"])
vendors = st.sampled_from(["Huawei", "Cisco", "HUAWEI "])


def part(
    number: str,
    category: str,
    s: dict,  # type: ignore[type-arg]
    vendor: str = "Huawei",
    alternates: tuple[str, ...] = (),
) -> PartFacts:
    return PartFacts.of(number, vendor, category, s, alternates)


@given(category=categories, s=specs, vendor=vendors)
def test_a_part_always_substitutes_for_itself(category: str, s: dict, vendor: str) -> None:  # type: ignore[type-arg]
    assert may_substitute(part("P", category, s, vendor), part("P", category, s, vendor))


@given(a=specs, b=specs, c=specs)
def test_the_rule_is_transitive(a: dict, b: dict, c: dict) -> None:  # type: ignore[type-arg]
    pa, pb, pc = part("A", "x", a), part("B", "x", b), part("C", "x", c)
    if may_substitute(pa, pb) and may_substitute(pb, pc):
        assert may_substitute(pa, pc)


@given(s=specs.filter(bool), data=st.data())
def test_a_missing_spec_fails(s: dict, data: st.DataObject) -> None:  # type: ignore[type-arg]
    dropped = data.draw(st.sampled_from(sorted(s)))
    fewer = {k: v for k, v in s.items() if k != dropped}
    assert refusal(part("P", "x", s), part("Q", "x", fewer)) == "spec_lower"


@given(s=specs)
def test_another_category_never_substitutes(s: dict) -> None:  # type: ignore[type-arg]
    assert not may_substitute(part("P", "psu", s), part("Q", "optic", s))


@given(category=categories, p=specs, q=specs)
def test_another_vendors_part_never_substitutes_unless_approved(
    category: str,
    p: dict,  # type: ignore[type-arg]
    q: dict,  # type: ignore[type-arg]
) -> None:
    original = part("P", category, p, "Huawei")
    other = part("Q", category, q | p, "Cisco")  # meets every spec, and more
    assert refusal(original, other) == "other_vendor"
    approved = part("P", category, p, "Huawei", alternates=("Q",))
    assert may_substitute(approved, other)
    # One way: the approval of Q for P says nothing of P for Q.
    assert refusal(part("Q", category, q | p, "Cisco"), approved) == "other_vendor"


@given(p=specs, q=specs)
def test_an_approved_alternate_substitutes_whatever_its_specs_and_category(
    p: dict,  # type: ignore[type-arg]
    q: dict,  # type: ignore[type-arg]
) -> None:
    original = part("P", "psu", p, alternates=("Q",))
    assert may_substitute(original, part("Q", "optic", q, "Finisar"))


def test_vendors_compare_without_case_or_blanks() -> None:
    s = {"watts": 750}
    assert may_substitute(part("P", "psu", s, "Huawei"), part("Q", "psu", s, " HUAWEI"))


def test_the_contract_examples() -> None:
    p = part("P", "psu", {"watts": 750, "input": "AC"})
    assert may_substitute(p, part("Q", "psu", {"watts": 1100, "input": "AC", "x": 1}))
    assert not may_substitute(p, part("Q", "psu", {"watts": 650, "input": "AC"}))
    assert not may_substitute(p, part("Q", "psu", {"watts": 750, "input": "DC"}))
    assert not may_substitute(p, part("Q", "psu", {"watts": "750", "input": "AC"}))
    assert may_substitute(part("P", "psu", {"watts": 750.0}), part("Q", "psu", {"watts": 750}))
    assert refusal(p, part("Q", "psu", {"watts": 650, "input": "AC"}, "Cisco")) == "other_vendor"


def test_substitutes_lists_the_part_first_then_acceptable_ones(db: Database) -> None:
    with db.transaction() as session:
        base = factories.part(session, "PSU-750", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-1100", specs={"watts": 1100, "input": "AC"})
        factories.part(session, "PSU-650", specs={"watts": 650, "input": "AC"})
        factories.part(session, "PSU-DC", specs={"watts": 1100, "input": "DC"})
        factories.part(session, "SFP", category="optic", specs={"watts": 2000, "input": "AC"})
        found = [p.part_number for p in catalogue.substitutes(session, part=base)]
        assert found == ["PSU-750", "PSU-1100"]
        replaced = [p.part_number for p in catalogue.replaceable_by(session, part=base)]
        assert replaced == ["PSU-650", "PSU-750"]


def test_a_spec_of_the_wrong_type_for_its_category_is_refused(db: Database) -> None:
    with db.transaction() as session:
        factories.part(session, "PSU-750", specs={"watts": 750})
    with db.transaction() as session, pytest.raises(ValidationFailed) as refused:
        factories.part(session, "PSU-X", specs={"watts": "750W"})
    assert refused.value.details[0]["field"] == "specs.watts"
    with db.transaction() as session, pytest.raises(Conflict):
        factories.part(session, "PSU-750")
