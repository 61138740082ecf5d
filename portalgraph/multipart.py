"""Reading a GraphQL multipart request's form: Starlette's streaming parser (python-multipart),
file parts spooled (in memory up to 1 MB, then in an anonymous temporary file), with two
fixes for uploads: a body that ends before its closing boundary (a truncated upload) is
refused rather than read as the parts that happened to arrive, and every spooled file is
closed however parsing ends.
"""

from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

MAX_FILES = 10
MAX_FIELDS = 20
MAX_FIELD_BYTES = 1024 * 1024
"""The largest non-file part (`operations`, `map`)."""


class CompleteMultiPartParser(MultiPartParser):
    """Refuses a body without its closing boundary; Starlette would keep the parts before it
    and leave the unfinished file open."""

    ended = False

    def on_end(self) -> None:
        self.ended = True

    async def parse(self) -> FormData:
        form = await super().parse()
        if not self.ended:
            for file in self._files_to_close_on_error:  # every file it opened
                file.close()
            raise MultiPartException("the body ends before its closing boundary")
        return form


async def read_form(request: Request) -> FormData:
    """The request's multipart form; `MultiPartException` for a malformed or truncated body.
    The caller closes the form's files (`FormData.close`)."""
    parser = CompleteMultiPartParser(
        request.headers,
        request.stream(),
        max_files=MAX_FILES,
        max_fields=MAX_FIELDS,
        max_part_size=MAX_FIELD_BYTES,
    )
    return await parser.parse()
