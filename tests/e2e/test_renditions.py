"""Document previews end to end: the DMS's own renditions where it has them, otherwise the
gateway's renders (a PDF, an image; a 200-page PDF and a malformed one within the configured
bounds), an unsupported format with its fallback, PENDING while a render runs, the cache by
content hash, and the signed links that serve them. The DMS of this module's own sandbox holds
extra documents without renditions of its own; the gateway answers PENDING at once
(`rendition_wait_s=0`), so every render is seen pending first and then settled."""

import io
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from PIL import Image

from sandbox.dms.renditions import rendition
from sandbox.model import Document, DocumentVersion
from sandbox.seed import MUSTER
from sandbox.server import Sandbox
from tests.documents_fixtures import pdf, png, truncated_pdf
from tests.stack import GraphQLClient, Tokens, Upstream, running_gateway, running_sandbox
from tests.waiting import wait_until

TIMEOUT_S = 20.0
MAX_PAGES = 500
CONTENT = "GET /api/documents/{document_id}/versions/{version_id}/content"
RENDITIONS = """query($id: ID!) { document(id: $id) { title
  renditions { kind status mimeType url fallbackIcon } } }"""
EXTRA = {
    "Prüfbericht": ("application/pdf", "pdf", pdf(1), "unavailable"),
    "Foto Halterung": ("image/png", "png", png(1200, 800), "unavailable"),
    "Handbuch Fräsmaschine": ("application/pdf", "pdf", pdf(200), "unavailable"),
    "Scan (abgebrochen)": ("application/pdf", "pdf", truncated_pdf(), "unavailable"),
    "CAD-Modell Gehäuse": ("image/vnd.dwg", "dwg", b"AC1032 Gehaeuse", "pending"),
}
"""Title: (media type, extension, content, the DMS's own thumbnail state)."""


def extra_document(index: int, title: str, created: datetime) -> Document:
    mime_type, extension, content, thumbnail = EXTRA[title]
    document_id = f"doc-{9000 + index}"
    version = DocumentVersion(
        id=f"{document_id}-v1", label="1.0", is_major=True, comment="", created_by="Carla Meier",
        created_at=created, mime_type=mime_type, filename=f"{document_id}.{extension}",
        content=content, thumbnail=thumbnail,
    )  # fmt: skip
    return Document(
        id=document_id, customer=MUSTER, title=title, doc_type="technical",
        audience="technical", tags=[], uploaded_by="customer",
        references=[("order", "10000002")], versions=[version],
    )  # fmt: skip


@pytest.fixture(scope="module")
def own_sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as running:
        for index, title in enumerate(EXTRA, start=1):
            running.seed.documents.append(extra_document(index, title, running.seed.now))
        yield running


@pytest.fixture(scope="module")
def own_gateway(own_sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(
        own_sandbox,
        rendition_wait_s=0,
        rendition_timeout_s=TIMEOUT_S,
        rendition_max_pages=MAX_PAGES,
    ) as url:
        yield url


@pytest.fixture
async def anna(own_gateway: str, own_sandbox: Sandbox) -> AsyncIterator[GraphQLClient]:
    client = GraphQLClient(own_gateway, await Tokens(own_sandbox.url("idp"))("anna"))
    yield client
    await client.aclose()


async def document_ids(client: GraphQLClient) -> dict[str, str]:
    data = await client.query("{ documents(first: 100) { edges { node { id title } } } }")
    return {e["node"]["title"]: e["node"]["id"] for e in data["documents"]["edges"]}


async def renditions(client: GraphQLClient, document_id: str) -> dict[str, dict[str, Any]]:
    data = await client.query(RENDITIONS, {"id": document_id})
    return {found["kind"]: found for found in data["document"]["renditions"]}


async def settled(client: GraphQLClient, document_id: str) -> dict[str, dict[str, Any]]:
    """The renditions once no render of the gateway is pending any more."""
    found: dict[str, dict[str, Any]] = {}

    async def done() -> bool:
        found.update(await renditions(client, document_id))
        return all(r["status"] != "PENDING" for r in found.values())

    await wait_until(done, deadline_s=TIMEOUT_S + 5, interval_s=0.1)
    return found


async def fetch_png(client: GraphQLClient, url: str) -> Image.Image:
    response = await client.http.get(url)  # with the user's bearer token, as links need
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].startswith("inline")
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    return image


def dark(image: Image.Image) -> bool:
    darkest, _ = image.convert("L").getextrema()
    assert isinstance(darkest, int)
    return darkest < 128


async def test_the_dms_renditions_are_served_when_it_has_them(
    own_sandbox: Sandbox, anna: GraphQLClient
) -> None:
    drawing = next(d for d in own_sandbox.seed.documents if d.title.startswith("Zeichnung"))
    ids = await document_ids(anna)
    found = await renditions(anna, ids[drawing.title])  # no render: no PENDING
    assert {kind: r["status"] for kind, r in found.items()} == {
        "THUMBNAIL": "READY", "PREVIEW_IMAGE": "READY", "PREVIEW_PDF": "READY"
    }  # fmt: skip
    latest = drawing.versions[-1]
    for kind in ("thumbnail", "preview_image", "preview_pdf"):
        served = await anna.http.get(found[kind.upper()]["url"])
        assert served.status_code == 200
        made = rendition(drawing.title, latest, kind)
        assert made is not None
        assert served.content == made[0]
    assert found["THUMBNAIL"]["fallbackIcon"] == "pdf"


async def test_a_pdf_and_an_image_are_rendered_by_the_gateway(
    own_sandbox: Sandbox, anna: GraphQLClient
) -> None:
    ids = await document_ids(anna)
    upstream = Upstream(own_sandbox)
    first = await renditions(anna, ids["Prüfbericht"])
    assert first["THUMBNAIL"]["status"] == "PENDING"
    assert first["THUMBNAIL"]["url"] is None
    assert first["THUMBNAIL"]["fallbackIcon"] == "pdf"
    report = await settled(anna, ids["Prüfbericht"])
    assert report["THUMBNAIL"]["status"] == report["PREVIEW_IMAGE"]["status"] == "READY"
    thumbnail = await fetch_png(anna, report["THUMBNAIL"]["url"])
    preview = await fetch_png(anna, report["PREVIEW_IMAGE"]["url"])
    assert max(thumbnail.size) == 256
    assert max(preview.size) == 1024
    assert thumbnail.size[0] < thumbnail.size[1]  # A4 portrait, first page
    assert dark(thumbnail)
    assert dark(preview)

    photo = await settled(anna, ids["Foto Halterung"])
    assert (await fetch_png(anna, photo["THUMBNAIL"]["url"])).size == (256, 171)
    assert (await fetch_png(anna, photo["PREVIEW_IMAGE"]["url"])).size == (1024, 683)
    assert photo["THUMBNAIL"]["fallbackIcon"] == "image"

    upstream.reset()  # cached by content hash: asked again, nothing is downloaded
    again = await renditions(anna, ids["Prüfbericht"])
    assert again["THUMBNAIL"]["status"] == "READY"
    await fetch_png(anna, again["THUMBNAIL"]["url"])
    assert upstream.counts("dms").get(CONTENT, 0) == 0


async def test_a_200_page_pdf_renders_its_first_page_within_the_bounds(
    anna: GraphQLClient,
) -> None:
    ids = await document_ids(anna)
    started = time.monotonic()
    manual = await settled(anna, ids["Handbuch Fräsmaschine"])
    assert time.monotonic() - started < TIMEOUT_S
    assert manual["THUMBNAIL"]["status"] == "READY"
    assert dark(await fetch_png(anna, manual["THUMBNAIL"]["url"]))


async def test_a_malformed_pdf_and_an_unsupported_format_fall_back(
    own_sandbox: Sandbox, anna: GraphQLClient
) -> None:
    ids = await document_ids(anna)
    started = time.monotonic()
    broken = await settled(anna, ids["Scan (abgebrochen)"])
    assert time.monotonic() - started < TIMEOUT_S
    for kind in ("THUMBNAIL", "PREVIEW_IMAGE"):
        assert broken[kind]["status"] == "UNAVAILABLE"
        assert broken[kind]["url"] is None
        assert broken[kind]["fallbackIcon"] == "pdf"
    upstream = Upstream(own_sandbox)
    upstream.reset()  # the failure is cached too
    assert (await renditions(anna, ids["Scan (abgebrochen)"]))["THUMBNAIL"]["status"] == (
        "UNAVAILABLE"
    )
    assert upstream.counts("dms").get(CONTENT, 0) == 0

    cad = await renditions(anna, ids["CAD-Modell Halterung"])  # the seed's DWG
    assert {kind: (r["status"], r["url"], r["fallbackIcon"]) for kind, r in cad.items()} == {
        "THUMBNAIL": ("UNAVAILABLE", None, "cad"),
        "PREVIEW_IMAGE": ("UNAVAILABLE", None, "cad"),
        "PREVIEW_PDF": ("UNAVAILABLE", None, "cad"),
    }
    pending = await renditions(anna, ids["CAD-Modell Gehäuse"])  # the DMS is still at it
    assert pending["THUMBNAIL"]["status"] == "PENDING"
    assert upstream.counts("dms").get(CONTENT, 0) == 0  # the gateway does not try a DWG


async def test_rendition_links_are_signed_and_bound_to_the_user_and_organization(
    own_gateway: str, own_sandbox: Sandbox, anna: GraphQLClient
) -> None:
    ids = await document_ids(anna)
    photo = await settled(anna, ids["Foto Halterung"])
    url = photo["THUMBNAIL"]["url"]
    base, token, signature = url.rsplit("/", 2)
    assert (await anna.http.get(f"{base}/{token}/{signature[:-2]}xx")).status_code == 404
    async with httpx.AsyncClient() as anonymous:
        assert (await anonymous.get(url)).status_code == 401
    luc = GraphQLClient(own_gateway, await Tokens(own_sandbox.url("idp"))("luc"))
    try:
        assert (await luc.http.get(url)).status_code == 404  # another user's link
        other = await luc.post(RENDITIONS, {"id": ids["Foto Halterung"]})
    finally:
        await luc.aclose()
    assert other.json()["data"]["document"] is None
    assert other.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_every_version_has_its_renditions(anna: GraphQLClient) -> None:
    ids = await document_ids(anna)
    data = await anna.query(
        """query($id: ID!) { document(id: $id) { versions(first: 2) { totalCount
          pageInfo { hasNextPage } edges { node { versionLabel
          renditions { kind status url } } } } } }""",
        {"id": ids["Zeichnung Halterung H-12"]},
    )
    versions = data["document"]["versions"]
    assert versions["totalCount"] == 3
    assert versions["pageInfo"]["hasNextPage"] is True
    for edge in versions["edges"]:
        statuses = {r["kind"]: r["status"] for r in edge["node"]["renditions"]}
        assert statuses["THUMBNAIL"] == "READY"
        assert all(r["url"] for r in edge["node"]["renditions"])
