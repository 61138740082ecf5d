"""Limits on one operation, checked before any resolver runs: tokens (the parser stops at the
limit), then depth, aliases and an estimated cost (before validation), each refused with
`QUERY_TOO_COMPLEX` naming the limit, its maximum and the operation's value.

The cost counts one per field per expected instance: a field with `first`/`last` multiplies
its subtree by that number (20 when omitted, as the lists page), any other list by
`LIST_SIZE`, `nodes(ids:)` by the number of IDs. Fragments are measured once each, so a
fragment bomb costs its true size without being expanded.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
    ValueNode,
    VariableNode,
    get_named_type,
    is_list_type,
)
from graphql.language import Lexer
from graphql.type import GraphQLInterfaceType, GraphQLObjectType
from strawberry.extensions import SchemaExtension

from portalgraph.extensions import refuse
from resolvers.errors import ErrorCode
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

LIST_SIZE = 10
"""The size assumed for a list field without `first`/`last` (an order's lines, deliveries)."""


@dataclass(frozen=True)
class Limits:
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_cost: int


@dataclass(frozen=True)
class Measure:
    cost: int = 0
    depth: int = 0
    aliases: int = 0

    def beside(self, other: "Measure") -> "Measure":
        return Measure(
            self.cost + other.cost, max(self.depth, other.depth), self.aliases + other.aliases
        )


def too_complex(limit: str, setting: str, maximum: int, actual: int) -> GraphQLError:
    return GraphQLError(
        f"The operation's {limit} is {actual}; the maximum is {maximum} ({setting}).",
        extensions={
            "code": ErrorCode.QUERY_TOO_COMPLEX.value,
            "limit": limit,
            "maximum": maximum,
            "actual": actual,
        },
    )


def count_tokens(query: str, stop_after: int) -> int:
    """The document's lexical tokens (punctuation, names, values), counting no further than
    `stop_after + 1`, so a huge document costs no more than a small one to refuse."""
    lexer = Lexer(Source(query))
    count = 0
    while lexer.advance().kind != TokenKind.EOF and count <= stop_after:
        count += 1
    return count


class Measurer:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables
        self._measured: dict[str, Measure] = {}
        self._visiting: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> Measure:
        root = self._schema.get_root_type(operation.operation)
        return self._selections(operation.selection_set, root) if root else Measure()

    def _selections(self, selections: SelectionSetNode, parent: Any) -> Measure:
        total = Measure()
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total = total.beside(self._field(selection, parent))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self._schema.get_type(condition.name.value) if condition else parent
                total = total.beside(self._selections(selection.selection_set, target))
            elif isinstance(selection, FragmentSpreadNode):
                total = total.beside(self._spread(selection.name.value))
        return total

    def _spread(self, name: str) -> Measure:
        if name in self._measured:
            return self._measured[name]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._visiting:  # unknown or cyclic: validation says so
            return Measure()
        self._visiting.add(name)
        target = self._schema.get_type(fragment.type_condition.name.value)
        measured = self._selections(fragment.selection_set, target)
        self._visiting.discard(name)
        self._measured[name] = measured
        return measured

    def _field(self, node: FieldNode, parent: Any) -> Measure:
        alias = 1 if node.alias else 0
        fields = getattr(parent, "fields", {})
        definition = fields.get(node.name.value) if not node.name.value.startswith("__") else None
        if definition is None:
            return Measure(aliases=alias)
        inner = Measure()
        if node.selection_set is not None:
            inner = self._selections(node.selection_set, get_named_type(definition.type))
        size = self._size(node, definition, parent)
        return Measure(1 + size * inner.cost, 1 + inner.depth, alias + inner.aliases)

    def _size(self, node: FieldNode, definition: Any, parent: Any) -> int:
        arguments = {argument.name.value: argument.value for argument in node.arguments or ()}
        for name in ("first", "last"):
            if name in arguments:
                value = self._int(arguments[name])
                return min(MAX_PAGE_SIZE, max(0, value if value is not None else MAX_PAGE_SIZE))
        if "first" in definition.args:
            return DEFAULT_PAGE_SIZE
        if "ids" in arguments:
            return self._length(arguments["ids"])
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        in_connection = isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) and (
            parent.name.endswith("Connection")
        )
        return LIST_SIZE if is_list_type(field_type) and not in_connection else 1

    def _int(self, value: ValueNode) -> int | None:
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            given = self._variables.get(value.name.value)
            return given if isinstance(given, int) and not isinstance(given, bool) else None
        return None

    def _length(self, value: ValueNode) -> int:
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, VariableNode):
            given = self._variables.get(value.name.value)
            return len(given) if isinstance(given, list) else MAX_PAGE_SIZE
        return 1


MeasureKey = tuple[str, str | None, tuple[tuple[str, int], ...]]


def sizes_of(variables: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """What of the variables a measure depends on: integers (`first`, `last`) and the lengths
    of lists (`ids`); a mutation's input or an idempotency key changes nothing."""
    return tuple(
        sorted(
            (name, value if isinstance(value, int) else len(value))
            for name, value in variables.items()
            if isinstance(value, int | list)
        )
    )


class Measured:
    """A bounded LRU of measures by document text, operation name and the variables' sizes,
    shared by the requests of a process: a client sends the same few documents again and
    again."""

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._measures: OrderedDict[MeasureKey, Measure] = OrderedDict()

    def get(
        self,
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any],
        measure: Callable[[], Measure],
    ) -> Measure:
        key = (query, operation_name, sizes_of(variables))
        found = self._measures.get(key)
        if found is None:
            found = self._measures[key] = measure()
            if len(self._measures) > self._maxsize:
                self._measures.popitem(last=False)
        else:
            self._measures.move_to_end(key)
        return found


class OperationLimits(SchemaExtension):
    """Refuse operations beyond the configured limits before they run.

    Example:
        build_schema([partial(OperationLimits, limits=Limits(5000, 12, 30, 50_000),
                              measured=Measured(1000))])
    """

    def __init__(self, limits: Limits, measured: Measured) -> None:
        self.limits = limits
        self.measured = measured

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield

    def on_parse(self) -> Iterator[None]:
        yield
        errors = self.execution_context.pre_execution_errors
        query = self.execution_context.query
        if errors and query is not None:  # a syntax error: the parser's token limit?
            tokens = count_tokens(query, self.limits.max_tokens)
            if tokens > self.limits.max_tokens:
                limit = too_complex(
                    "tokens", "PORTALGRAPH_MAX_QUERY_TOKENS", self.limits.max_tokens, tokens
                )
                errors[0].message, errors[0].extensions = limit.message, limit.extensions

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:

            def measure() -> Measure:
                return self._measure(document.definitions)

            measured = (
                measure()
                if context.query is None
                else self.measured.get(
                    context.query, context.operation_name, context.variables or {}, measure
                )
            )
            exceeded = self._exceeded(measured)
            if exceeded is not None:
                refuse(self.execution_context, exceeded)
        yield

    def _measure(self, definitions: Any) -> Measure:
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        measurer = Measurer(
            self.execution_context.schema._schema,
            fragments,
            self.execution_context.variables or {},
        )
        name = self.execution_context.operation_name
        operations = [
            d
            for d in definitions
            if isinstance(d, OperationDefinitionNode)
            and (name is None or (d.name is not None and d.name.value == name))
        ]
        measured = Measure()
        for operation in operations:
            one = measurer.operation(operation)
            measured = Measure(
                max(measured.cost, one.cost),
                max(measured.depth, one.depth),
                max(measured.aliases, one.aliases),
            )
        return measured

    def _exceeded(self, measured: Measure) -> GraphQLError | None:
        limits = self.limits
        if measured.depth > limits.max_depth:
            return too_complex(
                "depth", "PORTALGRAPH_MAX_QUERY_DEPTH", limits.max_depth, measured.depth
            )
        if measured.aliases > limits.max_aliases:
            return too_complex(
                "aliases", "PORTALGRAPH_MAX_QUERY_ALIASES", limits.max_aliases, measured.aliases
            )
        if measured.cost > limits.max_cost:
            return too_complex("cost", "PORTALGRAPH_MAX_QUERY_COST", limits.max_cost, measured.cost)
        return None
