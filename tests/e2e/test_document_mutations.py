"""Uploading documents end to end: `uploadDocument` and `addDocumentVersion` as GraphQL
multipart requests through the real gateway into the sandbox DMS and back out through
queries, with the gateway's and the DMS's own limits, the DMS's virus scan, broken multipart
bodies, denied roles and another organization's IDs. Every refusal is checked against the
DMS's own state: nothing stored. These tests write, so they run on a sandbox of their own
(`live_sandbox`)."""

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from sandbox.dms.writes import ACCEPTED, EICAR
from sandbox.model import Document
from sandbox.seed import MUSTER
from sandbox.server import Sandbox
from tests.live_stack import live_gateway
from tests.stack import GraphQLClient, Tokens, running_gateway
from tests.ws_client import ws_client

UPLOAD_LIMIT = 256 * 1024
UPLOAD = """mutation($input: UploadDocumentInput!) {
  uploadDocument(input: $input) {
    document { id title documentType audience uploadedBy latestVersion { versionLabel } }
    userErrors { field code message }
  }
}"""
ADD_VERSION = """mutation($input: AddDocumentVersionInput!) {
  addDocumentVersion(input: $input) {
    document { id latestVersion { versionLabel } }
    version { versionLabel isMajor isLatest checkinComment createdBy filename size contentHash }
    userErrors { field code message }
  }
}"""
VERSION_ADDED = """subscription($s: ID) { documentVersionAdded(subjectId: $s) {
  versionLabel filename } }"""
ORDER_DOCUMENTS = "query($id: ID!) { order(id: $id) { documents { id title } } }"
DOCUMENT = """query($id: ID!) { document(id: $id) { title
  latestVersion { versionLabel downloadUrl }
  versions { versionLabel isMajor mimeType filename size contentHash } } }"""
ORDERS = "{ orders(first: 50) { edges { node { id source { externalId } } } } }"
INVOICES = "{ invoices(first: 5) { edges { node { id } } } }"
DOCUMENTS = "{ documents(first: 100) { edges { node { id title } } } }"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


@pytest.fixture(scope="module")
def own_gateway(live_sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(live_sandbox, upload_max_bytes=UPLOAD_LIMIT) as url:
        yield url


@pytest.fixture
async def client(own_gateway: str, live_tokens: Tokens) -> AsyncIterator[Any]:
    """`await client("beat")`: a GraphQL client of the module's gateway for a demo user."""
    clients: list[GraphQLClient] = []

    async def make(username: str | None) -> GraphQLClient:
        made = GraphQLClient(own_gateway, await live_tokens(username) if username else None)
        clients.append(made)
        return made

    yield make
    for made in clients:
        await made.aclose()


def new_document(
    subject_id: str, audience: str = "TECHNICAL", title: str | None = None
) -> dict[str, Any]:
    return {"input": {"subjectId": subject_id, "upload": None, "documentType": "TECHNICAL",
                      "audience": audience, "title": title}}  # fmt: skip


def new_version(document_id: str, major: bool, comment: str) -> dict[str, Any]:
    return {"input": {"documentId": document_id, "upload": None, "isMajor": major,
                      "comment": comment}}  # fmt: skip


async def upload(
    client: GraphQLClient, query: str, variables: dict[str, Any], name: str, content: bytes,
    media_type: str,
) -> dict[str, Any]:  # fmt: skip
    """The mutation's payload, which must come without top-level errors."""
    response = await client.post_files(
        query, variables, {"input.upload": (name, content, media_type)}
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = next(iter(body["data"].values()))
    return payload


async def order_id(client: GraphQLClient, external_id: str = "10000002") -> str:
    edges = (await client.query(ORDERS))["orders"]["edges"]
    return str(next(e["node"]["id"] for e in edges
                    if e["node"]["source"]["externalId"] == external_id))  # fmt: skip


def dms_state(sandbox: Sandbox) -> list[tuple[str, int, int]]:
    """Every document in the DMS, with its number of versions and bytes stored."""
    return [(d.id, len(d.versions), sum(len(v.content) for v in d.versions))
            for d in sandbox.seed.documents]  # fmt: skip


def dms_writes(sandbox: Sandbox) -> int:
    counts = httpx.get(f"{sandbox.url('dms')}/_stats").json()["by_operation"]
    return sum(n for operation, n in counts.items() if operation.startswith("POST "))


def stored(sandbox: Sandbox, title: str) -> Document:
    return next(d for d in sandbox.seed.documents if d.title == title)


async def test_upload_then_minor_and_major_versions(client: Any, live_sandbox: Sandbox) -> None:
    beat = await client("beat")
    order = await order_id(beat)
    before = (await beat.query(ORDER_DOCUMENTS, {"id": order}))["order"]["documents"]  # cached
    await beat.query(DOCUMENTS)
    title = f"Prüfprotokoll {uuid.uuid4().hex[:6]}"

    result = await upload(beat, UPLOAD, new_document(order, title=title), "pruef.pdf", PDF,
                          "application/pdf")  # fmt: skip

    assert result["userErrors"] == []
    document = result["document"]
    assert document | {"id": None} == {
        "id": None, "title": title, "documentType": "TECHNICAL", "audience": "TECHNICAL",
        "uploadedBy": "CUSTOMER", "latestVersion": {"versionLabel": "1.0"},
    }  # fmt: skip
    in_dms = stored(live_sandbox, title)
    assert (in_dms.customer, in_dms.references, in_dms.versions[0].content) == (
        MUSTER, [("order", "10000002")], PDF
    )  # fmt: skip
    after = (await beat.query(ORDER_DOCUMENTS, {"id": order}))["order"]["documents"]
    assert after[0] == {"id": document["id"], "title": title}  # newest first, cache invalidated
    assert after[1:] == before
    listed = (await beat.query(DOCUMENTS))["documents"]["edges"]
    assert document["id"] in [edge["node"]["id"] for edge in listed]

    minor_content = PDF + b"% minor\n"
    minor = await upload(beat, ADD_VERSION, new_version(document["id"], False, "Massangaben"),
                         "pruef_v2.pdf", minor_content, "application/pdf")  # fmt: skip
    assert minor["userErrors"] == []
    assert minor["document"]["latestVersion"] == {"versionLabel": "1.1"}
    assert minor["version"] == {
        "versionLabel": "1.1", "isMajor": False, "isLatest": True, "checkinComment": "Massangaben",
        "createdBy": "Beat Frei", "filename": "pruef_v2.pdf", "size": len(minor_content),
        "contentHash": hashlib.sha256(minor_content).hexdigest(),
    }  # fmt: skip
    major = await upload(beat, ADD_VERSION, new_version(document["id"], True, "Freigabe"),
                         "pruef.png", PNG, "image/png")  # fmt: skip
    assert major["version"]["versionLabel"] == "2.0"
    assert major["version"]["isMajor"] is True

    read = (await beat.query(DOCUMENT, {"id": document["id"]}))["document"]
    assert read["latestVersion"]["versionLabel"] == "2.0"
    downloaded = await beat.http.get(read["latestVersion"]["downloadUrl"])  # with beat's token
    assert (downloaded.status_code, downloaded.content) == (200, PNG)
    assert [(v["versionLabel"], v["isMajor"], v["mimeType"]) for v in read["versions"]] == [
        ("2.0", True, "image/png"), ("1.1", False, "application/pdf"),
        ("1.0", True, "application/pdf"),
    ]  # fmt: skip
    assert [v.content for v in stored(live_sandbox, title).versions] == [PDF, minor_content, PNG]


async def test_refused_files_are_user_errors_and_store_nothing(
    client: Any, live_sandbox: Sandbox
) -> None:
    beat = await client("beat")
    order = await order_id(beat)
    drawing = next(d for d in live_sandbox.seed.documents if d.title.startswith("Zeichnung"))
    documents = (await beat.query(DOCUMENTS))["documents"]["edges"]
    drawing_id = next(e["node"]["id"] for e in documents if e["node"]["title"] == drawing.title)
    cases: list[tuple[str, str, bytes, str, str]] = [
        ("FILE_TOO_LARGE", "big.pdf", b"%PDF-" + bytes(UPLOAD_LIMIT), "application/pdf", ""),
        ("EMPTY_FILE", "empty.pdf", b"", "application/pdf", ""),
        ("CONTENT_TYPE_NOT_ALLOWED", "setup.exe", b"MZ\x90\x00", "application/x-msdownload",
         "application/x-msdownload"),
        ("CONTENT_TYPE_NOT_ALLOWED", "page.html", b"<html>", "text/html", "text/html"),
        ("CONTENT_MISMATCH", "fake.pdf", PNG, "application/pdf", "not a PDF"),
        ("CONTENT_MISMATCH", "report.exe", PDF, "application/pdf", ".pdf"),
        ("CONTENT_MISMATCH", "data.csv", b"a;b\x00\x01", "text/csv", "not a CSV"),
        ("VIRUS_DETECTED", "notes.txt", EICAR, "text/plain", "virus"),
    ]  # fmt: skip
    state, writes = dms_state(live_sandbox), dms_writes(live_sandbox)
    for code, name, content, media_type, hint in cases:
        for query, variables in ((UPLOAD, new_document(order)),
                                 (ADD_VERSION, new_version(drawing_id, False, ""))):  # fmt: skip
            result = await upload(beat, query, variables, name, content, media_type)
            assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
                (["input", "upload"], code)
            ], (name, result)
            assert hint in result["userErrors"][0]["message"], result
            assert result["document"] is None
    assert dms_state(live_sandbox) == state
    assert dms_writes(live_sandbox) == writes + 2  # only the infected file reached the DMS


async def test_the_dms_own_limits_refuse_what_the_gateway_let_through(
    client: Any, live_sandbox: Sandbox
) -> None:
    beat = await client("beat")
    order = await order_id(beat)
    limits = live_sandbox.dms_limits
    state = dms_state(live_sandbox)
    limits.max_bytes = len(PDF) - 1
    try:
        too_large = await upload(beat, UPLOAD, new_document(order), "a.pdf", PDF,
                                 "application/pdf")  # fmt: skip
    finally:
        limits.max_bytes = 64 * 1024 * 1024
    limits.media_types = ACCEPTED - {"text/csv"}
    try:
        csv = await upload(beat, UPLOAD, new_document(order), "a.csv", b"a;b\n1;2\n", "text/csv")
    finally:
        limits.media_types = ACCEPTED
    assert [e["code"] for e in too_large["userErrors"]] == ["FILE_TOO_LARGE"]
    assert [e["code"] for e in csv["userErrors"]] == ["CONTENT_TYPE_NOT_ALLOWED"]
    assert dms_state(live_sandbox) == state


async def test_broken_multipart_bodies_are_refused_and_store_nothing(
    client: Any, live_sandbox: Sandbox
) -> None:
    beat = await client("beat")
    order = await order_id(beat)
    variables = new_document(order)
    good_operations = json.dumps({"query": UPLOAD, "variables": variables})
    file_part = {"0": ("a.pdf", PDF, "application/pdf")}
    broken: list[tuple[dict[str, str], dict[str, Any], str]] = [
        ({"operations": "{not json", "map": '{"0": ["variables.input.upload"]}'}, file_part,
         "JSON"),
        ({"operations": good_operations, "map": '["variables.input.upload"]'}, file_part, "map"),
        ({"operations": good_operations, "map": '{"1": ["variables.input.upload"]}'}, file_part,
         "missing"),
        ({"operations": good_operations, "map": '{"0": ["query"]}'}, file_part, "variable"),
        ({"operations": good_operations, "map": '{"0": ["variables.nope.upload"]}'}, file_part,
         "variable"),
        ({"map": '{"0": ["variables.input.upload"]}'}, file_part, "operations"),
    ]  # fmt: skip
    state, writes = dms_state(live_sandbox), dms_writes(live_sandbox)
    for data, files, hint in broken:
        response = await beat.http.post("/graphql", data=data, files=files)
        assert response.status_code == 400, (data, response.text)
        assert hint in response.text, response.text

    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n"
            f"{good_operations}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"map\"\r\n\r\n{{\"0\": [\"variables.input.upload\"]}}\r\n--{boundary}\r\n"
            "Content-Disposition: form-data; name=\"0\"; filename=\"a.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()  # fmt: skip
    truncated = await beat.http.post(
        "/graphql", content=head + PDF[:100],
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    assert truncated.status_code == 400, truncated.text
    assert "closing boundary" in truncated.text

    oversized = await beat.post_files(UPLOAD, variables, {"input.upload": (
        "huge.pdf", b"%PDF-" + bytes(1_000_000 + UPLOAD_LIMIT), "application/pdf")})  # fmt: skip
    assert oversized.status_code == 413
    assert oversized.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert dms_state(live_sandbox) == state
    assert dms_writes(live_sandbox) == writes


async def test_multipart_is_for_mutations_only_and_csrf_still_applies(
    client: Any, own_gateway: str
) -> None:
    beat = await client("beat")
    files = {"input.upload": ("a.pdf", PDF, "application/pdf")}
    query = "query($input: String) { viewer { user { name } } }"
    as_query = await beat.post_files(query, {"input": {"upload": None}}, files)
    assert as_query.status_code == 400
    assert "mutation" in as_query.text

    anonymous = GraphQLClient(own_gateway, None)
    order = await order_id(beat)
    cross_site = await anonymous.post_files(UPLOAD, new_document(order), files)
    assert cross_site.status_code == 400
    assert cross_site.json()["errors"][0]["extensions"]["code"] == "CSRF_SUSPECTED"
    preflighted = await anonymous.post_files(
        UPLOAD, new_document(order), files, **{"GraphQL-Require-Preflight": "1"}
    )
    await anonymous.aclose()
    assert preflighted.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_audience_title_and_json_inputs_are_user_errors(
    client: Any, live_sandbox: Sandbox
) -> None:
    carla = await client("carla")  # specialist: technical documents only
    order = await order_id(carla)
    state = dms_state(live_sandbox)
    financial = await upload(carla, UPLOAD, new_document(order, audience="FINANCIAL"), "a.pdf",
                             PDF, "application/pdf")  # fmt: skip
    assert [(e["field"], e["code"]) for e in financial["userErrors"]] == [
        (["input", "audience"], "AUDIENCE_NOT_ALLOWED")
    ]
    assert "TECHNICAL" in financial["userErrors"][0]["message"]
    long_title = await upload(carla, UPLOAD, new_document(order, title="x" * 201), "a.pdf", PDF,
                              "application/pdf")  # fmt: skip
    assert [e["field"] for e in long_title["userErrors"]] == [["input", "title"]]
    as_json = await carla.query(UPLOAD, new_document(order) | {"input": {
        **new_document(order)["input"], "upload": "JVBERi0xLjcK"}})  # fmt: skip
    assert [(e["field"], e["code"]) for e in as_json["uploadDocument"]["userErrors"]] == [
        (["input", "upload"], "INVALID")
    ]
    assert dms_state(live_sandbox) == state


async def test_roles_without_documents_write_are_denied(client: Any, live_sandbox: Sandbox) -> None:
    order = await order_id(await client("beat"))
    state = dms_state(live_sandbox)
    for user, code in (("daniel", "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        caller = await client(user)
        response = await caller.post_files(
            UPLOAD, new_document(order), {"input.upload": ("a.pdf", PDF, "application/pdf")},
            **{"GraphQL-Require-Preflight": "1"},
        )  # fmt: skip
        body = response.json()
        assert body.get("data") is None, user
        assert body["errors"][0]["extensions"]["code"] == code, user
    assert dms_state(live_sandbox) == state


async def test_another_organizations_ids_are_not_found(client: Any, live_sandbox: Sandbox) -> None:
    beat = await client("beat")
    muster_order = await order_id(beat)
    muster_document = (await beat.query(DOCUMENTS))["documents"]["edges"][0]["node"]["id"]
    carla = await client("carla")
    invoice = (await (await client("daniel")).query(INVOICES))["invoices"]["edges"][0]["node"]
    luc = await client("luc")  # Lumière's admin
    state = dms_state(live_sandbox)
    unknown = "bm9wZQ"
    answers = []
    for caller, subject in ((luc, muster_order), (luc, unknown), (carla, invoice["id"])):
        result = await upload(caller, UPLOAD, new_document(subject), "a.pdf", PDF,
                              "application/pdf")  # fmt: skip
        answers.append(result["userErrors"])
    for document_id in (muster_document, unknown):
        result = await upload(luc, ADD_VERSION, new_version(document_id, False, ""), "a.pdf",
                              PDF, "application/pdf")  # fmt: skip
        answers.append(result["userErrors"])
    assert answers[0] == answers[1] == answers[2] == [{
        "field": ["input", "subjectId"], "code": "NOT_FOUND",
        "message": "No case with this ID exists."}]  # fmt: skip
    assert answers[3] == answers[4] == [{
        "field": ["input", "documentId"], "code": "NOT_FOUND",
        "message": "No document with this ID exists."}]  # fmt: skip
    assert dms_state(live_sandbox) == state


async def test_an_upload_reaches_subscribers_through_the_dms_webhook(
    live_sandbox: Sandbox, live_tokens: Tokens
) -> None:
    token = await live_tokens("beat")
    with live_gateway(live_sandbox, upload_max_bytes=UPLOAD_LIMIT) as url:
        beat = GraphQLClient(url, token)
        order = await order_id(beat)
        async with ws_client(url, token) as subscriber:
            await subscriber.start("version", VERSION_ADDED, {"s": order})
            await subscriber.execute("{ viewer { user { name } } }")  # the start is handled
            result = await upload(beat, UPLOAD, new_document(order), "live.pdf", PDF,
                                  "application/pdf")  # fmt: skip
            message = await subscriber.receive()
        await beat.aclose()
    assert result["userErrors"] == []
    assert message["payload"]["data"] == {
        "documentVersionAdded": {"versionLabel": "1.0", "filename": "live.pdf"}
    }
