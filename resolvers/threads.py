"""Message threads on cases (S9): the public messages of any case, their bodies sanitized,
and how many of them the viewer has not read yet.

The thread is reached through its case only, so the case's tenant and type checks guard it.
A message counts as unread when it is newer than the last one the viewer marked read and
someone else wrote it.
"""

from dataclasses import replace

from connectors.base import records as r
from resolvers.context import Context
from resolvers.documents import readable_by_id
from resolvers.loaders import read_state_key
from resolvers.message_body import sanitize


async def messages(ctx: Context, subject: r.CaseRef) -> list[r.Message]:
    found: list[r.Message] = await ctx.loaders.messages.load(subject)
    return [sanitized(message) for message in found]


async def message(ctx: Context, subject: r.CaseRef, message_id: str) -> r.Message | None:
    """One message of the thread, the only one sanitized (an event names one message; its
    thread grows with every event)."""
    found: list[r.Message] = await ctx.loaders.messages.load(subject)
    one = next((m for m in reversed(found) if m.id == message_id), None)
    return sanitized(one) if one is not None else None


def sanitized(message: r.Message) -> r.Message:
    """The message with its body sanitized; the message itself when that changes nothing (the
    portal's own messages were sanitized when written)."""
    body = sanitize(message.body)
    return message if body == message.body else replace(message, body=body)


async def unread_count(ctx: Context, subject: r.CaseRef) -> int:
    principal = ctx.principal
    if principal is None:
        return 0
    found = await ctx.loaders.messages.load(subject)
    state = await ctx.loaders.read_state.load(read_state_key(principal.subject, subject))
    ids = [message.id for message in found]
    seen = state.seen_message_id if state is not None else None
    start = ids.index(seen) + 1 if seen in ids else 0
    return sum(1 for message in found[start:] if message.author_id != principal.subject)


async def attachments(ctx: Context, message: r.Message) -> list[r.Document]:
    """The attached documents the viewer may read (others are left out, as in any list)."""
    found = await readable_by_id(ctx, list(message.attachment_ids))
    return [document for document in found if document is not None]
