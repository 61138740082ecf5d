# mypy: allow-untyped-calls
# zeep ships py.typed but leaves most functions unannotated; its schema objects are walked here.
"""Writes SOAP requests without zeep's serializer: a writer per operation, compiled once from
zeep's parsed WSDL, renders the request envelope straight to the bytes zeep sends for the same
arguments (the same elements, namespace prefixes, order and texts), at a fraction of the CPU
(bench/README.md, "Where the CPU goes").

zeep builds a CompoundValue from the arguments, walks the generic schema objects to render an
lxml tree, and serializes it; the compiled plan is a tuple of the body element's children
(their start and end tags as text, required?, repeated?, a writer of the value) per complex
type, and one text function per simple type. The writer only writes arguments it renders
exactly as zeep does: plain str, int, Decimal, bool and date values, dicts for records and
lists for repeated elements, None for an absent optional element. Anything else (another
value type, a required element missing, an unknown argument, a string an XML document cannot
hold) raises `Unwritable`, and the caller lets zeep build that request, with the request or
the error it gives today. Operations whose request uses schema features the compiler does not
know (SOAP headers, choices, attributes, defaults, nillable or bounded elements, more than one
namespace, other simple types, SOAP 1.2) get no writer at all and stay with zeep.

Texts are escaped as libxml2 escapes them (`&`, `<`, `>` and carriage returns), so that the
bytes equal zeep's, not only the XML they stand for.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from zeep.wsdl.bindings.soap import Soap11Binding
from zeep.xsd.elements import Element
from zeep.xsd.types import builtins
from zeep.xsd.types.simple import AnySimpleType

from connectors.base.soap_reader import NotCompilable, RecordCompiler, body_element

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PREFIX = "ns0"
"""The prefix lxml gives the body element's namespace in zeep's envelope (the first one it
has to declare)."""
_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
_ENVELOPE_START = f'<soap-env:Envelope xmlns:soap-env="{SOAP11_ENV}"><soap-env:Body>'
_ENVELOPE_END = "</soap-env:Body></soap-env:Envelope>"


class Unwritable(Exception):
    """The arguments are not ones the writer renders exactly as zeep does: zeep renders them."""


# -- simple types: zeep's `xmlvalue` for the Python types known here, else Unwritable ------

_NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters an XML 1.0 document cannot hold (lxml refuses them, or writes what no parser
reads back); a string with one is left to zeep."""


def _string(value: object) -> str:
    if type(value) is not str:
        raise Unwritable(f"a {type(value).__name__} for a string")
    if value.isalnum():  # letters and digits (keys, codes): nothing to escape
        return value
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not value.isprintable():  # printable text holds no control characters, nor surrogates
        if _NOT_IN_XML.search(value) is not None:
            raise Unwritable("a string an XML document cannot hold")
        text = text.replace("\r", "&#13;")
    return text


def _integer(value: object) -> str:
    if type(value) is not int:  # exact: a bool is no int
        raise Unwritable(f"a {type(value).__name__} for an integer")
    return str(value)


def _decimal(value: object) -> str:
    if type(value) is not Decimal:
        raise Unwritable(f"a {type(value).__name__} for a decimal")
    return f"{value:f}"


def _boolean(value: object) -> str:
    if type(value) is not bool:
        raise Unwritable(f"a {type(value).__name__} for a boolean")
    return "true" if value else "false"


def _date(value: object) -> str:
    if type(value) is not date:  # exact: zeep writes a datetime's date only
        raise Unwritable(f"a {type(value).__name__} for a date")
    # zeep's strftime("%Y-%m-%d"), which does not pad a year before 1000 to four digits
    return value.isoformat() if value.year >= 1000 else value.strftime("%Y-%m-%d")


Text = Callable[[object], str]
_TEXTS: Mapping[object, Text] = {
    builtins.String.xmlvalue: _string,
    builtins.Integer.xmlvalue: _integer,  # and Long, Int and restrictions of them
    builtins.Decimal.xmlvalue: _decimal,
    builtins.Boolean.xmlvalue: _boolean,
    builtins.Date.xmlvalue: _date,
}
"""zeep's `xmlvalue` -> the same text for the value types it is usually given."""


# -- complex types ------------------------------------------------------------------------

Child = tuple[str, str, str, str, Text | None, "Record | None", bool, bool]
"""A child element of a record: (key, start tag, end tag, empty element, text function of a
simple child, record of a complex child, required?, repeated?)."""


class Record:
    """A complex type with a plain sequence of elements, written from a dict in sequence order:
    None (or no key) omits an optional element; a repeated element takes a list."""

    def __init__(self) -> None:
        self._children: tuple[Child, ...] = ()
        self._keys: frozenset[str] = frozenset()

    def define(self, children: list[Child]) -> None:
        """`children` in sequence order (set apart from the constructor, so that a type can
        contain itself)."""
        self._children = tuple(children)
        self._keys = frozenset(child[0] for child in children)

    def write(self, values: Mapping[str, object], out: list[str]) -> None:
        """Append the elements of `values` to `out`."""
        if not self._keys.issuperset(values):
            raise Unwritable(f"unknown elements {sorted(set(values) - self._keys)}")
        for key, start, end, empty, text, record, required, repeated in self._children:
            value = values.get(key)
            if value is None:
                if required:
                    raise Unwritable(f"{key} is missing")  # zeep's ValidationError
                continue
            if not repeated:
                items: Iterable[object] = (value,)
            elif type(value) is not list or (required and not value):
                raise Unwritable(f"{key}: not a list of at least {int(required)}")
            else:
                items = value
            if text is not None:
                for item in items:
                    out += (start, text(item), end)
                continue
            for item in items:
                if type(item) is not dict:
                    raise Unwritable(f"a {type(item).__name__} for a record")
                mark = len(out)
                out.append(start)
                record.write(item, out)  # type: ignore[union-attr]  # a complex child's
                if len(out) == mark + 1:
                    out[mark] = empty  # as lxml writes an element without content
                else:
                    out.append(end)


class _Compiler(RecordCompiler[Record]):
    """The writer's records, for elements of one namespace (the body element's: written with
    one prefix, declared once)."""

    def __init__(self, namespace: str) -> None:
        super().__init__(Record)
        self._namespace = namespace

    def _child(self, key: str, element: Any) -> Child:
        if element.nillable:  # zeep writes xsi:nil="true" for a None
            raise NotCompilable(f"{key}: nillable")
        if element.qname.namespace != self._namespace:
            raise NotCompilable(f"{key}: in another namespace")
        xsd_type = element.type
        text = record = None
        if isinstance(xsd_type, AnySimpleType):
            kind = type(xsd_type)
            text = _TEXTS.get(kind.xmlvalue)
            if text is None or kind.render is not AnySimpleType.render:
                raise NotCompilable(f"{key}: a simple type without a text function")
        else:
            record = self.record(xsd_type)
        tag = f"{PREFIX}:{element.qname.localname}"
        required = element.min_occurs == 1
        return (
            key,
            f"<{tag}>",
            f"</{tag}>",
            f"<{tag}/>",
            text,
            record,
            required,
            element.max_occurs != 1,
        )


class RequestWriter:
    """Writes one operation's request: the HTTP body and headers zeep would send."""

    def __init__(self, tag: str, namespace: str, record: Record, headers: dict[str, str]) -> None:
        self.headers = headers
        """SOAPAction and Content-Type, as zeep sets them (shared by every call: not changed)."""
        opening = f'{_DECLARATION}{_ENVELOPE_START}<{PREFIX}:{tag} xmlns:{PREFIX}="{namespace}"'
        self._start = opening + ">"
        self._end = f"</{PREFIX}:{tag}>{_ENVELOPE_END}"
        self._empty = f"{opening}/>{_ENVELOPE_END}".encode()
        self._record = record

    def write(self, params: Mapping[str, object]) -> bytes:
        """The request envelope for the operation's arguments; Unwritable if they are not ones
        it writes exactly as zeep does."""
        out = [self._start]
        self._record.write(params, out)
        if len(out) == 1:
            return self._empty
        out.append(self._end)
        return "".join(out).encode()


def compile_writer(operation: Any) -> RequestWriter:
    """The writer of a SOAP 1.1 binding's operation (`binding.get(name)`)."""
    message = operation.input
    element = body_element(message, "request")
    if message.wsdl.types._prefix_map_custom:
        raise NotCompilable("custom namespace prefixes, declared on zeep's envelope")
    if type(element) is not Element or element.nillable:
        raise NotCompilable("not a plain body element")
    namespace = element.qname.namespace
    if not namespace:
        raise NotCompilable("a body element without a namespace")
    record = _Compiler(namespace).record(element.type)
    action = operation.soapaction
    headers = {  # zeep's DocumentMessage.serialize and Soap11Binding._set_http_headers
        "SOAPAction": f'"{action}"' if action else '""',
        "Content-Type": "text/xml; charset=utf-8",
    }
    return RequestWriter(element.qname.localname, namespace, record, headers)


def compile_writers(binding: Any) -> dict[str, RequestWriter]:
    """A writer for each operation of a zeep binding whose request the compiler knows."""
    if type(binding) is not Soap11Binding:
        return {}
    writers = {}
    for name, operation in binding.all().items():
        try:
            writers[name] = compile_writer(operation)
        except NotCompilable:
            continue
    return writers
