"""The audit trail: one structured event per mutation and per operation of provider staff,
written as a JSON line to the audit sink (a dedicated logger to stdout, stderr or a file,
`PORTALGRAPH_AUDIT_SINK`). The gateway keeps no copy.

An event has exactly `EVENT_FIELDS`: `time`, `requestId`, `actor` (the token's subject),
`azp` (the calling client), `tenant` (the organization acted for), `operation` (its name),
`operationType`, `fields` (the root fields run), `targets` (the global IDs named in the
arguments or returned) and `outcome` (`SUCCESS`, `DENIED` or `FAILED`). No token, no
personal data beyond IDs.
"""

import json
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from graphql import (
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from auth.policy import is_staff
from auth.principal import Principal

EVENT_FIELDS = ("time", "requestId", "actor", "azp", "tenant", "operation", "operationType",
                "fields", "targets", "outcome")  # fmt: skip
DENIED_CODES = frozenset({"FORBIDDEN", "MFA_REQUIRED", "UNAUTHENTICATED", "RATE_LIMITED"})


class AuditSink:
    """JSON lines through a logger of its own (not in logging's global tree, so two gateways
    in one process never write into each other's sink)."""

    def __init__(self, destination: str) -> None:
        self._logger = logging.Logger("portalgraph.audit", logging.INFO)
        handler: logging.Handler
        if destination in {"stdout", "stderr"}:
            handler = logging.StreamHandler(getattr(sys, destination))
        else:
            handler = logging.FileHandler(destination, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(message)s"))
        self._handler = handler
        self._logger.addHandler(handler)

    def emit(self, event: Mapping[str, object]) -> None:
        self._logger.info(json.dumps(event, separators=(",", ":"), ensure_ascii=False))

    def close(self) -> None:
        self._logger.removeHandler(self._handler)
        self._handler.close()


class Audited(Protocol):
    @property
    def principal(self) -> Principal | None: ...

    @property
    def request_id(self) -> str: ...


class AuditTrail(SchemaExtension):
    """Emit the audit events of an operation once it has run (or was refused).

    Example:
        build_schema([partial(AuditTrail, sink=AuditSink("stderr"), clock=system_clock)])
    """

    def __init__(self, sink: AuditSink, clock: Callable[[], datetime]) -> None:
        self.sink = sink
        self.clock = clock

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:
            self._emit([error])
            raise
        result = self.execution_context.result
        self._emit(list(result.errors or []) if result else [])

    def _emit(self, errors: list[GraphQLError]) -> None:
        context: Any = self.execution_context.context
        principal: Principal | None = getattr(context, "principal", None)
        operation = self._operation()
        if principal is None or operation is None:
            return
        roots = root_fields(operation)
        if operation.operation == OperationType.MUTATION:
            for key, field in roots.items():
                mine = [e for e in errors if not e.path or e.path[0] == key]
                self._event(context, principal, operation, [field], mine, key)
        elif is_staff(principal):
            self._event(context, principal, operation, list(roots.values()), errors, None)

    def _event(
        self,
        context: Audited,
        principal: Principal,
        operation: OperationDefinitionNode,
        fields: list[FieldNode],
        errors: list[GraphQLError],
        key: str | None,
    ) -> None:
        variables = self.execution_context.variables or {}
        result = self.execution_context.result
        data = result.data if result and isinstance(result.data, dict) else {}
        targets: set[str] = set()
        for field in fields:
            arguments = {
                argument.name.value: value_from_ast_untyped(argument.value, variables)
                for argument in field.arguments or ()
            }
            targets.update(ids_in(arguments, is_id_argument))
        targets.update(ids_in(data.get(key) if key is not None else data, lambda k: k == "id"))
        codes = {str((error.extensions or {}).get("code")) for error in errors}
        self.sink.emit({
            "time": self.clock().isoformat(),
            "requestId": context.request_id,
            "actor": principal.subject,
            "azp": principal.client_id,
            "tenant": principal.tenant,
            "operation": self.execution_context.operation_name
            or (operation.name.value if operation.name else None),
            "operationType": operation.operation.value,
            "fields": [field.name.value for field in fields],
            "targets": sorted(targets),
            "outcome": "SUCCESS" if not errors else "DENIED" if codes & DENIED_CODES else "FAILED",
        })  # fmt: skip

    def _operation(self) -> OperationDefinitionNode | None:
        document = self.execution_context.graphql_document
        if document is None:
            return None
        name = self.execution_context.operation_name
        return next(
            (
                d
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
                and (name is None or (d.name is not None and d.name.value == name))
            ),
            None,
        )


def root_fields(operation: OperationDefinitionNode) -> dict[str, FieldNode]:
    """The operation's root fields by response key (inline fragments at the root included)."""
    found: dict[str, FieldNode] = {}
    pending = list(operation.selection_set.selections)
    while pending:
        selection = pending.pop(0)
        if isinstance(selection, FieldNode):
            key = (selection.alias or selection.name).value
            if not selection.name.value.startswith("__"):
                found[key] = selection
        elif hasattr(selection, "selection_set"):
            pending.extend(selection.selection_set.selections)
    return found


def is_id_argument(name: str) -> bool:
    return name in {"id", "ids"} or name.endswith(("Id", "Ids"))


def ids_in(value: Any, is_id_key: Callable[[str], bool]) -> Iterator[str]:
    """The strings under ID keys of nested arguments (`invoiceId`) or result data (`id`)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for name, inner in item.items():
                if is_id_key(name) and isinstance(inner, str):
                    yield inner
                elif is_id_key(name) and isinstance(inner, list):
                    yield from (one for one in inner if isinstance(one, str))
                else:
                    stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
