"""The executor the schema runs its operations with: graphql-core's own (as Strawberry
configures it), with each field executed by a plan made when the schema is built.

Why: most of a large answer's fields read an attribute of an object the resolvers built
(`schema.lean`; ~700 of a dashboard's ~900). graphql-core spends more on each of them than
the read costs: a `GraphQLResolveInfo` and a `Path`, a look-up of the field and of the
middleware, and the generic completion (`complete_value` asks of every value whether its type
is non-null, a list, a leaf, abstract or an object, in as many calls). Relations (async
resolvers such as `Order.invoices`) went through up to four coroutines of Strawberry's
(resolver wrapper, `await_maybe`, permission extension, `await_maybe`) and two of
graphql-core's (`complete_awaitable_value`, `with_abort_signal`).

The plans (`plan_fields`, once per (parent type, field)): what the field does (reads an
attribute, calls a relation's resolver, or calls whatever resolver graphql-core would), the
permissions its `requires` names, and how its type completes (non-null or not, leaf, list of,
object). At run time a lean field checks the permissions, reads the attribute (or calls the
plain method) and completes the value by the plan, building a `Path` only for values with
fields of their own and for errors, and a `GraphQLResolveInfo` never; a relation is
checked, called and completed in one coroutine plus its resolver's own; any other resolver
is called as graphql-core calls it, its value completed by the plan. `__typename` is
answered from the parent type.

What it keeps: the control flow and the errors are graphql-core's, call for call. A
permission refusal, an exception, a null on a non-null field or a value a scalar cannot
serialize goes to the executor's own `handle_field_error` with the path and nodes the
standard path gives it (built then), so the error, its path and locations and the nulling
of the nearest nullable parent are what they are without the plans; awaitables are gathered
the same way, and a relation's checks and call happen when its coroutine first runs, as
Strawberry's do, so the loaders see their keys in the same order.

When it stands aside: an operation with resolver middleware (a schema extension with a
`resolve` hook) or an abort signal runs entirely the standard way; mutations' serial root
fields, introspection, a value of an abstract type, an object type whose `is_type_of` is
not Strawberry's own, an async iterable or an awaitable list item go through graphql-core's
own code (with an info built for them). Lean values are data the types' constructors set,
never awaitables (a lean method is synchronous and returns data too): an awaitable value
would be awaited by the standard path and serialized (and refused) by this one.

Example:
    schema.execution_context_class = executor_for(schema)
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

import strawberry
from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import (
    collect_iterator_awaitables,
    invalid_return_type_error,
    to_nodes,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, gather_with_cancel, is_iterable
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
from strawberry.schema import schema_converter
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

from auth.permissions import check
from schema.async_helpers import weak_async_helpers
from schema.lean import LeanResolver, guard_of

LEAF, OBJECT, LIST, OTHER = range(4)
"""The kinds of shape (ints: an Enum's members cost a descriptor call per use). OTHER values
complete the standard way: abstract types, objects with an `is_type_of` of their own."""


@dataclass(frozen=True, slots=True)
class Shape:
    """How a value of `graphql_type` completes, decided once per type."""

    graphql_type: GraphQLOutputType
    nullable_type: GraphQLOutputType
    non_null: bool
    kind: int
    coerce: Callable[[Any], Any] | None = None
    exact: type | None = None
    """A leaf value of exactly this type is its own output (`AS_IT_IS`)."""
    enum_class: type[Enum] | None = None
    enum_names: Mapping[str, str] | None = None
    """A member of `enum_class` outputs as `enum_names[member.name]` (a Strawberry enum)."""
    object_type: GraphQLObjectType | None = None
    is_type_of: Callable[[Any, Any], Any] | None = None
    item: "Shape | None" = None


@dataclass(frozen=True, slots=True)
class Relation:
    """An async resolver without arguments behind `requires` at most (a relation such as
    `Order.invoices`): called as Strawberry's wrappers would call it, without them."""

    field: StrawberryField
    resolver: Callable[..., Awaitable[Any]]
    passes_self: bool
    info_name: str | None
    info_class: type[Info[Any, Any]]


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """How a field resolves and completes: a lean one reads its value (`read(source)`: an
    attribute or a plain method) after checking `requirements`, a relation checks them and
    calls its resolver; any other calls the resolver graphql-core would."""

    parent_type: GraphQLObjectType
    field_name: str
    field: GraphQLField
    read: Callable[[Any], Any] | None
    requirements: tuple[str, ...]
    shape: Shape
    null_message: str
    relation: Relation | None = None


Plans = Mapping[str, Mapping[str, FieldPlan]]
NO_FIELDS: Mapping[str, FieldPlan] = {}


def _strawberry_is_type_of(is_type_of: Callable[..., Any]) -> bool:
    """Whether `is_type_of` is the one Strawberry generates for types with interfaces: it
    reads only the object (its info parameter is `_info`), so it can be called without one."""
    return getattr(is_type_of, "__module__", None) == schema_converter.__name__ and getattr(
        is_type_of, "__qualname__", ""
    ).endswith("_get_is_type_of.<locals>.is_type_of")


AS_IT_IS: Mapping[Callable[[Any], Any], type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
}
"""The scalars' coercions that answer a value of exactly this type as it is."""


def enum_names(enum_type: CustomGraphQLEnumType) -> Mapping[str, str]:
    """What Strawberry's `coerce_output_value` answers for each member of the enum's class,
    by the member's name: the first of the type's values with the member's value (it
    compares each in turn)."""
    names: dict[str, str] = {}
    members: list[Enum] = list(enum_type.wrapped_cls)
    for member in members:
        for name, value in enum_type.values.items():
            if member.value == value.value:
                names[member.name] = name
                break
    return names


def shape_of(graphql_type: GraphQLOutputType) -> Shape:
    non_null = isinstance(graphql_type, GraphQLNonNull)
    nullable = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    if isinstance(nullable, GraphQLLeafType):
        coerce = nullable.coerce_output_value
        if (exact := AS_IT_IS.get(coerce)) is not None:
            return Shape(graphql_type, nullable, non_null, LEAF, coerce=coerce, exact=exact)
        if type(nullable) is CustomGraphQLEnumType and issubclass(nullable.wrapped_cls, Enum):
            return Shape(
                graphql_type,
                nullable,
                non_null,
                LEAF,
                coerce=coerce,
                enum_class=nullable.wrapped_cls,
                enum_names=enum_names(nullable),
            )
        return Shape(graphql_type, nullable, non_null, LEAF, coerce=coerce)
    if isinstance(nullable, GraphQLList):
        return Shape(graphql_type, nullable, non_null, LIST, item=shape_of(nullable.of_type))
    if isinstance(nullable, GraphQLObjectType) and (
        nullable.is_type_of is None or _strawberry_is_type_of(nullable.is_type_of)
    ):
        return Shape(
            graphql_type,
            nullable,
            non_null,
            OBJECT,
            object_type=nullable,
            is_type_of=nullable.is_type_of,
        )
    return Shape(graphql_type, nullable, non_null, OTHER)


def relation_of(
    schema: strawberry.Schema, field: GraphQLField
) -> tuple[Relation, list[str]] | None:
    """The relation plan of a field and its requirements, if Strawberry would do no more than
    check them and call the resolver with its object and info: an async resolver without
    arguments (nor root or parent parameters), no extension but `requires`, no exception
    handler."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        type(definition) is not StrawberryField
        or not definition.is_async
        or definition.is_subscription
    ):
        return None
    resolver = definition.base_resolver
    requirements = guard_of(definition)
    if (
        resolver is None
        or requirements is None
        or definition.arguments
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
        or getattr(field.resolve, "__name__", None) != "_async_resolver"
        or schema.schema_converter._get_field_exception_handlers(definition)
    ):
        return None
    info = resolver.info_parameter
    relation = Relation(
        definition,
        resolver,
        resolver.self_parameter is not None,
        info.name if info is not None else None,
        schema.config.info_class,
    )
    return relation, requirements


def plan_fields(schema: strawberry.Schema) -> Plans:
    """The plans of every field of every object type, by type name and field name
    (introspection's types keep the standard path)."""
    plans: dict[str, dict[str, FieldPlan]] = {}
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, field in graphql_type.fields.items():
            read: Callable[[Any], Any] | None = None
            requirements: tuple[str, ...] = ()
            relation: Relation | None = None
            if isinstance(field.resolve, LeanResolver):
                read, requirements = field.resolve.read, field.resolve.requirements
            elif (found := relation_of(schema, field)) is not None:
                relation, requirements = found[0], tuple(found[1])
            plans.setdefault(graphql_type.name, {})[name] = FieldPlan(
                graphql_type,
                name,
                field,
                read,
                requirements,
                shape_of(field.type),
                f"Cannot return null for non-nullable field {graphql_type.name}.{name}.",
                relation,
            )
    return plans


class GatewayExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with fields executed by their plans (`executor_for` gives it its
    schema's)."""

    plans: ClassVar[Plans] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = weak_async_helpers(self)
        middleware = self.middleware_manager
        self.fast = self.abort_signal is None and (middleware is None or not middleware.middlewares)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, each field executed by its plan."""
        if not self.fast:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plans = self.plans.get(parent_type.name, NO_FIELDS)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        result: Any
        try:
            for response_name, field_details_list in grouped_field_set.items():
                field_name = field_details_list[0].node.name.value
                plan = plans.get(field_name)
                if plan is None:
                    if field_name == "__typename":
                        result = parent_type.name
                    else:  # introspection's __schema and __type
                        result = self.execute_field(
                            parent_type,
                            source_value,
                            field_details_list,
                            Path(path, response_name, parent_type.name),
                            position_context,
                        )
                        if result is Undefined:
                            continue
                elif plan.read is not None:
                    result = self.execute_lean_field(
                        plan, source_value, field_details_list, path, response_name
                    )
                    if plan.shape.kind == LEAF:  # a scalar or None, never awaitable
                        results[response_name] = result
                        continue
                else:
                    result = self.execute_resolved_field(
                        plan, source_value, field_details_list, path, response_name
                    )
                results[response_name] = result
                if is_awaitable(result):
                    awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def execute_lean_field(
        self,
        plan: FieldPlan,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path | None,
        response_name: str,
    ) -> Any:
        """`execute_field` for a lean field: its resolver's checks and read, without
        calling it, then its completion by plan."""
        field_path: Path | None = None
        try:
            if plan.requirements:
                principal = self.context_value.principal
                for requirement in plan.requirements:
                    check(principal, requirement)
            value = plan.read(source)  # type: ignore[misc]
            shape = plan.shape
            if shape.kind == LEAF:
                return self.complete_leaf(shape, plan, value)
            field_path = Path(path, response_name, plan.parent_type.name)
            completed = self.complete_planned(
                shape, plan, field_details_list, field_path, value, None
            )
            if self.is_awaitable(completed):
                return self.settle(completed, plan.field.type, field_details_list, field_path)
            return completed
        except Exception as raw_error:
            if field_path is None:
                field_path = Path(path, response_name, plan.parent_type.name)
            self.handle_field_error(raw_error, plan.field.type, field_details_list, field_path)
            return None

    def execute_resolved_field(
        self,
        plan: FieldPlan,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path | None,
        response_name: str,
    ) -> Any:
        """`execute_field` for a field with a resolver: called as graphql-core calls it, its
        value (awaited if need be) completed by plan."""
        field_path = Path(path, response_name, plan.parent_type.name)
        field = plan.field
        first_field_details = field_details_list[0]
        first_field_node = first_field_details.node
        resolve = field.resolve or self.field_resolver
        info = self.build_resolve_info(
            field, to_nodes(field_details_list), plan.parent_type, field_path
        )
        if plan.relation is not None:
            called = self.call_relation(plan, info, source)
            return self.complete_resolved(plan, field_details_list, info, field_path, called)
        try:
            args = (
                get_argument_values(
                    field,
                    first_field_node,
                    self.variable_values,
                    first_field_details.fragment_variable_values,
                    self.hide_suggestions,
                )
                if field.args or first_field_node.arguments
                else {}
            )
            result = resolve(source, info, **args)
            if self.is_awaitable(result):
                return self.complete_resolved(plan, field_details_list, info, field_path, result)
            completed = self.complete_planned(
                plan.shape, plan, field_details_list, field_path, result, info
            )
            if self.is_awaitable(completed):
                return self.settle(completed, field.type, field_details_list, field_path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.type, field_details_list, field_path)
            return None
        return completed

    async def complete_resolved(
        self,
        plan: FieldPlan,
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        result: Awaitable[Any],
    ) -> Any:
        """`complete_awaitable_value` by plan (without an abort signal to race against)."""
        try:
            resolved = await result
            completed = self.complete_planned(
                plan.shape, plan, field_details_list, path, resolved, info
            )
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.field.type, field_details_list, path)
            completed = None
        return completed

    async def call_relation(self, plan: FieldPlan, info: Any, source: Any) -> Any:
        """What Strawberry's resolver wrappers and its permission extension do for a
        relation, in one coroutine: the same steps in the same order (the checks and the call
        happen when it first runs, as theirs do)."""
        relation = plan.relation
        assert relation is not None
        strawberry_info = relation.info_class(_raw_info=info, _field=relation.field)
        if plan.requirements:
            principal = info.context.principal
            for requirement in plan.requirements:
                check(principal, requirement)
        args = (source,) if relation.passes_self else ()
        kwargs = {relation.info_name: strawberry_info} if relation.info_name else {}
        return await relation.resolver(*args, **kwargs)

    async def settle(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        """A completion that turned out asynchronous, its error handled at `path`."""
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def complete_leaf(self, shape: Shape, plan: FieldPlan, value: Any) -> Any:
        """`complete_value` for a (non-null) scalar or enum."""
        if type(value) is shape.exact:
            return value
        if type(value) is shape.enum_class:
            name = shape.enum_names.get(value._name_)  # type: ignore[union-attr]
            if name is not None:
                return name
        if value is None or value is Undefined:
            if shape.non_null:
                raise TypeError(plan.null_message)
            return None
        if isinstance(value, Exception):
            raise value
        coerced = shape.coerce(value)  # type: ignore[misc]
        if coerced is None or coerced is Undefined:
            # graphql-core's own raises its error for this value
            return self.complete_leaf_value(shape.nullable_type, value)  # type: ignore[arg-type]
        return coerced

    def complete_planned(
        self,
        shape: Shape,
        plan: FieldPlan,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
        info: Any,
    ) -> Any:
        """`complete_value` by a shape; `info` is the field's if it has one yet (the
        standard completion of an OTHER value needs it)."""
        kind = shape.kind
        if kind == LEAF:
            return self.complete_leaf(shape, plan, value)
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            if shape.non_null:
                raise TypeError(plan.null_message)
            return None
        if kind == OBJECT:
            completed = self.complete_object(shape, field_details_list, path, value)
        elif kind == LIST:
            completed = self.complete_list(shape, plan, field_details_list, path, value, info)
        else:
            completed = self.complete_value(
                shape.nullable_type,
                field_details_list,
                info or self.info_for(plan, field_details_list, path),
                path,
                value,
                None,
            )
        if completed is None and shape.non_null:
            raise TypeError(plan.null_message)
        return completed

    def info_for(self, plan: FieldPlan, field_details_list: FieldDetailsList, path: Path) -> Any:
        return self.build_resolve_info(
            plan.field, to_nodes(field_details_list), plan.parent_type, path
        )

    def complete_object(
        self, shape: Shape, field_details_list: FieldDetailsList, path: Path, value: Any
    ) -> Any:
        """`complete_object_value` for a type whose `is_type_of`, if any, needs no info."""
        object_type = shape.object_type
        assert object_type is not None
        if shape.is_type_of is not None and not shape.is_type_of(value, None):
            raise invalid_return_type_error(object_type, value, field_details_list)
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return self.execute_collected_subfields(
                object_type, value, path, grouped_field_set, new_defer_usages, None
            )
        return self.execute_fields(object_type, value, path, grouped_field_set, None)

    def complete_list(
        self,
        shape: Shape,
        plan: FieldPlan,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
        info: Any,
    ) -> Any:
        """`complete_list_value` and `complete_iterable_value` by a shape."""
        item = shape.item
        assert item is not None
        if self.is_async_iterable(value) or not is_iterable(value) or item.kind == OTHER:
            return self.complete_list_value(
                shape.nullable_type,  # type: ignore[arg-type]
                field_details_list,
                info or self.info_for(plan, field_details_list, path),
                path,
                value,
                None,
            )
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        awaitable_indices: list[int] = []
        iterator = iter(value)
        try:
            for index, element in enumerate(iterator):
                if is_awaitable(element):
                    completed_results.append(
                        self.complete_awaitable_list_item_value(
                            element,
                            item.graphql_type,
                            field_details_list,
                            info or self.info_for(plan, field_details_list, path),
                            path.add_key(index, None),
                            None,
                        )
                    )
                    awaitable_indices.append(index)
                    continue
                item_path: Path | None = None
                try:
                    if item.kind == LEAF:
                        completed = self.complete_leaf(item, plan, element)
                    else:
                        item_path = path.add_key(index, None)
                        completed = self.complete_planned(
                            item, plan, field_details_list, item_path, element, info
                        )
                        if is_awaitable(completed):
                            completed_results.append(
                                self.settle(
                                    completed, item.graphql_type, field_details_list, item_path
                                )
                            )
                            awaitable_indices.append(index)
                            continue
                except Exception as raw_error:
                    if item_path is None:
                        item_path = path.add_key(index, None)
                    self.handle_field_error(
                        raw_error, item.graphql_type, field_details_list, item_path
                    )
                    completed = None
                completed_results.append(completed)
        except Exception:
            maybe_awaitables = [completed_results[i] for i in awaitable_indices]
            maybe_awaitables.extend(collect_iterator_awaitables(iterator, is_awaitable))
            if maybe_awaitables:
                self.settle_in_background(maybe_awaitables)
            raise

        if not awaitable_indices:
            return completed_results

        async def get_completed_results() -> list[Any]:
            if len(awaitable_indices) == 1:
                index = awaitable_indices[0]
                completed_results[index] = await completed_results[index]
            else:
                awaited = await gather_with_cancel(
                    *(completed_results[index] for index in awaitable_indices)
                )
                for index, sub_result in zip(awaitable_indices, awaited, strict=True):
                    completed_results[index] = sub_result
            return completed_results

        return get_completed_results()


def executor_for(schema: strawberry.Schema) -> type[GatewayExecutor]:
    """The executor class for `schema`, with its fields planned once."""
    return type("GatewayExecutor", (GatewayExecutor,), {"plans": plan_fields(schema)})
