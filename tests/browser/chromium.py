"""Headless Chromium for the browser tests: Debian's `chromium` package driven by Playwright
(no browser download). A machine without it fails the tests, never skips them:
`scripts/ensure-browser` (run by `make test`) installs it."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from tests.idp_fixtures import DEMO_PASSWORD, DEMO_TOTP_SECRETS, totp_code

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"
"""Screenshots of each run (gitignored); CI keeps them as the run's artifacts."""
DESKTOP: ViewportSize = {"width": 1280, "height": 860}
PHONE: ViewportSize = {"width": 360, "height": 780}
WAIT_MS = 15_000
"""The longest any expectation waits for the page (every wait is on a condition)."""


def chromium_path() -> str:
    found = (
        os.environ.get("PORTALGRAPH_TEST_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if found is None:
        pytest.fail(
            "Chromium is missing: install Debian's chromium package (scripts/ensure-browser, "
            "which make test runs) or name it in PORTALGRAPH_TEST_CHROMIUM",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path())
        try:
            yield launched
        finally:
            launched.close()


def sign_in(page: Page, portal_url: str, username: str) -> None:
    """Through the identity provider's forms, as a person would; a user with a second factor
    types the current code of their authenticator."""
    page.goto(f"{portal_url}/portal/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if username in DEMO_TOTP_SECRETS:
        page.get_by_label("One-time code from your authenticator app").fill(totp_code(username))
        page.get_by_role("button", name="Verify").click()


def screenshot(page: Page, name: str) -> Path:
    """The whole page at the current size, as `test-artifacts/portal/<name>.png`."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
