"""Message threads on cases (S9): public messages with their attachments, and what the viewer
has not read yet."""

from datetime import datetime

import strawberry

from connectors.base import records as r
from resolvers import threads as resolve
from resolvers.context import Context
from schema.common import Node, global_id
from schema.documents import Document, documents_of

Info = strawberry.Info[Context, None]


@strawberry.type(description="A public message on a case; internal notes are never shown.")
class Message(Node):
    author_name: str = strawberry.field(description="Who wrote it.")
    author_is_provider: bool = strawberry.field(description="Written by the provider's staff.")
    body: str = strawberry.field(
        description="The message as a sanitized HTML fragment: paragraphs, line breaks, "
        "emphasis, lists, quotes, code and http(s)/mailto links; text is escaped."
    )
    created_at: datetime = strawberry.field(description="When it was written.")
    written_by_viewer: bool = strawberry.field(description="Whether the viewer wrote it.")
    record: strawberry.Private[r.Message]

    @classmethod
    def of(cls, message: r.Message, info: Info) -> "Message":
        principal = info.context.principal
        return cls(
            id=global_id("Message", "crm", message.id),
            author_name=message.author_name,
            author_is_provider=message.author_is_provider,
            body=message.body,
            created_at=message.created_at,
            written_by_viewer=principal is not None and message.author_id == principal.subject,
            record=message,
        )

    @strawberry.field(description="Attached documents the viewer may read.")
    async def attachments(self, info: Info) -> list[Document]:
        return documents_of(await resolve.attachments(info.context, self.record))


@strawberry.type(description="The public messages on one case, oldest first.")
class MessageThread:
    subject: strawberry.Private[r.CaseRef]

    @strawberry.field(description="Every public message, oldest first.")
    async def messages(self, info: Info) -> list[Message]:
        return [Message.of(m, info) for m in await resolve.messages(info.context, self.subject)]

    @strawberry.field(description="The newest message.")
    async def last_message(self, info: Info) -> Message | None:
        found = await resolve.messages(info.context, self.subject)
        return Message.of(found[-1], info) if found else None

    @strawberry.field(description="How many messages the thread has.")
    async def total_count(self, info: Info) -> int:
        return len(await resolve.messages(info.context, self.subject))

    @strawberry.field(
        description="Messages by others since the viewer last marked the thread read "
        "(markThreadRead); each user has their own count."
    )
    async def unread_count(self, info: Info) -> int:
        return await resolve.unread_count(info.context, self.subject)
