"""The background jobs of privacy requests, run in the gateway process that received them.

The CRM's request record is the record of truth: a job moves it to IN_PROGRESS, asks every
system holding personal data (`Upstreams.personal_data`), and records the outcome. Meanwhile
each system's progress is noted in the shared cache (Redis), and an export's result is kept
there for as long as it may be downloaded; both are disposable: a lost result is made again
from the systems on its next download (`export`). Every change of the record is published as
the graph event `privacy_request.updated`, through the pipeline that invalidates caches on
every replica; the erasure's event names the records erased, so that no replica serves them
from its cache any longer.

An export reads every system at once; one that fails is reported FAILED, the export is then
PARTIALLY_COMPLETED. An erasure is sent to every system once (a write, never repeated); an
answer PENDING is followed up (`DeferredErasure`) until it is final or the job's time is up,
when the request stays IN_PROGRESS with that system still PENDING. Holds make it
PARTIALLY_COMPLETED, as does a system that could not be asked (FAILED: ask again).
"""

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import orjson

from connectors.base import deadline
from connectors.base.changes import Change
from connectors.base.errors import UpstreamError
from connectors.base.ports import DeferredErasure, PersonalDataPort
from connectors.base.records import (
    CaseRef,
    DataSubject,
    ErasureOutcome,
    PrivacyRequest,
    PrivacyRequestUpdate,
    System,
    SystemOutcome,
)
from infra.cache import Cache
from infra.topology import REDIS_ERRORS
from resolvers import personal_export
from resolvers.invalidation import invalidate
from resolvers.upstreams import Upstreams

PROGRESS_TTL_S = 24 * 3600.0
FIRST_POLL_S = 0.2
MAX_POLL_S = 5.0
UPDATED = "privacy_request.updated"

log = logging.getLogger(__name__)


def progress_key(request_id: str) -> str:
    return f"privacy:progress:{request_id}"


def export_key(request_id: str) -> str:
    return f"privacy:export:{request_id}"


def aggregate(outcomes: Mapping[System, str]) -> str:
    statuses = set(outcomes.values())
    if "PENDING" in statuses:
        return "IN_PROGRESS"
    if statuses & {"HELD", "FAILED"}:
        return "PARTIALLY_COMPLETED"
    return "COMPLETED"


@dataclass
class PrivacyJobs:
    upstreams: Upstreams
    cache: Cache
    publish: Callable[[Change], Awaitable[object]]
    """Appends a change to the event pipeline (`Pipeline.ingest`)."""
    clock: Callable[[], datetime]
    export_ttl_s: float
    timeout_s: float
    _tasks: set["asyncio.Task[None]"] = field(default_factory=set)

    def start_export(self, request: PrivacyRequest, subject: DataSubject) -> None:
        self._start(self._export(request, subject))

    def start_erasure(self, request: PrivacyRequest, subject: DataSubject) -> None:
        self._start(self._erase(request, subject))

    async def progress(self, request_id: str) -> dict[System, str]:
        """Each system's status so far, as noted by the job (empty when none is noted)."""
        [noted] = await self.cache.get_many([progress_key(request_id)])
        found: dict[str, str] = orjson.loads(noted) if noted else {}
        return {System(system): status for system, status in found.items()}

    async def export(self, request: PrivacyRequest, subject: DataSubject) -> bytes:
        """The export's document: kept from its job, or made again (and kept) when lost."""
        [kept] = await self.cache.get_many([export_key(request.id)])
        if kept is not None:
            return kept
        return await self._document(request, subject)

    async def aclose(self) -> None:
        """Stop the jobs still running: their requests stay IN_PROGRESS in the CRM."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start(self, job: Coroutine[Any, Any, None]) -> None:
        # an empty context: the job belongs to no request (no request deadline, no report)
        task = asyncio.create_task(self._bounded(job), context=contextvars.Context())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bounded(self, job: Coroutine[Any, Any, None]) -> None:
        with deadline.deadline_after(self.timeout_s):
            try:
                await job
            except UpstreamError as error:
                log.warning("privacy job stopped; its request stays as recorded: %s", error)

    @property
    def _holders(self) -> tuple[PersonalDataPort, ...]:
        return self.upstreams.personal_data

    async def _note(self, request_id: str, progress: dict[System, str]) -> None:
        value = orjson.dumps({system.value: status for system, status in progress.items()})
        await self.cache.set_many({progress_key(request_id): value}, PROGRESS_TTL_S)

    async def _document(self, request: PrivacyRequest, subject: DataSubject) -> bytes:
        progress = {holder.system: "PENDING" for holder in self._holders}

        async def note(system: System, status: str) -> None:
            progress[system] = status
            await self._note(request.id, progress)

        scope = frozenset(request.scope)
        found = await personal_export.gather(self._holders, subject, scope, note)
        now = self.clock()
        made = personal_export.document(request, subject, found, now)
        await self.cache.set_many({export_key(request.id): made}, self._kept_for(request, now))
        return made

    def _kept_for(self, request: PrivacyRequest, now: datetime) -> float:
        """As long as the export may be downloaded (a running job's: the full time)."""
        if request.expires_at is None:
            return self.export_ttl_s
        return max(1.0, (request.expires_at - now).total_seconds())

    async def _export(self, request: PrivacyRequest, subject: DataSubject) -> None:
        await self._record(request, PrivacyRequestUpdate("IN_PROGRESS", ()))
        made = await self._document(request, subject)
        outcomes = {holder.system: "DONE" for holder in self._holders}
        for system in orjson.loads(made)["systems"]:
            outcomes[System(system["system"])] = system["status"]
        expires_at = self.clock() + timedelta(seconds=self.export_ttl_s)
        update = PrivacyRequestUpdate(
            aggregate(outcomes), self._outcomes(outcomes), expires_at=expires_at
        )
        await self._record(request, update)

    async def _erase(self, request: PrivacyRequest, subject: DataSubject) -> None:
        await self._record(request, PrivacyRequestUpdate("IN_PROGRESS", ()))
        progress = {holder.system: "PENDING" for holder in self._holders}
        await self._note(request.id, progress)

        async def one(holder: PersonalDataPort) -> ErasureOutcome | None:
            outcome: ErasureOutcome | None = None
            try:
                answer = await holder.erase_personal_data(
                    subject, frozenset(request.scope), request.id
                )
                outcome = await self._followed_up(holder, answer)
            except UpstreamError as error:
                log.warning("erasure at %s failed: %s", holder.system.value, error)
            progress[holder.system] = outcome.status if outcome else "FAILED"
            await self._note(request.id, progress)
            return outcome

        answers = [a for a in await asyncio.gather(*map(one, self._holders)) if a is not None]
        holds = tuple(hold for answer in answers for hold in answer.holds)
        erased = tuple(ref for answer in answers for ref in answer.erased)
        update = PrivacyRequestUpdate(aggregate(progress), self._outcomes(progress), holds)
        await self._record(request, update, erased)

    async def _followed_up(
        self, holder: PersonalDataPort, outcome: ErasureOutcome
    ) -> ErasureOutcome:
        """`outcome`, or once it was PENDING, the system's final answer (or PENDING still when
        the job's time is up)."""
        if outcome.status != "PENDING" or outcome.reference is None:
            return outcome
        if not isinstance(holder, DeferredErasure):
            return outcome
        wait = FIRST_POLL_S
        while (deadline.remaining() or 0.0) > wait:
            await asyncio.sleep(wait)
            wait = min(wait * 2, MAX_POLL_S)
            try:
                now = await holder.erasure_progress(outcome.reference)
            except UpstreamError as error:
                log.warning("asking %s about its erasure failed: %s", holder.system.value, error)
                continue
            if now.status != "PENDING":
                return replace(outcome, status=now.status, holds=outcome.holds + now.holds)
        return outcome

    @staticmethod
    def _outcomes(statuses: Mapping[System, str]) -> tuple[SystemOutcome, ...]:
        return tuple(SystemOutcome(system, status) for system, status in statuses.items())

    async def _record(
        self,
        request: PrivacyRequest,
        update: PrivacyRequestUpdate,
        erased: tuple[CaseRef, ...] = (),
    ) -> None:
        """Record the update in the CRM, then tell every replica (and forget what was erased)."""
        recorded = await self.upstreams.privacy_requests.update_privacy_request(request.id, update)
        change = Change(
            source=System.CRM,
            event_id=f"{recorded.id}:{time.time_ns()}",
            kind=UPDATED,
            entity="PRIVACY_REQUEST",
            entity_id=recorded.id,
            occurred_at=recorded.updated_at,
            customer=recorded.customer,
            status=recorded.status,
            related=erased,
        )
        await invalidate(self.cache, change)
        try:
            await self.publish(change)
        except REDIS_ERRORS as error:
            log.warning("privacy request %s: its event was not published: %s", recorded.id, error)
