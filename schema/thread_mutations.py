"""Messages on cases: `postMessage` and `markThreadRead` (CRM)."""

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from resolvers import thread_writes
from resolvers.context import Context
from schema.common import UserError
from schema.payloads import external_id_of, user_errors
from schema.resolution import readable_case_types, subject_ref
from schema.threads import Message, MessageThread

Info = strawberry.Info[Context, None]


@strawberry.input(description="Write a message on a case instead of an e-mail.")
class PostMessageInput:
    subject_id: strawberry.ID = strawberry.field(
        description="The case's global ID: a quote, order, invoice or ticket."
    )
    body: str = strawberry.field(
        description="The message: text or a small HTML fragment (sanitized; at most 10000 "
        "characters)."
    )
    attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Documents of the organization to attach (at most 10).",
    )


@strawberry.type(description="The message written, and its thread.")
class PostMessagePayload:
    message: Message | None = strawberry.field(description="The message; null on user errors.")
    thread: MessageThread | None = strawberry.field(description="The case's thread.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Mark every message on a case read, for the viewer only.")
class MarkThreadReadInput:
    subject_id: strawberry.ID = strawberry.field(description="The case's global ID.")


@strawberry.type(description="The thread, now read.")
class MarkThreadReadPayload:
    thread: MessageThread | None = strawberry.field(description="The thread; null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type
class ThreadMutations:
    @strawberry.mutation(
        description="Write a message on any case of the organization (S9).",
        extensions=requires(Permission.TICKETS_WRITE),
    )
    async def post_message(self, info: Info, input: PostMessageInput) -> PostMessagePayload:
        subject = subject_ref(input.subject_id)
        request = thread_writes.MessageRequest(
            subject=subject,
            body=input.body,
            attachment_ids=tuple(external_id_of(i, "Document") for i in input.attachment_ids),
        )
        outcome = await thread_writes.post(info.context, request, readable_case_types(info))
        if isinstance(outcome, list):
            return PostMessagePayload(message=None, thread=None, user_errors=user_errors(outcome))
        return PostMessagePayload(
            message=Message.of(outcome, info),
            thread=MessageThread(subject=subject),
            user_errors=[],
        )

    @strawberry.mutation(
        description="Mark a case's messages read for the viewer; `unreadCount` drops to 0.",
        extensions=requires(Permission.TICKETS_READ),
    )
    async def mark_thread_read(
        self, info: Info, input: MarkThreadReadInput
    ) -> MarkThreadReadPayload:
        subject = subject_ref(input.subject_id)
        outcome = await thread_writes.mark_read(info.context, subject, readable_case_types(info))
        if isinstance(outcome, list):
            return MarkThreadReadPayload(thread=None, user_errors=user_errors(outcome))
        return MarkThreadReadPayload(thread=MessageThread(subject=outcome), user_errors=[])
