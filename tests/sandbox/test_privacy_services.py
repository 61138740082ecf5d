"""The sandbox systems' privacy services as any client sees them (raw HTTP on loopback): they
check what they are sent and refuse it in their own error formats, and they keep what the law
makes them keep. They write, so they run on a sandbox of the module's own."""

from typing import Any

import httpx

from sandbox.seed import MUSTER, SOPHIE
from sandbox.server import CRM_TOKEN, DMS_TOKEN, PAYMENTS_SECRET_KEY, Sandbox
from tests.erp_fixtures import answer_body, erp, fault_of, post, soap_request


def client(sandbox: Sandbox, system: str, token: str) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.AsyncClient(base_url=sandbox.url(system), headers=headers, timeout=5.0)


async def test_the_crm_checks_each_privacy_request(own_sandbox: Sandbox) -> None:
    async with client(own_sandbox, "crm", CRM_TOKEN) as crm:
        bad = {"company_id": SOPHIE, "email": "nobody", "type": "audit", "scope": ["all"]}
        refused = await crm.post("/api/v1/privacy_requests", json=bad)
        assert refused.status_code == 422
        fields = {d["field"] for d in refused.json()["error"]["details"]}
        assert fields == {"email", "type", "scope"}
        unknown = {**bad, "company_id": "0009999999"}
        assert (await crm.post("/api/v1/privacy_requests", json=unknown)).status_code == 404
        finished = "/api/v1/privacy_requests/PRQ-0001"  # the seeded, completed export
        moved = await crm.patch(finished, json={"status": "in_progress", "outcomes": []})
        assert moved.status_code == 409
        lookup = await crm.get("/api/v1/privacy/lookup", params={"company_id": SOPHIE})
        assert lookup.status_code == 400  # no person named


async def test_the_dms_keeps_bookkeeping_documents(own_sandbox: Sandbox) -> None:
    seed = own_sandbox.seed
    invoice = next(d for d in seed.documents if d.customer == SOPHIE and d.doc_type == "invoice")
    other = next(d for d in seed.documents if d.customer == MUSTER and d.doc_type == "technical")
    async with client(own_sandbox, "dms", DMS_TOKEN) as dms:
        held = await dms.delete(f"/api/documents/{invoice.id}")
        assert held.status_code == 409
        body: dict[str, Any] = held.json()
        assert (body["exception"], body["reason"]) == ("constraint", "retention_hold")
        assert body["retain_until"] == f"{invoice.versions[0].created_at.year + 10}-12-31"
        assert (await dms.delete(f"/api/documents/{other.id}")).status_code == 204
        tombstone = (await dms.get("/api/documents", params={"ids": other.id})).json()
        assert tombstone == [{"id": other.id, "deleted": True}]
        assert (await dms.delete(f"/api/documents/{other.id}")).status_code == 404
    assert all(v.content == b"" for v in other.versions)
    assert not invoice.deleted


async def test_the_provider_runs_redaction_jobs_once_per_key(own_sandbox: Sandbox) -> None:
    async with client(own_sandbox, "payments", PAYMENTS_SECRET_KEY) as stripe:
        jobs = "/v1/privacy/redaction_jobs"
        unknown = await stripe.post(jobs, data={"objects[customers][0]": "cus_0009999999"})
        assert unknown.status_code == 400
        assert unknown.json()["error"]["code"] == "resource_missing"
        key = {"Idempotency-Key": "redact-1"}
        form = {"objects[customers][0]": f"cus_{MUSTER}"}
        first = (await stripe.post(jobs, data=form, headers=key)).json()
        assert first["status"] == "redacting"
        assert (await stripe.post(jobs, data=form, headers=key)).json() == first
        reused = await stripe.post(
            jobs, data={"objects[customers][0]": f"cus_{SOPHIE}"}, headers=key
        )
        assert reused.json()["error"]["code"] == "idempotency_error"
        assert (await stripe.get(f"{jobs}/prj_unknown")).status_code == 404
        assert (await stripe.get(f"{jobs}/{first['id']}")).json()["id"] == first["id"]


async def test_the_erp_refuses_an_unknown_customer_and_an_unknown_class(
    own_sandbox: Sandbox,
) -> None:
    params = [("CustomerNumber", "0009999999"), ("RequestId", "PRQ-X"), ("ObjectClass", "SALES")]
    answer = answer_body(
        (await post(own_sandbox.erp_url, soap_request("EraseCustomerData", params))).content
    )
    [message] = answer.iterfind(erp("Return"))
    assert (message.findtext(erp("Type")), message.findtext(erp("Code"))) == (
        "E",
        "CUSTOMER_UNKNOWN",
    )
    wrong = [("CustomerNumber", SOPHIE), ("RequestId", "PRQ-X"), ("ObjectClass", "EVERYTHING")]
    response = await post(own_sandbox.erp_url, soap_request("EraseCustomerData", wrong))
    assert response.status_code == 500
    assert fault_of(response)[0] == "soap:Client"
    assert any(o.customer == SOPHIE for o in own_sandbox.seed.orders)  # nothing was erased
