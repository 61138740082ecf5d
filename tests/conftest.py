"""Fixtures for every test: the real sandbox, gateways, tokens and a real Redis."""

pytest_plugins = [
    "tests.idp_fixtures",
    "tests.redis_server",
    "tests.stack",
]
