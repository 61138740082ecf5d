"""Multiplexed subscriptions, as Hasura does them: the graphql-transport-ws subscribers of this
replica whose document, variables and authorization scope are equal share one execution per
event and one encoded payload, sent to each of them with its own operation id.

Each subscriber is still checked on its own when it subscribes (its operation runs through
parsing, validation, rate limits and `open_changes`' permission check as before), so
authorization stays per subscriber. The scope in the key is everything a payload can depend
on: the principal (organization, subject, roles, scopes, second factor, client, price
visibility, locale; not its token's expiry or session) and the negotiated locale; feature
flags are evaluated from the principal. A shared payload is therefore the one each subscriber
would have been sent. Subscriptions that resume from a cursor replay on their own.

A subscriber whose socket cannot keep up (more than `backlog` payloads waiting) leaves its
group and resumes on its own after the last payload it was sent: it misses nothing and never
holds the others up.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any

import orjson
from graphql import GraphQLError
from strawberry.schema import BaseSchema
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from auth.principal import answer_scope
from infra.metrics import subscription_executed, subscription_grouped
from resolvers.subscriptions import SHARED_START, StreamContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Frame:
    """One event's result: the encoded `payload` of a `next` message, and its event cursor."""

    payload: str
    cursor: str | None


@dataclass(frozen=True)
class Failed:
    """The shared execution could not start (its first result): the `error` message."""

    errors: list[GraphQLError]


class Ended:
    """The shared execution ended: each subscriber is sent `complete`."""


ENDED = Ended()
Outcome = Frame | Failed | Ended


@dataclass(frozen=True)
class Request:
    query: str
    variables: dict[str, object] | None
    operation_name: str | None


def group_key(context: StreamContext, request: Request) -> Hashable | None:
    """What subscribers must have in common to share an execution; None when they cannot."""
    principal = context.principal
    if principal is None or context.feed is None:
        return None
    try:
        variables = orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    scope = answer_scope(principal)
    return (scope, context.locale, request.query, request.operation_name, variables)


class Member:
    """One subscriber of a group: the payloads not sent yet, in order."""

    def __init__(self, group: "Group", operation_id: str, cursor: str, backlog: int) -> None:
        self.group = group
        self.prefix = f'{{"id":{orjson.dumps(operation_id).decode()},"type":"next","payload":'
        """The `next` message up to its payload: each payload is encoded once per group."""
        self.cursor = cursor
        """The cursor of the last event sent (where a lagging subscriber resumes)."""
        self._waiting: deque[Outcome] = deque()
        self._arrived = asyncio.Event()
        self._backlog = backlog
        self.lagged = False

    def offer(self, outcome: Outcome) -> None:
        if self.lagged:
            return
        if len(self._waiting) >= self._backlog and isinstance(outcome, Frame):
            self.lagged = True
            self._waiting.clear()
            self.group.leave(self)
        else:
            self._waiting.append(outcome)
        self._arrived.set()

    async def next(self) -> Outcome | None:
        """The next outcome to send; None once the subscriber lagged and must resume alone."""
        while not self._waiting:
            if self.lagged:
                return None
            self._arrived.clear()
            await self._arrived.wait()
        return self._waiting.popleft()

    def message(self, frame: Frame) -> str:
        self.cursor = frame.cursor or self.cursor
        return f"{self.prefix}{frame.payload}}}"


class Group:
    """One execution of a subscription for every member, in a task of its own."""

    def __init__(
        self,
        multiplexer: "Multiplexer",
        key: Hashable,
        context: StreamContext,
        request: Request,
    ) -> None:
        self.key = key
        self.request = request
        self.context = context
        self.members: set[Member] = set()
        self._multiplexer = multiplexer
        self._task = asyncio.ensure_future(self._run())

    def join(self, operation_id: str, cursor: str) -> Member:
        member = Member(self, operation_id, cursor, self._multiplexer.backlog)
        self.members.add(member)
        subscription_grouped(0, 1)
        return member

    def leave(self, member: Member) -> None:
        if member not in self.members:
            return
        self.members.remove(member)
        subscription_grouped(0, -1)
        if not self.members:
            self._multiplexer.discard(self)
            self._task.cancel()

    async def _run(self) -> None:
        SHARED_START.set(None)  # inherited from the first subscriber's task: follow the stream
        outcome: Outcome = ENDED
        try:
            outcome = await self._execute()
        except Exception:
            log.exception("a shared subscription failed")
        finally:
            self._multiplexer.discard(self)
            for member in list(self.members):
                member.offer(outcome)  # each leaves once it has sent it

    async def _execute(self) -> Outcome:
        """Broadcast each result; answers how the execution ended."""
        multiplexer, request = self._multiplexer, self.request
        source = await multiplexer.schema.stream(
            request.query,
            variable_values=request.variables,
            context_value=self.context,
            operation_name=request.operation_name,
        )
        first = True
        async with aclosing(source):
            async for result in source:
                if first and isinstance(result, PreExecutionError):
                    return Failed(list(result.errors or []))
                if not isinstance(result, ExecutionResult):
                    message = "Incremental delivery is not supported over graphql-transport-ws"
                    return Failed([GraphQLError(message)])
                first = False
                frame = multiplexer.frame(result)
                for member in list(self.members):
                    member.offer(frame)
        return ENDED


@dataclass
class Seat:
    """A subscriber's offer to share: `take` (called by `open_changes` once the subscriber's
    checks passed) puts it into the group of its key, made if there is none."""

    multiplexer: "Multiplexer"
    key: Hashable
    context: StreamContext
    request: Request
    operation_id: str
    member: Member | None = None

    def take(self) -> bool:
        feed = self.context.feed
        assert feed is not None  # group_key answers None without a feed
        position = feed.fanout.position
        group = self.multiplexer.groups.get(self.key)
        if group is None:
            shared = replace(self.context, last_event_id=position, shared=True)
            group = Group(self.multiplexer, self.key, shared, self.request)
            self.multiplexer.groups[self.key] = group
            subscription_grouped(1, 0)
        self.member = group.join(self.operation_id, position)
        return True


class Multiplexer:
    """The groups of one gateway process."""

    def __init__(self, schema: BaseSchema, encode: Callable[[Any], bytes], backlog: int) -> None:
        """`backlog`: payloads a subscriber may have waiting for its socket before it continues
        on its own (`ws_shared_backlog`)."""
        self.schema = schema
        self.backlog = backlog
        self.groups: dict[Hashable, Group] = {}
        self._encode = encode

    def seat(self, context: object, operation_id: str, request: Request) -> Seat | None:
        """A seat for a subscriber on a graph event stream; None when it cannot share."""
        if not isinstance(context, StreamContext):
            return None
        key = group_key(context, request)
        if key is None:
            return None
        return Seat(self, key, context, request, operation_id)

    def discard(self, group: Group) -> None:
        if self.groups.get(group.key) is group:
            del self.groups[group.key]
            subscription_grouped(-1, 0)

    def frame(self, result: ExecutionResult) -> Frame:
        """The result as a `next` message's payload, encoded once for every member."""
        subscription_executed()
        payload: dict[str, object] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        if result.extensions:
            payload["extensions"] = result.extensions
        cursor = (result.extensions or {}).get("cursor")
        return Frame(self._encode(payload).decode(), cursor if isinstance(cursor, str) else None)
