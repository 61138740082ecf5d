"""Fixtures for every test: the real sandbox, gateways, tokens and a real Redis."""

pytest_plugins = [
    "tests.erp_fixtures",
    "tests.soap_canned",
    "tests.idp_fixtures",
    "tests.redis_server",
    "tests.rest_fixtures",
    "tests.stack",
    "tests.access_fixtures",
    "tests.live_stack",
    "tests.redis_topologies",
    "tests.browser.chromium",
]
