"""Signed download links, accepted and refused: a valid link streams the DMS's exact bytes to
the user it was made for; an expired, tampered, another user's or another organization's link
answers the same 404, and a link without the user's bearer token a 401. Expired and foreign
grants are minted here with the gateway's secret, as the gateway itself would sign them."""

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from connectors.dms.mapping import attachment_name
from resolvers.downloads import DownloadGrant, DownloadLinks
from sandbox.model import Document
from sandbox.seed import MUSTER
from sandbox.server import Sandbox
from tests.stack import GraphQLClient, Tokens, gateway_settings

Client = Callable[..., Awaitable[GraphQLClient]]
DOCUMENTS = """{ documents(first: 100) { edges { node { id title audience
  versions { filename contentHash downloadUrl } } } } }"""
NOT_FOUND = {"error": "not_found", "message": "This link is invalid or expired."}
LUMIERE = "0000100002"


def subject_of(token: str) -> str:
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return str(claims["sub"])


def links(sandbox: Sandbox, base_url: str) -> DownloadLinks:
    """Links signed with the gateway's own secret."""
    return DownloadLinks(gateway_settings(sandbox).download_url_secret.encode(), 300, base_url)


def seeded(sandbox: Sandbox, title: str) -> Document:
    return next(d for d in sandbox.seed.documents if d.title == title)


async def documents_of(client: GraphQLClient) -> list[dict[str, Any]]:
    return [edge["node"] for edge in (await client.query(DOCUMENTS))["documents"]["edges"]]


async def fetch(url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.get(url, headers=headers)


async def test_a_valid_link_streams_the_exact_bytes(
    sandbox: Sandbox, client_for: Client, tokens: Tokens
) -> None:
    anna = await client_for("anna")
    token = await tokens("anna")
    checked = 0
    for document in await documents_of(anna):
        versions = seeded(sandbox, document["title"]).versions
        for version, stored in zip(document["versions"], reversed(versions), strict=True):
            response = await fetch(version["downloadUrl"], token)
            assert response.status_code == 200, response.text
            digest = hashlib.sha256(response.content).hexdigest()
            assert digest == version["contentHash"] == hashlib.sha256(stored.content).hexdigest()
            assert response.headers["content-type"].startswith(stored.mime_type)
            assert attachment_name(response.headers["content-disposition"]) == stored.filename
            assert response.headers["cache-control"] == "private, no-store"
            checked += 1
    assert checked >= 5


async def test_a_link_needs_the_bearer_token(client_for: Client) -> None:
    anna = await client_for("anna")
    url = (await documents_of(anna))[0]["versions"][0]["downloadUrl"]
    response = await fetch(url, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_expired_and_tampered_links_are_refused(
    sandbox: Sandbox, client_for: Client, tokens: Tokens, gateway_url: str
) -> None:
    anna = await client_for("anna")
    token = await tokens("anna")
    first, second = (await documents_of(anna))[:2]
    url = first["versions"][0]["downloadUrl"]
    assert (await fetch(url, token)).status_code == 200
    prefix, payload, signature = url.rsplit("/", 2)
    grant = links(sandbox, gateway_url).verify(payload, signature)
    assert grant is not None

    expired = DownloadGrant(grant.document_id, grant.version_id, grant.tenant, grant.subject,
                            expires_at=1_700_000_000)  # fmt: skip
    other = DownloadGrant(seeded(sandbox, second["title"]).id, grant.version_id, grant.tenant,
                          grant.subject, grant.expires_at)  # fmt: skip
    other_payload = links(sandbox, gateway_url).url(other).rsplit("/", 2)[1]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    refused = [
        links(sandbox, gateway_url).url(expired),  # signed, but past its expiry
        f"{prefix}/{payload}/{flipped}",  # a forged signature
        f"{prefix}/{other_payload}/{signature}",  # moved to another document
        f"{prefix}/{payload[:-2]}/{signature}",  # a cut payload
        f"{prefix}/bm9wZQ/{signature}",  # garbage
    ]
    for link in refused:
        response = await fetch(link, token)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), link


async def test_another_users_link_is_refused(client_for: Client, tokens: Tokens) -> None:
    anna = await client_for("anna")
    technical = next(d for d in await documents_of(anna) if d["audience"] == "TECHNICAL")
    url = technical["versions"][0]["downloadUrl"]
    beat = await tokens("beat")  # same organization, may read technical documents himself
    response = await fetch(url, beat)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert (await fetch(url, await tokens("anna"))).status_code == 200


async def test_another_organizations_link_is_refused(
    sandbox: Sandbox, client_for: Client, tokens: Tokens, gateway_url: str
) -> None:
    anna = await client_for("anna")
    documents = await documents_of(anna)
    muster = seeded(sandbox, documents[0]["title"])
    financial = next(d for d in documents if d["audience"] == "FINANCIAL")
    luc, beat = await tokens("luc"), await tokens("beat")
    signer = links(sandbox, gateway_url)
    forged = [
        # signed for luc, for Muster's document in Muster's name: luc cannot act for Muster
        (luc, DownloadGrant(muster.id, muster.versions[0].id, MUSTER, subject_of(luc), 2**40)),
        # signed for luc in Lumière's name, but the document is Muster's
        (luc, DownloadGrant(muster.id, muster.versions[0].id, LUMIERE, subject_of(luc), 2**40)),
        # signed for beat, who may not read the financial audience
        (beat, DownloadGrant(seeded(sandbox, financial["title"]).id,
                             seeded(sandbox, financial["title"]).versions[0].id, MUSTER,
                             subject_of(beat), 2**40)),
    ]  # fmt: skip
    for token, grant in forged:
        response = await fetch(signer.url(grant), token)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), grant
