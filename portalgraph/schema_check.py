"""`portalgraph schema check`: the built schema against the checked-in SDL and, with `--base`,
against the SDL of a git revision (the branch a change is merged into). It fails on a breaking
change that `schema-changes.yaml` does not declare and on a deprecation without a due removal
date; dangerous changes and an outdated `schema.graphql` are reported, not failed.
"""

import subprocess
from datetime import date
from pathlib import Path
from typing import TextIO

from portalgraph.governance import (
    SchemaReport,
    accepted_changes,
    compare,
    deprecation_problems,
)
from schema.root import build_schema


class BaseRevisionError(Exception):
    """The base revision's SDL cannot be read."""


def sdl_at(revision: str, sdl: Path) -> str:
    """The SDL file as it was at `revision` of the git repository it lives in."""
    directory = sdl.resolve().parent
    try:
        result = subprocess.run(  # noqa: S603 - fixed git command, revision passed as one argument
            ["git", "-C", str(directory), "show", f"{revision}:./{sdl.name}"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        raise BaseRevisionError(f"cannot read {sdl.name} at {revision}: {detail.strip()}") from None
    return result.stdout


def print_report(title: str, report: SchemaReport, out: TextIO) -> None:
    if not report.breaking and not report.dangerous:
        print(f"{title}: no breaking or dangerous changes", file=out)
        return
    print(f"{title}:", file=out)
    for change in report.breaking:
        mark = "BREAKING (undeclared)" if change in report.undeclared else "breaking (declared)"
        print(f"  {mark}: {change}", file=out)
    for change in report.dangerous:
        print(f"  dangerous: {change}", file=out)


def run(sdl: Path, base: str | None, declared: Path, out: TextIO, today: date) -> int:
    """The exit code: 0 when the schema may land, 1 when it may not."""
    current = build_schema().as_str()
    accepted = accepted_changes(declared)
    reports = [("against " + str(sdl), compare(sdl.read_text(encoding="utf-8"), current, accepted))]
    if base is not None:
        reports.append((f"against {base}", compare(sdl_at(base, sdl), current, accepted)))
    for title, report in reports:
        print_report(title, report, out)
    if sdl.read_text(encoding="utf-8").strip() != current.strip():
        print(f"note: {sdl} is not the built schema; run `portalgraph schema export`", file=out)
    problems = deprecation_problems(current, today)
    for problem in problems:
        print(f"  deprecation: {problem}", file=out)
    passed = all(report.passed for _, report in reports) and not problems
    print("schema check passed" if passed else "schema check FAILED", file=out)
    return 0 if passed else 1
