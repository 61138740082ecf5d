"""The payment provider's redaction jobs (Stripe's `privacy.redaction_job`): a merchant asks to
remove a customer's personal data, and the provider does it in the background.

`POST /v1/privacy/redaction_jobs` (form: `objects[customers][0]=cus_…`, …; an
`Idempotency-Key` replays the first answer) answers the job `redacting`; `GET
/v1/privacy/redaction_jobs/{job_id}` answers where it stands. A job is done `REDACTION_S`
after it was created: then the customers' payment intents and their refunds are gone (Stripe
keeps redacted objects with placeholders; the sandbox drops them) and the job `succeeded`.
Every request to the provider first finishes the jobs that are due. An unknown customer is 400
`resource_missing`, as Stripe answers it.
"""

import uuid
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.model import RedactionJob, Seed
from sandbox.payments.idempotency import Failure, Idempotent, keyed_form
from sandbox.rest import BadRequest, Clock

REDACTION_S = 1.0


def job_json(job: RedactionJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "object": "privacy.redaction_job",
        "created": int(job.created.timestamp()),
        "livemode": False,
        "objects": {"customers": job.customers},
        "status": job.status,
        "validation_behavior": "error",
    }


class Redactions:
    def __init__(self, seed: Seed, clock: Clock, failure: Failure) -> None:
        self.seed = seed
        self.clock = clock
        self.failure = failure
        self.answered: Idempotent[dict[str, Any]] = Idempotent(lambda answer: answer, failure)

    def finish_due(self) -> None:
        """Apply the jobs whose time has come."""
        now = self.clock()
        for job in self.seed.redaction_jobs:
            if job.status != "redacting" or job.due > now:
                continue
            numbers = {customer.removeprefix("cus_") for customer in job.customers}
            gone = {i.id for i in self.seed.payment_intents if i.customer in numbers}
            self.seed.payment_intents[:] = [
                i for i in self.seed.payment_intents if i.id not in gone
            ]
            self.seed.refunds[:] = [r for r in self.seed.refunds if r.payment_intent not in gone]
            job.status = "succeeded"

    def _known(self, customer: str) -> bool:
        number = customer.removeprefix("cus_")
        return customer.startswith("cus_") and (
            any(c.number == number for c in self.seed.customers)
            or any(i.customer == number for i in self.seed.payment_intents)
        )

    async def create(self, request: Request) -> Response:
        form, key = await keyed_form(request)
        replayed = self.answered.replay(key, form)
        if replayed is not None:
            return replayed
        customers = [v for k, v in sorted(form.items()) if k.startswith("objects[customers][")]
        if not customers:
            raise BadRequest("'objects[customers]' must name at least one customer")
        unknown = next((c for c in customers if not self._known(c)), None)
        if unknown is not None:
            return self.failure(400, f"No such customer: '{unknown}'", "resource_missing")
        now = self.clock()
        job = RedactionJob(
            f"prj_{uuid.uuid4().hex[:24]}", customers, "redacting", now,
            now + timedelta(seconds=REDACTION_S),
        )  # fmt: skip
        self.seed.redaction_jobs.append(job)
        return self.answered.answer(key, form, job_json(job))

    async def retrieve(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]
        job = next((j for j in self.seed.redaction_jobs if j.id == job_id), None)
        if job is None:
            return self.failure(404, f"No such redaction job: '{job_id}'", "resource_missing")
        return JSONResponse(job_json(job))
