# mypy: allow-untyped-calls
# zeep ships py.typed but leaves most functions unannotated; its schema objects are walked here.
"""Decodes SOAP answers without zeep's deserializer: a reader per operation, compiled once from
zeep's parsed WSDL, turns an answer into exactly the plain data `SoapService.call` got from
zeep (`plain(result)`), at a fraction of the CPU (bench/README.md, "Where the CPU goes").

zeep's deserializer walks generic schema objects per element (a deque, QName objects, a
CompoundValue per record, isodate's regular expressions per date); the compiled plan is a
dictionary per complex type (child tag -> position, key, reader, repeated?) and one converter
per simple type. The reader only answers what it decodes exactly as zeep would: anything else
(a SOAP fault, a DOCTYPE, any attribute such as xsi:nil or xsi:type, an unknown or misplaced
element, a missing required element, a value in a lexical form it does not know or cannot
convert) raises `Unrecognised`, and the caller lets zeep decode that answer, with the errors and
the None values it gives today. Operations whose answer uses schema features the compiler
does not know (choices, attributes, defaults, bounded repeats, other simple types) get no
reader at all and stay with zeep.

Parsing: lxml without entity resolution, network access or huge trees (and comments dropped,
as zeep's parser drops them, so that texts read the same).
"""

import re
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from lxml import etree
from zeep.wsdl.messages.soap import DocumentMessage
from zeep.xsd.elements import Element
from zeep.xsd.elements.indicators import Sequence
from zeep.xsd.types import builtins
from zeep.xsd.types.complex import ComplexType
from zeep.xsd.types.simple import AnySimpleType

SOAP_ENVELOPE = "{http://schemas.xmlsoap.org/soap/envelope/}Envelope"
SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"


class Unrecognised(Exception):
    """The answer is not one the reader decodes exactly as zeep does: zeep decodes it."""


class NotCompilable(Exception):
    """The operation's answer (or request, `soap_writer`) uses a schema feature the compiler
    does not know."""


# -- simple types: zeep's conversion for the lexical forms known here, else Unrecognised --

_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?")
_ZONES: dict[str, tzinfo] = {}


def _boolean(text: str) -> bool:
    """zeep: `text in ("true", "1")` after collapsing whitespace; any other text is left to it."""
    return _BOOLEANS[text]


def _date(text: str) -> date:
    """Only the canonical form (YYYY-MM-DD), which isodate reads as the standard library."""
    if _DATE.fullmatch(text) is None:
        raise Unrecognised(f"date {text!r}")
    return date.fromisoformat(text)


def _zone(designator: str) -> tzinfo:
    """The tzinfo zeep (isodate) gives a time with this designator ("Z", "+01:00"): the very
    same class (isodate's UTC or FixedOffset) and offset. Kept per designator (only the few
    thousand isodate reads exist)."""
    zone = _ZONES.get(designator)
    if zone is None:
        parsed = builtins.DateTime().pythonvalue("2000-01-01T00:00:00" + designator)
        zone = _ZONES[designator] = parsed.tzinfo
        if zone is None:
            raise Unrecognised(f"time zone {designator!r}")
    return zone


def _datetime(text: str) -> datetime:
    """The date and time in canonical form (YYYY-MM-DDTHH:MM:SS, up to six digits of
    fraction), which isodate reads as the standard library does; the time zone designator after
    it as isodate reads it."""
    match = _DATETIME.match(text)
    if match is None:
        raise Unrecognised(f"dateTime {text!r}")
    end = match.end()
    if end == len(text):
        return datetime.fromisoformat(text)
    local = datetime.fromisoformat(text[:end])
    return datetime.combine(local.date(), local.time(), _zone(text[end:]))


_CONVERTERS: Mapping[object, Callable[[str], object] | None] = {
    builtins.String.pythonvalue: None,
    builtins.Boolean.pythonvalue: _boolean,
    builtins.Decimal.pythonvalue: Decimal,
    builtins.Integer.pythonvalue: int,
    builtins.Long.pythonvalue: int,
    builtins.Date.pythonvalue: _date,
    builtins.DateTime.pythonvalue: _datetime,
}
"""zeep's `pythonvalue` -> the same conversion (None: the text itself). Decimal and int are
zeep's own functions (zeep's whitespace collapsing before Decimal changes nothing Decimal does
not ignore itself); the others accept only the canonical forms and leave the rest to zeep."""


# -- complex types ------------------------------------------------------------------------


Child = tuple[str, str, Callable[[Any], object] | None, bool, bool, bool]
"""A child element of a record: (key, tag, read, simple?, repeated?, required?). A simple
child's `read` converts its text (None: the text itself), a complex child's reads the element."""


class Record:
    """A complex type with a plain sequence of elements, read into a dict with zeep's keys in
    zeep's order: absent optional elements None, absent repeated ones []."""

    def __init__(self) -> None:
        self.names: tuple[str, ...] = ()
        self._repeated: tuple[str, ...] = ()
        self._by_tag: dict[str, tuple[int, str, Callable[[Any], object] | None, bool, bool]] = {}
        self._next_required: tuple[int, ...] = ()

    def define(self, children: list[Child]) -> None:
        """`children` in sequence order (set apart from the constructor, so that a type can
        contain itself)."""
        self.names = tuple(child[0] for child in children)
        self._repeated = tuple(child[0] for child in children if child[4])
        self._by_tag = {
            tag: (index, key, read, simple, repeated)
            for index, (key, tag, read, simple, repeated, _) in enumerate(children)
        }
        # the first required element at or after each position (len(children) when none)
        after = [len(children)] * (len(children) + 1)
        for index in range(len(children) - 1, -1, -1):
            after[index] = index if children[index][5] else after[index + 1]
        self._next_required = tuple(after)

    def fields(self, element: Any) -> dict[str, Any]:
        """The element's children, in sequence order: each at most once unless repeated (and
        then contiguous), no required one skipped. zeep raises for anything else in strict mode,
        or reads it leniently (a required element missing at the end): Unrecognised."""
        values: dict[str, Any] = dict.fromkeys(self.names)
        for key in self._repeated:
            values[key] = []
        by_tag = self._by_tag
        next_required = self._next_required
        position = 0
        for child in element:
            entry = by_tag.get(child.tag)
            if entry is None:
                raise Unrecognised(f"unexpected element {child.tag!r}")
            index, key, read, simple, repeated = entry
            if index < position:
                if not repeated or index != position - 1:
                    raise Unrecognised(f"misplaced element {child.tag!r}")
            elif next_required[position] < index:
                raise Unrecognised(f"{child.tag!r} before a required element")
            if simple:
                value = child.text
                if read is not None and value is not None:
                    value = read(value)
            else:
                value = read(child)  # type: ignore[misc]  # complex children have a reader
            if repeated:
                values[key].append(value)
            else:
                values[key] = value
            position = index + 1
        if next_required[position] < len(self.names):
            raise Unrecognised(f"{element.tag!r} lacks a required element")
        return values

    def read(self, element: Any) -> dict[str, Any] | None:
        """A child record: None when it has no children (as zeep reads `<Line/>`)."""
        return self.fields(element) if len(element) else None


def plain_sequence(xsd_type: Any) -> list[tuple[str, Any]]:
    """The (key, element) pairs of a complex type that is one plain sequence of plain elements
    (no attributes, choices, SOAP-encoded arrays, defaults, bounded repeats): what the compilers
    here and in `soap_writer` know."""
    if not isinstance(xsd_type, ComplexType) or xsd_type.attributes:
        raise NotCompilable(f"{xsd_type!r}: attributes or not a complex type")
    if getattr(xsd_type, "_array_type", None) is not None:
        raise NotCompilable(f"{xsd_type!r}: a SOAP-encoded array")
    nested = xsd_type.elements_nested
    if len(nested) != 1 or type(nested[0][1]) is not Sequence:
        raise NotCompilable(f"{xsd_type!r}: not one plain sequence")
    sequence = nested[0][1]
    if sequence.accepts_multiple or sequence.min_occurs != 1:
        raise NotCompilable(f"{xsd_type!r}: a repeated or optional sequence")
    elements: list[tuple[str, Any]] = sequence.elements
    for key, element in elements:
        if type(element) is not Element or element.default is not None:
            raise NotCompilable(f"{key}: not a plain element")
        if element.max_occurs not in (1, "unbounded") or element.min_occurs not in (0, 1):
            raise NotCompilable(f"{key}: occurs {element.min_occurs}..{element.max_occurs}")
    return elements


class Definable(Protocol):
    def define(self, children: list[Any]) -> None: ...


RecordT = TypeVar("RecordT", bound=Definable)


class RecordCompiler(Generic[RecordT]):
    """Builds the records of a schema's complex types, once per type: a record is filed before
    its children are compiled, so that a type can contain itself. `_child` compiles one
    element of a plain sequence (the reader's and `soap_writer`'s children differ)."""

    def __init__(self, new_record: Callable[[], RecordT]) -> None:
        self._new_record = new_record
        self._records: dict[int, RecordT] = {}

    def record(self, xsd_type: Any) -> RecordT:
        known = self._records.get(id(xsd_type))
        if known is not None:
            return known
        elements = plain_sequence(xsd_type)
        record = self._records[id(xsd_type)] = self._new_record()
        record.define([self._child(key, element) for key, element in elements])
        return record

    def _child(self, key: str, element: Any) -> Any:
        raise NotImplementedError


class _Compiler(RecordCompiler[Record]):
    """The reader's records."""

    def __init__(self) -> None:
        super().__init__(Record)

    def _child(self, key: str, element: Any) -> Child:
        xsd_type = element.type
        simple = isinstance(xsd_type, AnySimpleType)
        if simple:
            kind = type(xsd_type)
            if (
                kind.pythonvalue not in _CONVERTERS
                or kind.parse_xmlelement is not AnySimpleType.parse_xmlelement
            ):
                raise NotCompilable(f"{key}: a simple type without a converter")
            read = _CONVERTERS[kind.pythonvalue]
        else:
            read = self.record(xsd_type).read
        tag = element.qname.text
        return key, tag, read, simple, element.max_occurs != 1, element.min_occurs == 1


class AnswerReader:
    """Reads one operation's answer (the HTTP body of a 200) into zeep's plain result."""

    _local = threading.local()

    def __init__(self, tag: str, record: Record, single: str | None, inner: str | None) -> None:
        self._tag = tag
        self._record = record
        self._single = single
        self._inner = inner

    @classmethod
    def _tools(cls) -> tuple[etree.XMLParser, etree.XPath]:
        """This thread's parser and attribute finder (lxml's must not be shared by threads)."""
        tools: tuple[etree.XMLParser, etree.XPath] | None = getattr(cls._local, "tools", None)
        if tools is None:
            parser = etree.XMLParser(
                remove_comments=True, resolve_entities=False, no_network=True, huge_tree=False
            )
            tools = cls._local.tools = (parser, etree.XPath("boolean(//@*)"))
        return tools

    def read(self, content: bytes) -> object:
        parser, any_attribute = self._tools()
        try:
            root = etree.fromstring(content, parser)
        except etree.XMLSyntaxError as error:
            raise Unrecognised("not XML") from error
        docinfo: Any = root.getroottree().docinfo  # lxml-stubs lack `doctype`
        if docinfo.doctype or any_attribute(root):
            raise Unrecognised("a DOCTYPE or attributes")
        if root.tag != SOAP_ENVELOPE or len(root) != 1:
            raise Unrecognised("not an envelope with only a body")
        body = root[0]
        if body.tag != SOAP_BODY or len(body) != 1 or body[0].tag != self._tag:
            raise Unrecognised("not the answer expected")
        try:
            values = self._record.fields(body[0])
        except (ValueError, ArithmeticError, TypeError, KeyError) as error:
            raise Unrecognised(f"a value zeep converts otherwise: {error!r}") from error
        return self._unwrap(values)

    def _unwrap(self, values: dict[str, object]) -> object:
        """zeep's `DocumentMessage.deserialize`: an answer of one element is that element's
        value, and a record of one element (no attributes) within it that element's value."""
        if self._single is None:
            return values
        value = values[self._single]
        if self._inner is not None and isinstance(value, dict):
            return value[self._inner]
        return value


def body_element(message: Any, side: str) -> Any:
    """The body element of a message of the one shape the compilers know: document/literal,
    one part, no SOAP headers; `side` (request, answer) names the message in a refusal."""
    if type(message) is not DocumentMessage or message._is_body_wrapped:
        raise NotCompilable("not a document/literal message with one part")
    # zeep's few annotations have its header and body Optional; both are set by now
    header: Any = message.header
    if header.type._element:
        raise NotCompilable(f"SOAP headers in the {side}")
    return message.body


def compile_reader(message: Any) -> AnswerReader:
    """The reader of an operation's output message (`binding.get(name).output`)."""
    element = body_element(message, "answer")
    compiler = _Compiler()
    record = compiler.record(element.type)
    single = inner = None
    if len(record.names) == 1:
        [single] = record.names
        [(_, child)] = element.type.elements
        if isinstance(child.type, ComplexType) and child.max_occurs == 1:
            child_record = compiler.record(child.type)
            if len(child_record.names) == 1:
                [inner] = child_record.names
    return AnswerReader(element.qname.text, record, single, inner)


def compile_readers(binding: Any) -> dict[str, AnswerReader]:
    """A reader for each operation of a zeep binding whose answer the compiler knows."""
    readers = {}
    for name, operation in binding.all().items():
        try:
            readers[name] = compile_reader(operation.output)
        except NotCompilable:
            continue
    return readers
