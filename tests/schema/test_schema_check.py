"""`portalgraph schema check` run as CI runs it: against the checked-in SDL and a base
revision in a real git repository, failing on undeclared breaking changes only."""

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from portalgraph.cli import main
from portalgraph.governance import deprecation, deprecation_problems
from schema.root import build_schema

ROOT = Path(__file__).parents[2]
SDL = build_schema().as_str()
MONEY = "type Money {\n"
ADDED_FIELD = '  """The amount, as an exact decimal string."""\n  amount: Decimal!\n'
"""A field of the current schema's `Money`, left out of a baseline to make it an added one."""


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


CheckRunner = Callable[..., Outcome]


@pytest.fixture
def run_check(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CheckRunner:
    """`portalgraph schema check ARGS` in this process, from the repository's root."""
    monkeypatch.chdir(ROOT)

    def run(*args: str) -> Outcome:
        code = main(["schema", "check", *args])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def with_removed_field() -> str:
    """A baseline whose `Order` has a field the current schema lacks: a removal."""
    return SDL.replace(MONEY, MONEY + "  legacyCode: String\n", 1)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=30)  # noqa: S603, S607


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "ci@example.invalid")
    git(tmp_path, "config", "user.name", "CI")
    return tmp_path


def test_passes_on_the_checked_in_schema(run_check: CheckRunner) -> None:
    result = run_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "schema check passed" in result.stdout


def test_fails_on_a_removed_field(tmp_path: Path, run_check: CheckRunner) -> None:
    baseline = tmp_path / "schema.graphql"
    baseline.write_text(with_removed_field())
    result = run_check("--sdl", str(baseline), "--declared", str(tmp_path / "none.yaml"))
    assert result.returncode == 1
    assert "BREAKING (undeclared): Field Money.legacyCode was removed." in result.stdout


def test_passes_on_an_added_field(tmp_path: Path, run_check: CheckRunner) -> None:
    assert MONEY + ADDED_FIELD in SDL
    baseline = tmp_path / "schema.graphql"
    baseline.write_text(SDL.replace(MONEY + ADDED_FIELD, MONEY, 1))
    result = run_check("--sdl", str(baseline))
    assert result.returncode == 0, result.stdout
    assert "BREAKING" not in result.stdout
    assert "is not the built schema" in result.stdout


def test_base_revision_catches_a_removal_the_file_no_longer_shows(
    repo: Path, run_check: CheckRunner
) -> None:
    sdl = repo / "schema.graphql"
    sdl.write_text(with_removed_field())
    git(repo, "add", "schema.graphql")
    git(repo, "commit", "-q", "-m", "baseline")
    sdl.write_text(SDL)  # the branch regenerated the SDL, so the file alone shows no change

    result = run_check("--sdl", str(sdl), "--base", "main", "--declared", str(repo / "x.yaml"))
    assert result.returncode == 1
    assert "against main:" in result.stdout
    assert "Money.legacyCode was removed." in result.stdout


def test_a_declared_breaking_change_passes(repo: Path, run_check: CheckRunner) -> None:
    sdl = repo / "schema.graphql"
    sdl.write_text(with_removed_field())
    declared = repo / "schema-changes.yaml"
    declared.write_text(
        "accepted_breaking:\n"
        '  - change: "Field Money.legacyCode was removed."\n'
        '    reason: "Unused since 2025; announced to every integrator."\n'
    )
    result = run_check("--sdl", str(sdl), "--declared", str(declared))
    assert result.returncode == 0, result.stdout
    assert "breaking (declared): Field Money.legacyCode was removed." in result.stdout


def test_unknown_base_revision_is_a_clear_error(repo: Path, run_check: CheckRunner) -> None:
    sdl = repo / "schema.graphql"
    sdl.write_text(SDL)
    result = run_check("--sdl", str(sdl), "--base", "no-such-branch")
    assert result.returncode == 2
    assert "cannot read schema.graphql at no-such-branch" in result.stderr


def test_deprecations_need_a_removal_date_that_has_not_passed() -> None:
    due_later = deprecation("Use d.", date(2026, 12, 31))
    overdue = deprecation("Use d.", date(2026, 1, 1))
    sdl = f"""type Query {{
      a: Int @deprecated(reason: "Use b.")
      b: Int @deprecated(reason: "{due_later}")
      c: Int @deprecated(reason: "{overdue}")
    }}"""
    problems = deprecation_problems(sdl, today=date(2026, 6, 1))
    assert problems == [
        "Query.a is deprecated without 'Removal: YYYY-MM-DD.' ('Use b.')",
        "Query.c was due for removal on 2026-01-01",
    ]
