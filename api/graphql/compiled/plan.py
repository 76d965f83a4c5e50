"""A validated document as a plan: which rows to read, and how each object of the answer is
written from them (keys in the order graphql-core would write them).

What compiles: a query whose root fields are `devices` (any arguments, literal or variable)
and `__typename`; below it `items`, `nextCursor`, `__typename`, the plain fields of `Device`,
`Component`, `Site` and `Part` (as their read models hold them), `Device.components`,
`Device.site` and `Component.part`; aliases, repeated fields and fragments (named or inline)
on the type they are spread in. Anything else (another field, a directive, a fragment with
variables or on another type) leaves the document to the general execution.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    get_named_type,
    get_operation_ast,
)
from pydantic import BaseModel

from api.graphql.compiled import leaves, writer
from api.graphql.compiled.writer import Write
from inventory_service.assets import devices, lookups
from models.device import ComponentRead, DeviceRead
from models.part import PartRead
from models.place import SiteRead

BACKREF = "strawberry-definition"  # where strawberry keeps its definition on a GraphQL type


class NotCompilable(Exception):
    """The document needs the general execution (always, whatever its variables)."""


@dataclass(slots=True)
class Source:
    """The columns the board's one statement reads for one table (see
    `lookups.device_page_rows`): its id at `offset`, then `head` - 1 fixed columns, then the
    read-model fields the plan needs, in the order they were first needed."""

    columns: Mapping[str, Any]
    head: int = 1
    offset: int = 0
    names: list[str] = field(default_factory=list)

    def index(self, name: str) -> int:
        """The position of the read-model field `name` in a row."""
        if name == "id":
            return self.offset
        if name not in self.names:
            self.names.append(name)
        return self.offset + self.head + self.names.index(name)

    def selected(self) -> list[Any]:
        return [self.columns[name] for name in self.names]

    def end(self) -> int:
        return self.offset + self.head + len(self.names)


@dataclass(slots=True)
class Sources:
    """The tables a `devices` root field reads: devices always (id, site id, fields), the
    others when selected."""

    devices: Source = field(default_factory=lambda: Source(devices.DEVICE_COLUMNS, head=2))
    components: Source | None = None
    parts: Source | None = None
    sites: Source | None = None

    def lay_out(self) -> None:
        """Place each table's columns where `lookups.device_page_rows` puts them."""
        end = self.devices.end()
        for source in (self.components, self.parts, self.sites):
            if source is not None:
                source.offset = end
                end = source.end()


@dataclass(slots=True)
class DevicesPlan:
    """One `devices` root field: its arguments, columns and the page's keys."""

    node: FieldNode
    definition: GraphQLField
    sources: Sources
    board: lookups.DeviceBoard
    # (response key, what): `items` as a device's writer, `nextCursor` as None, or a constant.
    page: list[tuple[str, Write | str | None]]


@dataclass(slots=True)
class Plan:
    """A compiled operation: its variables and root fields in answer order."""

    schema: GraphQLSchema
    document: DocumentNode
    operation_name: str | None  # the operation's own
    variables: Sequence[VariableDefinitionNode]
    roots: list[tuple[str, DevicesPlan | str]]  # a `devices` plan, or __typename's value


# The read model behind each compiled object type, and the columns its fields come from.
MODELS: dict[str, tuple[type[BaseModel], Mapping[str, Any]]] = {
    "Device": (DeviceRead, devices.DEVICE_COLUMNS),
    "Component": (ComponentRead, devices.COMPONENT_COLUMNS),
    "Site": (SiteRead, lookups.SITE_COLUMNS),
    "Part": (PartRead, lookups.PART_COLUMNS),
}


class _Compiler:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def collect(
        self, type_name: str, selection_sets: Iterable[SelectionSetNode | None]
    ) -> dict[str, list[FieldNode]]:
        """Response key → its field nodes, in graphql-core's `collect_fields` order."""
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            if selection_set is not None:
                self._visit(type_name, selection_set, grouped, visited)
        return grouped

    def _visit(
        self,
        type_name: str,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                raise NotCompilable("a directive")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and condition.name.value != type_name:
                    raise NotCompilable("a fragment on another type")
                self._visit(type_name, selection.selection_set, grouped, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or fragment.directives or fragment.variable_definitions:
                    raise NotCompilable("a fragment with directives or variables")
                if fragment.type_condition.name.value != type_name:
                    raise NotCompilable("a fragment on another type")
                if name not in visited:
                    visited.add(name)
                    self._visit(type_name, fragment.selection_set, grouped, visited)

    def object(self, type_name: str, nodes: list[FieldNode], sources: Sources) -> Write:
        """How one `Device`, `Component`, `Site` or `Part` selection is written from a row."""
        gql_type = self.schema.get_type(type_name)
        assert isinstance(gql_type, GraphQLObjectType)
        model, _ = MODELS[type_name]
        source = self._source(type_name, sources)
        fields: list[tuple[str, writer.Field]] = []
        for key, fnodes in self.collect(type_name, (n.selection_set for n in nodes)).items():
            name = fnodes[0].name.value
            if name == "__typename":
                fields.append((key, writer.Constant(type_name)))
                continue
            definition = gql_type.fields[name]
            strawberry_field = definition.extensions[BACKREF]
            if strawberry_field.permission_classes or strawberry_field.extensions:
                raise NotCompilable("a guarded field")
            relation = RELATIONS.get((type_name, name))
            if relation is not None:
                fields.append((key, relation(self, fnodes, sources)))
                continue
            python_name = strawberry_field.python_name
            info = model.model_fields.get(python_name)
            named = get_named_type(definition.type)
            if (
                strawberry_field.base_resolver is not None
                or info is None
                or not isinstance(named, GraphQLScalarType | GraphQLEnumType)
            ):
                raise NotCompilable(f"{type_name}.{name}")
            at = source.index(python_name)
            fields.append((key, writer.Value(at, leaves.leaf(definition.type, info))))
        return writer.write_function(fields)

    @staticmethod
    def _source(type_name: str, sources: Sources) -> Source:
        found = {
            "Device": sources.devices,
            "Component": sources.components,
            "Site": sources.sites,
            "Part": sources.parts,
        }[type_name]
        assert found is not None
        return found

    def components(self, nodes: list[FieldNode], sources: Sources) -> writer.Related:
        if sources.components is None:
            sources.components = Source(devices.COMPONENT_COLUMNS)
        write = self.object("Component", nodes, sources)
        return writer.Related(sources.components.offset, write, many=True)

    def site(self, nodes: list[FieldNode], sources: Sources) -> writer.Related:
        if sources.sites is None:
            sources.sites = Source(lookups.SITE_COLUMNS)
        return writer.Related(sources.sites.offset, self.object("Site", nodes, sources))

    def part(self, nodes: list[FieldNode], sources: Sources) -> writer.Related:
        if sources.parts is None:
            sources.parts = Source(lookups.PART_COLUMNS)
        return writer.Related(sources.parts.offset, self.object("Part", nodes, sources))

    def devices(
        self, nodes: list[FieldNode], definition: GraphQLField, sources: Sources
    ) -> DevicesPlan:
        """A `devices` root field (its nodes share arguments: validation saw to it)."""
        page_type = get_named_type(definition.type)
        page: list[tuple[str, Write | str | None]] = []
        for key, fnodes in self.collect(page_type.name, (n.selection_set for n in nodes)).items():
            name = fnodes[0].name.value
            if name == "items":
                page.append((key, self.object("Device", fnodes, sources)))
            elif name == "nextCursor":
                page.append((key, None))
            elif name == "__typename":
                page.append((key, page_type.name))
            else:
                raise NotCompilable(f"{page_type.name}.{name}")
        src = sources
        board = lookups.DeviceBoard(
            columns=src.devices.selected(),
            components=None if src.components is None else src.components.selected(),
            sites=None if src.sites is None else src.sites.selected(),
            parts=None if src.parts is None else src.parts.selected(),
        )
        return DevicesPlan(nodes[0], definition, sources, board, page)


RELATIONS: dict[
    tuple[str, str], Callable[[_Compiler, list[FieldNode], Sources], writer.Related]
] = {
    ("Device", "components"): _Compiler.components,
    ("Device", "site"): _Compiler.site,
    ("Component", "part"): _Compiler.part,
}


def compile_document(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> Plan | None:
    """The plan of a validated document's operation; None when it needs the general execution."""
    operation = get_operation_ast(document, operation_name)
    if not isinstance(operation, OperationDefinitionNode):
        return None
    if operation.operation is not OperationType.QUERY or operation.directives:
        return None
    if any(v.directives for v in operation.variable_definitions or ()):
        return None
    compiler = _Compiler(schema, document)
    query = schema.query_type
    assert query is not None
    roots: list[tuple[str, DevicesPlan | str]] = []
    try:
        for key, nodes in compiler.collect(query.name, [operation.selection_set]).items():
            name = nodes[0].name.value
            if name == "__typename":
                roots.append((key, query.name))
            elif name == "devices":
                # Twice: the first pass learns the columns, the second writes their positions.
                sources = Sources()
                compiler.devices(nodes, query.fields[name], sources)
                sources.lay_out()
                roots.append((key, compiler.devices(nodes, query.fields[name], sources)))
            else:
                return None
    except NotCompilable:
        return None
    # The operation's own name: what strawberry hands the cost limit when none was given.
    own_name = operation.name.value if operation.name else None
    return Plan(schema, document, own_name, operation.variable_definitions or (), roots)
