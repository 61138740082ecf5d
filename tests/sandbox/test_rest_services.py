"""The REST sandbox systems over plain HTTP: auth, batch limits, paging, errors, `/_stats`."""

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sandbox.model import Seed
from sandbox.rest import MAX_IDS
from sandbox.seed import MUSTER
from tests.rest_fixtures import CRM_TOKEN, DMS_TOKEN, PAYMENTS_KEY, SandboxControl


@dataclass(frozen=True)
class System:
    url_fixture: str
    token: str
    path: str
    """A route that answers 200 when authorized."""
    error_of: Callable[[Any], str]
    """The error text inside the system's own error JSON."""


SYSTEMS = {
    "crm": System(
        "crm_url", CRM_TOKEN, "/api/v1/tickets/TCK-1001", lambda b: b["error"]["message"]
    ),
    "dms": System("dms_url", DMS_TOKEN, "/api/documents?ids=doc-0001", lambda b: b["message"]),
    "payments": System(
        "payments_url", PAYMENTS_KEY, "/v1/refunds", lambda b: b["error"]["message"]
    ),
}


def client(url: str, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=5.0)


@pytest.fixture
async def crm(crm_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client(crm_url, CRM_TOKEN) as http:
        yield http


@pytest.fixture
async def dms(dms_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client(dms_url, DMS_TOKEN) as http:
        yield http


@pytest.fixture
async def payments(payments_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client(payments_url, PAYMENTS_KEY) as http:
        yield http


@pytest.mark.parametrize("name", SYSTEMS)
@pytest.mark.parametrize("token", [None, "wrong"])
async def test_requests_without_the_token_are_refused(
    request: pytest.FixtureRequest, name: str, token: str | None
) -> None:
    system = SYSTEMS[name]
    url = request.getfixturevalue(system.url_fixture)

    async with client(url, token) as refused, client(url, system.token) as accepted:
        denied = await refused.get(system.path)
        allowed = await accepted.get(system.path)

    assert denied.status_code == 401
    assert system.error_of(denied.json())
    assert allowed.status_code == 200


@pytest.mark.parametrize(
    ("name", "path", "param"),
    [
        ("crm", "/api/v1/tickets", "ids"),
        ("crm", "/api/v1/comments", "subjects"),
        ("crm", "/api/v1/contacts", "company_ids"),
        ("crm", "/api/v1/companies", "ids"),
        ("crm", "/api/v1/consents", "company_ids"),
        ("dms", "/api/documents", "ids"),
        ("dms", "/api/documents/versions", "document_ids"),
    ],
)
async def test_batch_reads_take_at_most_a_hundred_keys(
    request: pytest.FixtureRequest, name: str, path: str, param: str
) -> None:
    system = SYSTEMS[name]
    keys = [f"key-{n}" for n in range(MAX_IDS + 1)]

    async with client(request.getfixturevalue(system.url_fixture), system.token) as http:
        at_limit = await http.get(path, params={param: ",".join(keys[:MAX_IDS])})
        over = await http.get(path, params={param: ",".join(keys)})

    assert (at_limit.status_code, at_limit.json()) == (200, [])
    assert over.status_code == 400


async def test_crm_companies_mirror_the_erp_customers(
    crm: httpx.AsyncClient, rest_seed: Seed
) -> None:
    numbers = [customer.number for customer in rest_seed.customers]

    body = (await crm.get("/api/v1/companies", params={"ids": ",".join(numbers)})).json()

    assert [(c["id"], c["name"]) for c in body] == [(c.number, c.name) for c in rest_seed.customers]


async def test_crm_ticket_search_pages(crm: httpx.AsyncClient, rest_seed: Seed) -> None:
    expected = sorted(t.id for t in rest_seed.tickets if t.customer == MUSTER)
    seen: list[str] = []
    for page in range(1, len(expected) // 3 + 2):
        params: dict[str, str | int] = {"company_id": MUSTER, "per_page": 3, "page": page}
        body = (await crm.get("/api/v1/tickets", params=params)).json()
        assert (body["total"], body["page"], body["per_page"]) == (len(expected), page, 3)
        seen += [item["id"] for item in body["items"]]

    assert sorted(seen) == expected
    too_large = await crm.get("/api/v1/tickets", params={"company_id": MUSTER, "per_page": 101})
    assert too_large.status_code == 400
    assert (await crm.get("/api/v1/tickets")).status_code == 400


async def test_crm_comments_include_internal_notes_flagged(
    crm: httpx.AsyncClient, rest_seed: Seed
) -> None:
    internal = next(c for c in rest_seed.comments if c.internal)

    subject = f"ticket:{internal.subject_id}"
    body = (await crm.get("/api/v1/comments", params={"subjects": subject})).json()

    assert {(c["id"], c["internal"]) for c in body} == {
        (c.id, c.internal) for c in rest_seed.comments if c.subject_id == internal.subject_id
    }


async def test_crm_unknown_ticket_is_404(crm: httpx.AsyncClient) -> None:
    response = await crm.get("/api/v1/tickets/TCK-0000")

    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


async def test_dms_owner_search_pages(dms: httpx.AsyncClient, rest_seed: Seed) -> None:
    expected = sorted(d.id for d in rest_seed.documents if d.customer == MUSTER and not d.deleted)
    seen: list[str] = []
    page, more = 1, True
    while more:
        params: dict[str, str | int] = {"owner": MUSTER, "page_size": 7, "page": page}
        body = (await dms.get("/api/documents", params=params)).json()
        assert body["num_items"] == len(expected)
        seen += [document["id"] for document in body["objects"]]
        page, more = page + 1, body["has_more_items"]

    assert sorted(seen) == expected


async def test_dms_takes_exactly_one_selector(dms: httpx.AsyncClient) -> None:
    both = await dms.get("/api/documents", params={"ids": "doc-0001", "owner": MUSTER})
    none = await dms.get("/api/documents")
    malformed = await dms.get("/api/documents", params={"refs": "10000002"})

    assert both.status_code == none.status_code == malformed.status_code == 400
    assert both.json()["exception"] == "invalidArgument"


async def test_dms_content_has_its_type_and_file_name(
    dms: httpx.AsyncClient, rest_seed: Seed
) -> None:
    document = next(d for d in rest_seed.documents if not d.deleted)
    version = document.versions[-1]

    response = await dms.get(f"/api/documents/{document.id}/versions/{version.id}/content")
    missing = await dms.get(f"/api/documents/{document.id}/versions/nope/content")

    assert (
        hashlib.sha256(response.content).hexdigest() == hashlib.sha256(version.content).hexdigest()
    )
    assert response.headers["content-type"].startswith(version.mime_type)
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    assert (missing.status_code, missing.json()["exception"]) == (404, "objectNotFound")


async def test_stripe_lists_page_with_starting_after(
    payments: httpx.AsyncClient, rest_seed: Seed
) -> None:
    expected = [
        i.id
        for i in sorted(rest_seed.payment_intents, key=lambda i: (i.created, i.id), reverse=True)
    ]
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        body = (await payments.get("/v1/payment_intents", params=params)).json()
        assert body["object"] == "list"
        seen += [intent["id"] for intent in body["data"]]
        if not body["has_more"]:
            break
        params["starting_after"] = body["data"][-1]["id"]

    assert seen == expected


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"starting_after": "pi_nope"}])
async def test_stripe_refuses_bad_list_parameters(
    payments: httpx.AsyncClient, params: dict[str, str | int]
) -> None:
    response = await payments.get("/v1/payment_intents", params=params)

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_stripe_unknown_intent_is_resource_missing(payments: httpx.AsyncClient) -> None:
    response = await payments.get("/v1/payment_intents/pi_nope")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"


async def test_stats_count_requests_by_route_template(
    crm: httpx.AsyncClient, crm_control: SandboxControl, rest_seed: Seed
) -> None:
    for ticket in rest_seed.tickets[:3]:
        await crm.get(f"/api/v1/tickets/{ticket.id}")
    await crm.get("/api/v1/tickets", params={"ids": rest_seed.tickets[0].id})

    assert await crm_control.requests() == {
        "GET /api/v1/tickets/{ticket_id}": 3,
        "GET /api/v1/tickets": 1,
    }


async def test_a_down_provider_answers_in_stripes_error_format(
    payments: httpx.AsyncClient, payments_control: SandboxControl
) -> None:
    await payments_control.set_faults(mode="down")

    response = await payments.get("/v1/refunds")

    assert response.status_code == 503
    assert response.json()["error"]["type"] == "api_error"
