"""`hygiene.add_missing` adds exactly what `MutableHeaders.setdefault` of each header would,
in the same order, whatever the answer already has."""

import pytest
from starlette.datastructures import MutableHeaders

from portalgraph.hygiene import API_CSP, SECURITY_HEADERS, add_missing


def by_setdefault(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    headers = MutableHeaders(raw=list(raw))
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    html = headers.get("content-type", "").startswith("text/html")
    headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'" if html else API_CSP)
    headers.setdefault("Cache-Control", "no-store")
    return headers.raw


@pytest.mark.parametrize(
    "raw",
    [
        [],
        [(b"content-type", b"application/json"), (b"content-length", b"2")],
        [(b"content-type", b"text/html; charset=utf-8")],
        [(b"cache-control", b"max-age=60"), (b"x-frame-options", b"SAMEORIGIN")],
        [(b"content-security-policy", b"default-src 'self'"), (b"content-type", b"text/html")],
        [(b"Cache-Control", b"private")],  # a raw name not in lower case: setdefault adds too
        [(b"content-type", b"text/plain"), (b"content-type", b"text/html")],  # the first counts
    ],
)
def test_the_same_headers_as_setdefault(raw: list[tuple[bytes, bytes]]) -> None:
    added = list(raw)
    add_missing(added)
    assert added == by_setdefault(raw)
