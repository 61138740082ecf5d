"""Sanitized message bodies: remembered per body, and the same for bodies too long to keep."""

from datetime import UTC, datetime

from connectors.base import records as r
from resolvers.message_body import REMEMBERED_LENGTH, sanitize
from resolvers.threads import sanitized

UNSAFE = '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x()">link</a></p>'
SAFE = '<p>Hi <a rel="noopener noreferrer">link</a></p>'


def message(body: str) -> r.Message:
    return r.Message(
        id="m1",
        subject=r.CaseRef("TICKET", "t1"),
        author_name="Staff",
        author_is_provider=True,
        author_id=None,
        body=body,
        created_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    )


def test_a_body_is_sanitized_alike_every_time_and_when_too_long_to_remember() -> None:
    assert sanitize(UNSAFE) == SAFE
    assert sanitize(UNSAFE) == SAFE
    long = UNSAFE + " " * REMEMBERED_LENGTH + "<b>end</b>"
    assert len(long) > REMEMBERED_LENGTH
    assert sanitize(long) == SAFE + " " * REMEMBERED_LENGTH + "<b>end</b>"


def test_a_clean_message_is_kept_and_an_unclean_one_replaced() -> None:
    clean = message(SAFE)
    assert sanitized(clean) is clean
    unclean = message(UNSAFE)
    result = sanitized(unclean)
    assert result.body == SAFE
    assert result.id == unclean.id
    assert unclean.body == UNSAFE
