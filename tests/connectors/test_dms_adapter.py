"""The DMS adapter against the sandbox DMS: batching, tombstones, versions, downloads, faults."""

import hashlib
from contextlib import aclosing

import pytest

from connectors.base.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.base.ports import ListFilter
from connectors.base.records import CaseRef, Document, System
from connectors.dms import DmsAdapter
from sandbox.model import Document as SeedDocument
from sandbox.model import Seed
from sandbox.seed import MUSTER
from tests.rest_fixtures import (
    DMS_TOKEN,
    FAST_RETRY,
    HANG_LIMITS,
    SandboxControl,
    bearer_client,
    fast_guard,
)

DOCUMENTS, VERSIONS = "GET /api/documents", "GET /api/documents/versions"
CONTENT = "GET /api/documents/{document_id}/versions/{version_id}/content"
UNKNOWN = "does-not-exist"


def live(seed: Seed) -> list[SeedDocument]:
    return [document for document in seed.documents if not document.deleted]


def assert_maps(document: Document | None, seeded: SeedDocument) -> None:
    latest = seeded.versions[-1]
    assert document is not None
    assert (document.id, document.customer, document.title) == (
        seeded.id,
        seeded.customer,
        seeded.title,
    )
    assert (document.document_type, document.audience, document.uploaded_by) == (
        seeded.doc_type.upper(),
        seeded.audience.upper(),
        seeded.uploaded_by.upper(),
    )
    assert document.tags == tuple(seeded.tags)
    assert document.subjects == tuple(CaseRef(kind.upper(), key) for kind, key in seeded.references)
    assert (document.created_at, document.updated_at) == (
        seeded.versions[0].created_at,
        latest.created_at,
    )
    version = document.latest_version
    assert (version.id, version.version_label, version.is_latest) == (latest.id, latest.label, True)
    assert version.content_hash == hashlib.sha256(latest.content).hexdigest()
    assert version.size == len(latest.content)


async def test_get_documents_maps_live_ones_and_tombstones_to_none(
    dms_adapter: DmsAdapter, dms_control: SandboxControl, rest_seed: Seed
) -> None:
    assert any(document.deleted for document in rest_seed.documents), "the seed has a tombstone"
    ids = [document.id for document in rest_seed.documents] + [UNKNOWN]

    found = await dms_adapter.get_documents(ids)

    assert found[-1] is None
    for seeded, document in zip(rest_seed.documents, found, strict=False):
        if seeded.deleted:
            assert document is None
        else:
            assert_maps(document, seeded)
    assert await dms_control.requests() == {DOCUMENTS: 1}


async def test_documents_of_reads_every_subject_in_one_request(
    dms_adapter: DmsAdapter, dms_control: SandboxControl, rest_seed: Seed
) -> None:
    references = {ref for document in live(rest_seed) for ref in document.references}
    subjects = [CaseRef(kind.upper(), key) for kind, key in sorted(references)]
    subjects.append(CaseRef("ORDER", UNKNOWN))

    found = await dms_adapter.documents_of(subjects)

    for subject, documents in zip(subjects, found, strict=True):
        expected = {
            d.id for d in live(rest_seed) if (subject.type.lower(), subject.id) in d.references
        }
        assert {document.id for document in documents} == expected
    assert await dms_control.requests() == {DOCUMENTS: 1}


async def test_list_documents_pages_through_a_customers_documents(
    dms_url: str, dms_control: SandboxControl, rest_seed: Seed
) -> None:
    page_size = 10
    expected = sorted(d.id for d in live(rest_seed) if d.customer == MUSTER)
    adapter = DmsAdapter(
        bearer_client(dms_url, DMS_TOKEN), fast_guard(System.DMS), page_size=page_size
    )

    async with aclosing(adapter):
        found = await adapter.list_documents(MUSTER, ListFilter())

    assert sorted(document.id for document in found) == expected
    assert await dms_control.requests() == {DOCUMENTS: -(-len(expected) // page_size)}


async def test_list_documents_pushes_search_and_dates_down(
    dms_adapter: DmsAdapter, rest_seed: Seed
) -> None:
    target = next(d for d in live(rest_seed) if d.customer == MUSTER and d.tags)
    day = target.versions[0].created_at.date()

    by_tag = await dms_adapter.list_documents(MUSTER, ListFilter(search=target.tags[0].upper()))
    by_day = await dms_adapter.list_documents(MUSTER, ListFilter(date_from=day, date_to=day))

    assert target.id in {document.id for document in by_tag}
    assert {document.id for document in by_day} == {
        d.id
        for d in live(rest_seed)
        if d.customer == MUSTER and d.versions[0].created_at.date() == day
    }


async def test_versions_of_lists_each_series_newest_first(
    dms_adapter: DmsAdapter, dms_control: SandboxControl, rest_seed: Seed
) -> None:
    ids = [document.id for document in rest_seed.documents] + [UNKNOWN]

    found = await dms_adapter.versions_of(ids)

    for document_id, versions in zip(ids, found, strict=True):
        seeded = next((d for d in live(rest_seed) if d.id == document_id), None)
        expected = list(reversed(seeded.versions)) if seeded else []
        assert [(v.id, v.version_label, v.is_major) for v in versions] == [
            (v.id, v.label, v.is_major) for v in expected
        ]
        assert [v.is_latest for v in versions] == [i == 0 for i in range(len(expected))]
        assert [v.content_hash for v in versions] == [
            hashlib.sha256(v.content).hexdigest() for v in expected
        ]
        assert [r.status for v in versions for r in v.renditions if r.kind == "THUMBNAIL"] == [
            v.thumbnail.upper() for v in expected
        ]
    assert await dms_control.requests() == {VERSIONS: 1}


async def test_download_returns_the_stored_bytes(
    dms_adapter: DmsAdapter, dms_control: SandboxControl, rest_seed: Seed
) -> None:
    versions = [(d, v) for d in live(rest_seed) for v in d.versions]

    for document, version in versions:
        async with dms_adapter.download(document.id, version.id) as downloaded:
            assert downloaded is not None
            content = b"".join([chunk async for chunk in downloaded.chunks])

        assert hashlib.sha256(content).digest() == hashlib.sha256(version.content).digest()
        assert (downloaded.mime_type, downloaded.filename) == (version.mime_type, version.filename)
    assert await dms_control.requests() == {CONTENT: len(versions)}


async def test_download_of_unknown_or_deleted_content_is_none(
    dms_adapter: DmsAdapter, rest_seed: Seed
) -> None:
    deleted = next(document for document in rest_seed.documents if document.deleted)
    known = live(rest_seed)[0]

    for document_id, version_id in (
        (deleted.id, deleted.versions[0].id),
        (known.id, UNKNOWN),
        (UNKNOWN, known.versions[0].id),
    ):
        async with dms_adapter.download(document_id, version_id) as downloaded:
            assert downloaded is None


async def test_no_keys_no_request(dms_adapter: DmsAdapter, dms_control: SandboxControl) -> None:
    assert await dms_adapter.get_documents([]) == []
    assert await dms_adapter.documents_of([]) == []
    assert await dms_adapter.versions_of([]) == []
    assert await dms_control.requests() == {}


@pytest.mark.parametrize(
    ("mode", "error", "attempts"),
    [
        ("down", UpstreamUnavailable, FAST_RETRY.attempts),
        ("garbage", UpstreamBadResponse, 1),
    ],
)
async def test_faults_become_upstream_errors(
    dms_adapter: DmsAdapter,
    dms_control: SandboxControl,
    rest_seed: Seed,
    mode: str,
    error: type[UpstreamError],
    attempts: int,
) -> None:
    await dms_control.set_faults(mode=mode)

    with pytest.raises(error) as raised:
        await dms_adapter.versions_of([rest_seed.documents[0].id])

    assert raised.value.system is System.DMS
    assert await dms_control.requests() == {VERSIONS: attempts}


async def test_a_download_from_a_down_dms_fails(
    dms_adapter: DmsAdapter, dms_control: SandboxControl, rest_seed: Seed
) -> None:
    document = live(rest_seed)[0]
    await dms_control.set_faults(mode="down")

    with pytest.raises(UpstreamUnavailable):
        async with dms_adapter.download(document.id, document.versions[0].id):
            pass


async def test_a_hanging_dms_times_out(dms_url: str, dms_control: SandboxControl) -> None:
    await dms_control.set_faults(mode="hang")
    adapter = DmsAdapter(bearer_client(dms_url, DMS_TOKEN, HANG_LIMITS), fast_guard(System.DMS))

    async with aclosing(adapter):
        with pytest.raises(UpstreamTimeout):
            await adapter.get_documents([UNKNOWN])


async def test_a_download_over_the_size_limit_is_refused(dms_url: str, rest_seed: Seed) -> None:
    document = live(rest_seed)[0]
    version = document.versions[0]
    client = bearer_client(dms_url, DMS_TOKEN)
    adapter = DmsAdapter(
        client, fast_guard(System.DMS), max_download_bytes=len(version.content) - 1
    )

    async with aclosing(adapter), adapter.download(document.id, version.id) as downloaded:
        assert downloaded is not None
        with pytest.raises(UpstreamBadResponse):
            async for _ in downloaded.chunks:
                pass
