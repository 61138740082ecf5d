"""The DMS adapter's writes against a sandbox DMS of this module's own (they change its seed):
a new document and its versions, the DMS's refusals as `UpstreamRefused`, and writes that are
sent exactly once, even when the DMS fails."""

import io
from collections.abc import AsyncIterator, Iterator

import pytest

from connectors.base.errors import UpstreamRefused, UpstreamRejected, UpstreamUnavailable
from connectors.base.records import CaseRef, FileContent, NewDocument, NewVersion
from connectors.dms import DmsAdapter
from sandbox.dms.writes import EICAR, DmsLimits
from sandbox.model import Seed
from sandbox.seed import MUSTER
from tests.rest_fixtures import SandboxControl, controlled, dms_adapter_on, dms_app, pinned_seed
from tests.servers import serve_in_thread

CREATE, ADD = "POST /api/documents", "POST /api/documents/{document_id}/versions"
LIMIT = 4096
PDF = b"%PDF-1.7\n" + b"x" * 100


@pytest.fixture(scope="module")
def writable_seed() -> Seed:
    return pinned_seed()


@pytest.fixture(scope="module")
def writable_url(writable_seed: Seed) -> Iterator[str]:
    with serve_in_thread(dms_app(writable_seed, DmsLimits(max_bytes=LIMIT))) as url:
        yield url


@pytest.fixture
async def control(writable_url: str) -> AsyncIterator[SandboxControl]:
    async with controlled(writable_url) as found:
        yield found


@pytest.fixture
async def adapter(writable_url: str) -> AsyncIterator[DmsAdapter]:
    made = dms_adapter_on(writable_url)
    yield made
    await made.aclose()


def file(
    content: bytes, name: str = "plan.pdf", media_type: str = "application/pdf"
) -> FileContent:
    return FileContent(name, media_type, len(content), io.BytesIO(content))


def new_document(content: bytes = PDF, **changes: object) -> NewDocument:
    values: dict[str, object] = {
        "customer": MUSTER, "title": "Plan", "document_type": "TECHNICAL",
        "audience": "TECHNICAL", "subjects": (CaseRef("ORDER", "10000002"),),
        "created_by": "Beat Frei", "file": file(content),
    }  # fmt: skip
    return NewDocument(**{**values, **changes})  # type: ignore[arg-type]


def state(seed: Seed) -> list[tuple[str, int]]:
    return [(document.id, len(document.versions)) for document in seed.documents]


async def test_a_new_document_and_its_versions(
    adapter: DmsAdapter, control: SandboxControl, writable_seed: Seed
) -> None:
    created = await adapter.create_document(new_document())

    assert (created.customer, created.title, created.uploaded_by) == (MUSTER, "Plan", "CUSTOMER")
    assert created.subjects == (CaseRef("ORDER", "10000002"),)
    assert created.latest_version.version_label == "1.0"
    labels = []
    for major, content in ((False, PDF + b"1"), (True, PDF + b"2"), (False, PDF + b"3")):
        version = NewVersion(created.id, major, "change", "Beat Frei", file(content))
        updated = await adapter.add_version(version)
        assert updated is not None
        labels.append(updated.latest_version.version_label)
    assert labels == ["1.1", "2.0", "2.1"]
    stored = next(d for d in writable_seed.documents if d.id == created.id)
    assert [v.content for v in stored.versions] == [PDF, PDF + b"1", PDF + b"2", PDF + b"3"]
    assert await control.requests() == {CREATE: 1, ADD: 3}


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (file(b"%PDF-" + bytes(LIMIT)), "FILE_TOO_LARGE"),
        (file(b"MZ", "setup.exe", "application/x-msdownload"), "CONTENT_TYPE_NOT_ALLOWED"),
        (file(EICAR, "notes.txt", "text/plain"), "VIRUS_DETECTED"),
    ],
)
async def test_refused_files_store_nothing(
    adapter: DmsAdapter, writable_seed: Seed, upload: FileContent, reason: str
) -> None:
    before = state(writable_seed)
    known = writable_seed.documents[0].id

    with pytest.raises(UpstreamRefused) as refused:
        await adapter.create_document(new_document(file=upload))
    with pytest.raises(UpstreamRefused) as refused_version:
        await adapter.add_version(NewVersion(known, False, None, "Beat Frei", upload))

    for answer in (refused.value, refused_version.value):
        [refusal] = answer.refusals
        assert (refusal.field, refusal.code) == ("upload", reason)
        assert refusal.message
    assert state(writable_seed) == before


async def test_a_version_of_an_unknown_document_is_none(adapter: DmsAdapter) -> None:
    assert await adapter.add_version(NewVersion("nope", False, None, "Beat", file(PDF))) is None


async def test_malformed_fields_are_rejected(adapter: DmsAdapter, writable_seed: Seed) -> None:
    before = state(writable_seed)
    with pytest.raises(UpstreamRejected) as rejected:
        await adapter.create_document(new_document(customer="9999999999"))
    assert not isinstance(rejected.value, UpstreamRefused)
    assert state(writable_seed) == before


async def test_writes_are_sent_once_even_when_the_dms_fails(
    adapter: DmsAdapter, control: SandboxControl, writable_seed: Seed
) -> None:
    before = state(writable_seed)
    await control.set_faults(mode="down")

    with pytest.raises(UpstreamUnavailable):
        await adapter.create_document(new_document())
    with pytest.raises(UpstreamUnavailable):
        await adapter.add_version(NewVersion(before[0][0], False, None, "Beat", file(PDF)))
    with pytest.raises(UpstreamUnavailable):
        await adapter.get_documents([before[0][0]])  # a read is retried

    assert await control.requests() == {CREATE: 1, ADD: 1, "GET /api/documents": 2}
    assert state(writable_seed) == before
