# mypy: allow-untyped-calls
# zeep ships py.typed but leaves most functions unannotated; this module is where it is wrapped.
"""SOAP clients for upstream systems: zeep's AsyncClient over the system's pooled httpx client,
with the WSDL shipped in the code (parsed once per process, never fetched), and the one place
that sorts SOAP failures into the upstream error tree.

zeep is untyped; its objects stay in here: `SoapService.call` answers plain Python data
(`zeep.helpers.serialize_object`), which the adapters' mapping modules check and convert.
Requests are written by writers compiled from the WSDL (`soap_writer`) and sent straight on
aiohttp (`connectors.base.direct`) when the client can, else through zeep's transport, or built
by zeep whenever a writer does not take the arguments (any shape it does
not render exactly as zeep would); the answers are read by readers compiled from the WSDL
(`soap_reader`), and by zeep whenever a reader does not recognise one (faults, errors, any
shape it does not decode exactly as zeep would).
"""

import functools
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn, Self, TypeVar

import httpx
from lxml import etree
from requests import Response
from requests_toolbelt.multipart.decoder import (
    ImproperBodyPartContentException,
    NonMultipartContentTypeException,
)
from zeep import AsyncClient, Settings
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError, ValidationError
from zeep.helpers import serialize_object
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport, Transport
from zeep.utils import get_media_type
from zeep.wsdl import Document

from connectors.base.answer import Answer
from connectors.base.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRejected,
    UpstreamUnavailable,
)
from connectors.base.http import UpstreamClient, classify_transport_error
from connectors.base.observed import soap_operation
from connectors.base.records import System
from connectors.base.soap_reader import AnswerReader, Unrecognised, compile_readers
from connectors.base.soap_writer import RequestWriter, Unwritable, compile_writers

T = TypeVar("T")

_SETTINGS = Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True)
_RAW_SETTINGS = Settings(
    strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True, raw_response=True
)
"""The clients': zeep sends and answers the HTTP response, read by `SoapService._answer`."""
_MISREAD = (
    LookupError,
    TypeError,
    AttributeError,
    ImproperBodyPartContentException,
    NonMultipartContentTypeException,
)
"""What zeep's reply processing lets escape for some garbage: an envelope without a Body or
with an empty one (IndexError, TypeError), a multipart answer without a boundary, parts or
part headers (AttributeError, IndexError, requests_toolbelt's errors)."""
_CLIENT_FAULTS = frozenset({"Client", "Sender", "VersionMismatch", "MustUnderstand"})
"""SOAP 1.1 (and 1.2) fault codes that blame the request; any other fault blames the server."""


@functools.cache
def load_wsdl(path: Path) -> Any:
    """The parsed WSDL (a `zeep.wsdl.Document`); it must be self-contained."""
    transport = Transport()  # reads the local file; remote imports are forbidden
    try:
        # zeep annotates `transport` as a class, but uses (and needs) an instance
        return Document(str(path), transport, settings=_SETTINGS)  # type: ignore[arg-type]
    finally:
        transport.session.close()


@functools.cache
def answer_readers(path: Path, binding: str) -> dict[str, AnswerReader]:
    """The compiled answer readers of `binding`'s operations in the WSDL at `path`."""
    return compile_readers(load_wsdl(path).bindings[binding])


@functools.cache
def request_writers(path: Path, binding: str) -> dict[str, RequestWriter]:
    """The compiled request writers of `binding`'s operations in the WSDL at `path`."""
    return compile_writers(load_wsdl(path).bindings[binding])


class _NoDocumentFetching:
    """Stands in for zeep's synchronous WSDL client: the WSDL comes pre-parsed, so a fetch at
    run time would be a bug (and a blocking call on the event loop)."""

    headers: dict[str, str]

    def get(self, url: str) -> NoReturn:
        raise RuntimeError(f"zeep tried to fetch {url}; SOAP services use their shipped WSDL")


def plain(value: Any) -> object:
    """A zeep value as plain data: dicts, lists and the XSD types' Python values."""
    return serialize_object(value, dict)


def fault_error(system: System, fault: Fault) -> UpstreamError:
    code = str(fault.code or "")
    detail = f"SOAP fault {code}: {fault.message}"
    # "soap:Client.Authentication" -> "Client"
    if code.rpartition(":")[2].partition(".")[0] in _CLIENT_FAULTS:
        return UpstreamRejected(system, detail)
    return UpstreamUnavailable(system, detail)


def transport_error(system: System, error: TransportError) -> UpstreamError:
    """zeep's TransportError: an HTTP error status, or an answer that is not XML at all."""
    status = int(error.status_code or 0)
    detail = f"HTTP {status}: {error.message[:200]}"
    if status == 429 or status >= 500:
        return UpstreamUnavailable(system, detail)
    if status >= 400:
        return UpstreamRejected(system, detail)
    return UpstreamBadResponse(system, f"not a SOAP answer ({detail})")


class _Transport(AsyncTransport):
    """zeep's transport, handing on an answer without its cookies: zeep's `new_response` copies
    them over (httpx parses the headers for them, about 25 µs an answer, before the answer is
    read), and neither zeep's reply processing nor the readers look at them; upstream clients
    keep none anyway (`connectors.base.http.UpstreamClient`)."""

    def new_response(self, response: httpx.Response) -> Any:
        answer = Response()
        answer._content = response.read()
        answer.status_code = response.status_code
        answer.headers = response.headers  # type: ignore[assignment]  # as zeep does: a mapping
        answer.encoding = response.encoding
        return answer


class _DirectReply:
    """An answer sent straight (`DirectRequests`) with what `SoapService._answer` and zeep's
    reply processing read from httpx's response, with the same values: the status, httpx's
    headers (a repeated header's values joined, as httpx's `get` joins them), the body, and the
    encoding httpx derives from them (read for multipart answers only)."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, answer: Answer) -> None:
        self.status_code = answer.status
        self.headers = httpx.Headers(list(answer.headers.items()))
        self.content = answer.content

    @property
    def encoding(self) -> str | None:
        return httpx.Response(self.status_code, headers=self.headers).encoding


class SoapService:
    """One SOAP endpoint of one upstream system."""

    def __init__(
        self,
        system: System,
        client: Any,
        service: Any,
        readers: dict[str, AnswerReader] | None = None,
        writers: dict[str, RequestWriter] | None = None,
    ) -> None:
        """`client` must answer raw responses (zeep's `raw_response` setting)."""
        self._system = system
        self._client = client
        self._service = service
        self._binding = service._binding
        self._address = httpx.URL(service._binding_options["address"])
        """Parsed once, not for every request the writers send (about 20 µs)."""
        self._readers = readers or {}
        self._writers = writers or {}
        http = client.transport.client
        self._http: UpstreamClient | None = http if isinstance(http, UpstreamClient) else None
        """Whose `direct` sends the written requests, when it has one."""

    @classmethod
    def create(
        cls,
        system: System,
        wsdl: Path,
        binding: str,
        address: str,
        http: httpx.AsyncClient,
        compiled_readers: bool = True,
        compiled_writers: bool = True,
    ) -> "SoapService":
        """Bind `binding` (a QName, `{namespace}Name`) of the shipped `wsdl` to `address`,
        sending over `http`, which the service then owns (`aclose` closes it). Without
        `compiled_readers`, zeep decodes every answer, without `compiled_writers` it builds
        every request (the references the readers and writers are held to)."""
        headers = http.headers.copy()
        transport = _Transport(client=http, wsdl_client=_NoDocumentFetching())
        http.headers = headers  # zeep's transport replaces the client's headers; keep ours
        client = AsyncClient(load_wsdl(wsdl), transport=transport, settings=_RAW_SETTINGS)
        # `create_service` would bind a synchronous proxy; the async one is built directly.
        service = AsyncServiceProxy(client, client.wsdl.bindings[binding], address=address)
        readers = answer_readers(wsdl, binding) if compiled_readers else {}
        writers = request_writers(wsdl, binding) if compiled_writers else {}
        return cls(system, client, service, readers, writers)

    async def call(self, operation: str, **params: object) -> object:
        """Call `operation`; its answer as plain data (lists, dicts, Decimal, date, ...).

        Upstream failures raise UpstreamError: Unavailable (server fault, 5xx, transport),
        Timeout, Rejected (client fault, 4xx) or BadResponse (not SOAP, not the declared
        shape). Parameters that do not fit the WSDL raise zeep's ValidationError: a caller bug.
        """
        system = self._system
        try:
            response = await self._send(operation, params)
            return self._answer(operation, response)
        except Fault as fault:
            raise fault_error(system, fault) from fault
        except TransportError as error:
            raise transport_error(system, error) from error
        except httpx.HTTPError as error:
            raise classify_transport_error(system, error) from error
        except ValidationError:
            raise  # the request does not fit the WSDL: a bug here, not upstream
        except (ZeepError, etree.LxmlError, ValueError, ArithmeticError) as error:
            detail = f"unreadable answer to {operation}: {type(error).__name__}: {error}"
            raise UpstreamBadResponse(system, detail[:300]) from error

    async def _send(self, operation: str, params: dict[str, object]) -> Any:
        """The answer to the operation's request, written by its compiled writer when that
        takes these arguments, else built by zeep and sent by zeep's transport over the
        service's httpx client. A written request goes straight on aiohttp when the client can
        send it so (the same request on the wire, observed under the operation its SOAPAction
        names, as `ObservedTransport` names it), else through zeep's transport. Either answer
        has every attribute `_answer` and zeep's reply processing read from the copy zeep makes
        (`_Transport.new_response`), with the same values: httpx's response itself, or
        `_DirectReply`."""
        writer = self._writers.get(operation)
        if writer is not None:
            try:
                content = writer.write(params)
            except Unwritable:
                pass
            else:
                return await self._post(content, writer.headers)
        return await self._service[operation](**params)

    async def _post(self, content: bytes, headers: dict[str, str]) -> Any:
        """A written request, straight when it can go so. An empty SOAPAction names no
        operation (`ObservedTransport` observes the request as ""; `DirectRequests` would call
        it `POST /path`), so such a request goes through zeep's transport."""
        http = self._http
        if http is not None and (direct := http.direct) is not None and not http.is_closed:
            named = soap_operation(headers["SOAPAction"])
            prepared = direct.post_to(self._address, headers, content) if named else None
            if prepared is not None:
                return _DirectReply(await direct.send(prepared, named))
        return await self._client.transport.post(self._address, content, headers)

    def _answer(self, operation: str, response: Any) -> object:
        """The answer as plain data: by the operation's compiled reader when it recognises the
        answer, else by zeep (which raises what the answer is: a fault, not XML, ...)."""
        reader = self._readers.get(operation)
        if (
            reader is not None
            and response.status_code == 200
            and get_media_type(response.headers.get("Content-Type", "text/xml"))
            != "multipart/related"
        ):
            try:
                return reader.read(response.content)
            except Unrecognised:
                pass
        binding = self._binding
        try:
            reply = binding.process_reply(self._client, binding.get(operation), response)
        except _MISREAD as error:
            multipart = get_media_type(response.headers.get("Content-Type", "text/xml"))
            what = (
                "a malformed multipart (MTOM/XOP) answer"
                if multipart == "multipart/related"
                else "no answer in the SOAP Body"
            )
            detail = f"unreadable answer to {operation}: {what} ({type(error).__name__}: {error})"
            raise UpstreamBadResponse(self._system, detail[:300]) from error
        return plain(reply)

    async def aclose(self) -> None:
        await self._client.transport.aclose()


class Fields:
    """One record of a SOAP answer (a dict from `SoapService.call`) with typed access.

    zeep has already turned the XML into the WSDL's types, but a field can still be missing or
    unparsable (zeep then gives None): that is the upstream's fault, so it raises
    UpstreamBadResponse, never a crash.
    """

    def __init__(self, system: System, raw: object, what: str) -> None:
        self.system = system
        self.what = what
        if not isinstance(raw, dict):
            raise self.bad(f"expected a record, got {type(raw).__name__}")
        self._raw: dict[str, object] = raw

    @classmethod
    def each(cls, system: System, answer: object, what: str) -> list[Self]:
        """The records of an answer that is a list of them (zeep unwraps a response element
        with a single repeated child to that list; None when there is no answer body)."""
        if answer is None:
            return []
        if not isinstance(answer, list):
            raise UpstreamBadResponse(system, f"{what}: expected a list of records")
        return [cls(system, raw, what) for raw in answer]

    def bad(self, detail: str) -> UpstreamBadResponse:
        return UpstreamBadResponse(self.system, f"{self.what}: {detail}")

    def optional(self, name: str, kind: type[T]) -> T | None:
        value = self._raw.get(name)
        if value is None:
            return None
        if type(value) is not kind:  # exact: a bool is no int, a datetime no date
            raise self.bad(f"{name} is a {type(value).__name__}, expected {kind.__name__}")
        if isinstance(value, datetime):
            offset = value.utcoffset()
            if offset is None:
                raise self.bad(f"{name} has no time zone")
            # isodate's FixedOffset → the standard library's, so records stay plain data
            return value.replace(tzinfo=timezone(offset))  # type: ignore[return-value]
        return value

    def required(self, name: str, kind: type[T]) -> T:
        value = self.optional(name, kind)
        if value is None:
            raise self.bad(f"{name} is missing or unreadable")
        return value

    def record(self, name: str) -> "Fields | None":
        """An optional child record (the quote a write answers), None when absent."""
        value = self._raw.get(name)
        return None if value is None else Fields(self.system, value, f"{self.what}.{name}")

    def records(self, name: str) -> list["Fields"]:
        """A repeated child record (an order's lines)."""
        return Fields.each(self.system, self._raw.get(name), f"{self.what}.{name}")
