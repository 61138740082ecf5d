"""The files behind derived links (`resolvers.derived_files`): `portalgraph.files` has checked
the link and its user; each handler checks that the user, acting for the link's organization,
may still read the subject, reads the subject again through fresh loaders (the cache, then the
upstream), checks that it still belongs to the organization, and answers the file, 404 for
anything else, 503 when its system is down."""

from collections.abc import Callable

from starlette.responses import JSONResponse, Response

from auth.policy import Permission, may_read_document, permissions_of
from auth.principal import Principal
from connectors.base import records as r
from connectors.base.errors import UpstreamError
from portalgraph.files import (
    DerivedFile,
    file_response,
    not_found,
    streamed,
    upstream_unavailable,
)
from portalgraph.view import RequestServices
from resolvers import qr_bill_files, qr_bills, renditions
from resolvers.derived_files import DerivedGrant
from resolvers.labels import LANGUAGES


def qr_bill_file(services: Callable[[], RequestServices]) -> DerivedFile:
    """`pdf.de`: the invoice's QR-bill as PDF, in German; 422 when its data is invalid."""

    async def serve(grant: DerivedGrant, principal: Principal) -> Response:
        extension, _, language = grant.variant.partition(".")
        if (
            extension not in qr_bill_files.FORMATS
            or language not in LANGUAGES
            or Permission.INVOICES_READ not in permissions_of(principal)
        ):
            return not_found()
        current = services()
        loaders = current.loaders(principal)
        try:
            invoice = await loaders.invoice.load(grant.subject)
            if invoice is None or invoice.customer != grant.tenant:
                return not_found()
            bill = await qr_bills.of_invoice(loaders, invoice, current.creditor, language)
            if bill is None:  # paid or cancelled since the link was minted
                return not_found()
            content = qr_bill_files.render(bill, extension)
        except UpstreamError as error:
            return upstream_unavailable(error)
        except qr_bills.InvalidQrBill as error:
            return JSONResponse(
                {"error": "invalid_qr_bill", "field": error.field, "message": str(error)}, 422
            )
        disposition = "attachment" if extension == "pdf" else "inline"
        return file_response(
            content,
            qr_bill_files.FORMATS[extension],
            qr_bill_files.filename(bill, extension),
            disposition,
        )

    return serve


def rendition_file(services: Callable[[], RequestServices]) -> DerivedFile:
    """`THUMBNAIL:<version id>`: a version's rendition, the DMS's or the gateway's own."""

    async def serve(grant: DerivedGrant, principal: Principal) -> Response:
        kind, _, version_id = grant.variant.partition(":")
        if kind not in renditions.KINDS:
            return not_found()
        current = services()
        loaders = current.loaders(principal)
        try:
            document = await loaders.document.load(grant.subject)
            if (
                document is None
                or document.customer != grant.tenant
                or not may_read_document(principal, document.audience)
            ):
                return not_found()
            versions: list[r.DocumentVersion] = await loaders.versions.load(document.id)
        except UpstreamError as error:
            return upstream_unavailable(error)
        version = next((v for v in versions if v.id == version_id), None)
        if version is None:
            return not_found()
        return await streamed(
            renditions.content(current.renditions, document, version, kind), "inline"
        )

    return serve
