"""An export's ZIP archive, written while it is sent: the JSON document, then each document
version's content streamed from the DMS chunk by chunk, so that no file is ever whole in
memory. A version the DMS no longer has (deleted since the export) is left out.

`zipfile` writes to any object with `write`, `flush` and `close`: with no `tell`, it marks each
entry's sizes in a data descriptor after its content, as a stream must.
"""

import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager

from connectors.base.records import DownloadedContent
from resolvers.personal_export import ArchivedFile

DOCUMENT_NAME = "personal-data.json"
Open = Callable[[ArchivedFile], AbstractAsyncContextManager[DownloadedContent | None]]


class _Pending:
    """Collects what `zipfile` writes until it is sent."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered beyond the chunks."""

    def close(self) -> None:
        """Nothing to release."""

    def take(self) -> bytes:
        taken = b"".join(self._chunks)
        self._chunks.clear()
        return taken


async def archive(
    exported: bytes, files: Sequence[ArchivedFile], open_file: Open
) -> AsyncIterator[bytes]:
    pending = _Pending()
    with zipfile.ZipFile(pending, "w", compression=zipfile.ZIP_DEFLATED) as written:
        written.writestr(DOCUMENT_NAME, exported)
        yield pending.take()
        for file in files:
            async with open_file(file) as content:
                if content is None:
                    continue
                with written.open(file.path, "w", force_zip64=True) as entry:
                    async for chunk in content.chunks:
                        entry.write(chunk)
                        yield pending.take()
            yield pending.take()
    yield pending.take()
