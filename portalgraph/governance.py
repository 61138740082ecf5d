"""Schema governance: what changed between two versions of the SDL, sorted by graphql-core into
breaking changes (a client's valid query may fail) and dangerous ones (it may behave
differently), and the rules deprecations follow.

A breaking change lands only when it is declared in `schema-changes.yaml`, by its description
as listed here, with the reason it is accepted:

    accepted_breaking:
      - change: "Field Order.legacyNumber was removed."
        reason: "Deprecated since 2026-01-15, announced to every integrator."

Every deprecation carries a reason and a removal date: `deprecation("Use number.",
date(2026, 12, 31))` gives "Use number. Removal: 2026-12-31."
"""

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)
from graphql.utilities import find_breaking_changes, find_dangerous_changes

REMOVAL = re.compile(r"Removal: (\d{4}-\d{2}-\d{2})\.?$")


def deprecation(reason: str, removal: date) -> str:
    """A deprecation reason in the form `schema check` accepts."""
    return f"{reason.rstrip()} Removal: {removal.isoformat()}."


@dataclass
class SchemaReport:
    breaking: list[str] = field(default_factory=list)
    dangerous: list[str] = field(default_factory=list)
    undeclared: list[str] = field(default_factory=list)
    """Breaking changes that `schema-changes.yaml` does not accept."""

    @property
    def passed(self) -> bool:
        return not self.undeclared


def compare(baseline_sdl: str, current_sdl: str, accepted: frozenset[str]) -> SchemaReport:
    old, new = build_schema(baseline_sdl), build_schema(current_sdl)
    breaking = [change.description for change in find_breaking_changes(old, new)]
    return SchemaReport(
        breaking=breaking,
        dangerous=[change.description for change in find_dangerous_changes(old, new)],
        undeclared=[change for change in breaking if change not in accepted],
    )


def accepted_changes(path: Path) -> frozenset[str]:
    """The breaking changes a declarations file accepts; none when there is no file."""
    if not path.is_file():
        return frozenset()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("accepted_breaking") or []
    if not all(isinstance(e, dict) and e.get("change") and e.get("reason") for e in entries):
        raise ValueError(f"{path}: every accepted_breaking entry needs a change and a reason")
    return frozenset(str(entry["change"]) for entry in entries)


def deprecation_problems(sdl: str, today: date) -> list[str]:
    """Deprecations without a removal date, or whose removal date has passed."""
    problems = []
    for where, reason in _deprecations(build_schema(sdl)):
        match = REMOVAL.search(reason)
        if match is None:
            problems.append(f"{where} is deprecated without 'Removal: YYYY-MM-DD.' ({reason!r})")
        elif date.fromisoformat(match.group(1)) < today:
            problems.append(f"{where} was due for removal on {match.group(1)}")
    return problems


def _deprecations(schema: GraphQLSchema) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for name, field_ in named.fields.items():
                if field_.deprecation_reason is not None:
                    found.append((f"{type_name}.{name}", field_.deprecation_reason))
                found += [
                    (f"{type_name}.{name}({arg_name}:)", arg.deprecation_reason)
                    for arg_name, arg in field_.args.items()
                    if arg.deprecation_reason is not None
                ]
        elif isinstance(named, GraphQLInputObjectType):
            found += [
                (f"{type_name}.{name}", input_field.deprecation_reason)
                for name, input_field in named.fields.items()
                if input_field.deprecation_reason is not None
            ]
        elif isinstance(named, GraphQLEnumType):
            found += [
                (f"{type_name}.{name}", value.deprecation_reason)
                for name, value in named.values.items()
                if value.deprecation_reason is not None
            ]
    return found
