"""An object plan as one generated function writing the object's JSON text from a row in one
call (the way graphql-jit compiles a query), instead of a dict built field by field and then
encoded: the text `json.dumps(..., separators=(",", ":"))` writes for the same object.

The source is generated from the plan alone: response keys and type names (GraphQL names,
checked below), row positions (integers) and the names of the helpers in its namespace; no
text of the request. Each leaf takes its shortcut only for a value of the exact type the
shortcut was made for (`SHORTCUTS`, held equal to the general path by
tests/api/graphql/test_compiled_writer.py), and the general path otherwise: `leaves.exact`,
then `json.dumps` of what it gives.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring_ascii
from typing import Any

from api.graphql.compiled.leaves import Leaf

Row = Sequence[Any]
Write = Callable[[Row, Sequence[Row]], str]
NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")  # a GraphQL name: nothing to escape anywhere


def dump(value: Any) -> str:
    """A value's JSON text, as strawberry's view writes it inside the answer."""
    return json.dumps(value, separators=(",", ":"))


def text(value: str) -> str:
    """A string's JSON text (what `json.dumps` writes for it: ASCII, escaped)."""
    return encode_basestring_ascii(value)


# The expression of a leaf's JSON text: `{at}` is its row position, `{w}` its general writer,
# `{n}` an enum's names (value → JSON text of the GraphQL name).
SHORTCUTS: dict[str, str] = {
    "str": "(text(v) if type(v := row[{at}]) is str else dump({w}(v)))",
    "id": "(text(str(v)) if type(v := row[{at}]) is int else dump({w}(v)))",
    "int": "(str(v) if type(v := row[{at}]) is int and -2147483648 <= v <= 2147483647 "
    "else dump({w}(v)))",
    "float": "(float.__repr__(v) if type(v := row[{at}]) is float and isfinite(v) "
    "else dump({w}(v)))",
    "datetime": "(text(v.isoformat()) if type(v := row[{at}]) is datetime else dump({w}(v)))",
    "enum": "({n}[v] if type(v := row[{at}]) is str and v in {n} else dump({w}(v)))",
    "general": "dump({w}(row[{at}]))",
}


@dataclass(frozen=True, slots=True)
class Constant:
    value: str  # a type name


@dataclass(frozen=True, slots=True)
class Value:
    at: int
    leaf: Leaf


@dataclass(frozen=True, slots=True)
class Related:
    """An object (`many`: the objects of the group) present where row[`at`] is not NULL."""

    at: int
    write: Write
    many: bool = False


Field = Constant | Value | Related


def _name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError(f"not a GraphQL name: {value!r}")
    return value


def expression(number: int, what: Field, namespace: dict[str, Any]) -> str:
    """The expression of one field's JSON text; its helpers go into `namespace`."""
    if isinstance(what, Constant):
        return repr(text(_name(what.value)))
    if isinstance(what, Value):
        namespace[f"w{number}"] = what.leaf.general
        namespace[f"n{number}"] = {value: text(name) for value, name in what.leaf.names.items()}
        return SHORTCUTS[what.leaf.kind].format(at=what.at, w=f"w{number}", n=f"n{number}")
    namespace[f"o{number}"] = what.write
    if what.many:
        each = f"o{number}(r, group) for r in group if r[{what.at}] is not None"
        return f'("[" + ",".join([{each}]) + "]")'
    return f'("null" if row[{what.at}] is None else o{number}(row, group))'


def write_function(fields: Sequence[tuple[str, Field]]) -> Write:
    """`write(row, group)`: the object's JSON text, keys in `fields`' order."""
    namespace: dict[str, Any] = {
        "isfinite": math.isfinite,
        "datetime": datetime,
        "text": encode_basestring_ascii,  # `text` without a Python call in between
        "dump": dump,
    }
    parts = []
    for number, (key, what) in enumerate(fields):
        separator = "," if number else ""
        parts.append(repr(f"{separator}{text(_name(key))}:"))
        parts.append(expression(number, what, namespace))
    body = " + ".join(['"{"', *parts, '"}"'])
    source = f"def write(row, group):\n    return {body}\n"
    exec(compile(source, "<compiled GraphQL plan>", "exec"), namespace)  # noqa: S102
    written: Write = namespace["write"]
    return written
