"""The Relay paging arguments every connection field takes (`first/after`, `last/before`)."""

from typing import Annotated

import strawberry

from resolvers.pagination import PageArgs

FirstArg = Annotated[
    int | None, strawberry.argument(description="Items from the start (at most 100; default 20).")
]
AfterArg = Annotated[str | None, strawberry.argument(description="Start after this cursor.")]
LastArg = Annotated[
    int | None, strawberry.argument(description="Items from the end (at most 100).")
]
BeforeArg = Annotated[str | None, strawberry.argument(description="End before this cursor.")]


def page_args(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> PageArgs:
    return PageArgs(first=first, after=after, last=last, before=before)
