"""SOAP 1.1 for the sandbox ERP: reading request envelopes, checking them against the WSDL's
schema, writing answers and faults. The WSDL file is the contract; nothing here restates it."""

import copy
from pathlib import Path

from lxml import etree
from starlette.responses import Response

WSDL_PATH = Path(__file__).with_name("erp.wsdl")
ERP_NS = "urn:portalgraph:sandbox:erp:v1"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SOAP_MEDIA_TYPE = "text/xml; charset=utf-8"


class SoapClientError(Exception):
    """The request itself is wrong (not SOAP, unknown operation, invalid against the schema);
    answered with a `soap:Client` fault."""


def qname(name: str) -> str:
    """An element name in the ERP's namespace."""
    return f"{{{ERP_NS}}}{name}"


def erp_element(name: str, text: str | None = None) -> etree._Element:
    """A new element in the ERP's namespace (prefix `erp`)."""
    created = etree.Element(qname(name), nsmap={"erp": ERP_NS})
    created.text = text
    return created


def _parser() -> etree.XMLParser:
    """A parser that never resolves entities or fetches anything (one per parse: lxml parsers
    are not safe to share between threads)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)


class ServiceDescription:
    """The WSDL as served, and the schema embedded in it that every request must satisfy."""

    def __init__(self, path: Path = WSDL_PATH) -> None:
        self._wsdl = etree.parse(str(path), _parser())
        schema = self._wsdl.find(f".//{{{XSD_NS}}}schema")
        if schema is None:
            raise ValueError(f"{path} has no embedded XML schema")
        self._schema = etree.XMLSchema(schema)

    def wsdl_for(self, endpoint: str) -> bytes:
        """The WSDL with its `soap:address` pointing at `endpoint`."""
        document = copy.deepcopy(self._wsdl)
        for address in document.iter(f"{{{WSDL_SOAP_NS}}}address"):
            address.set("location", endpoint)
        return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def validate(self, operation: etree._Element) -> None:
        try:
            self._schema.assertValid(operation)
        except etree.DocumentInvalid as error:
            raise SoapClientError(f"invalid request: {error}") from None


def operation_element(body: bytes) -> etree._Element:
    """The first element inside the envelope's Body: the operation and its parameters."""
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as error:
        raise SoapClientError(f"the request is not well-formed XML: {error}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise SoapClientError("document type declarations are not accepted")
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        raise SoapClientError("the request is not a SOAP 1.1 envelope")
    operation = root.find(f"{{{SOAP_ENV_NS}}}Body/*")
    if operation is None:
        raise SoapClientError("the SOAP body is empty")
    return operation


def _envelope(payload: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soap": SOAP_ENV_NS})
    etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body").append(payload)
    etree.cleanup_namespaces(envelope)  # drops the redundant declarations of appended parts
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def soap_response(payload: etree._Element) -> Response:
    return Response(_envelope(payload), media_type=SOAP_MEDIA_TYPE)


def fault_response(status: int, code: str, text: str) -> Response:
    """A SOAP 1.1 Fault; `code` is `Client` or `Server`."""
    fault = etree.Element(f"{{{SOAP_ENV_NS}}}Fault", nsmap={"soap": SOAP_ENV_NS})
    etree.SubElement(fault, "faultcode").text = f"soap:{code}"
    etree.SubElement(fault, "faultstring").text = text
    return Response(_envelope(fault), status_code=status, media_type=SOAP_MEDIA_TYPE)


def server_fault(status: int, text: str) -> Response:
    """The ERP's own error answer, used by fault injection: a `soap:Server` fault."""
    return fault_response(status, "Server", text)
