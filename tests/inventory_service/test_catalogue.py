"""The substitution rule (property-based) and the catalogue queries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_service.platform.db import Database
from inventory_service.platform.errors import Conflict, ValidationFailed
from inventory_service.warehouse import catalogue
from inventory_service.warehouse.catalogue import may_substitute
from tests import factories

names = st.sampled_from(["watts", "ports", "speed", "chassis", "input", "reach"])
values = st.one_of(st.integers(0, 5000), st.floats(0, 5000, allow_nan=False), st.text(max_size=4))
specs = st.dictionaries(names, values, max_size=5)
categories = st.sampled_from(["psu", "optic"])


@given(category=categories, s=specs)
def test_a_part_always_substitutes_for_itself(category: str, s: dict[str, object]) -> None:
    assert may_substitute("P", category, s, "P", category, s)  # type: ignore[arg-type]


@given(a=specs, b=specs, c=specs)
def test_the_rule_is_transitive(a: dict, b: dict, c: dict) -> None:  # type: ignore[type-arg]
    if may_substitute("A", "x", a, "B", "x", b) and may_substitute("B", "x", b, "C", "x", c):
        assert may_substitute("A", "x", a, "C", "x", c)


@given(s=specs.filter(bool), data=st.data())
def test_a_missing_spec_fails(s: dict, data: st.DataObject) -> None:  # type: ignore[type-arg]
    dropped = data.draw(st.sampled_from(sorted(s)))
    fewer = {k: v for k, v in s.items() if k != dropped}
    assert not may_substitute("P", "x", s, "Q", "x", fewer)


@given(s=specs)
def test_another_category_never_substitutes(s: dict) -> None:  # type: ignore[type-arg]
    assert not may_substitute("P", "psu", s, "Q", "optic", s)


def test_the_contract_examples() -> None:
    p = {"watts": 750, "input": "AC"}
    assert may_substitute("P", "psu", p, "Q", "psu", {"watts": 1100, "input": "AC", "x": 1})
    assert not may_substitute("P", "psu", p, "Q", "psu", {"watts": 650, "input": "AC"})
    assert not may_substitute("P", "psu", p, "Q", "psu", {"watts": 750, "input": "DC"})
    assert not may_substitute("P", "psu", p, "Q", "psu", {"watts": "750", "input": "AC"})
    assert may_substitute("P", "psu", {"watts": 750.0}, "Q", "psu", {"watts": 750})


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
