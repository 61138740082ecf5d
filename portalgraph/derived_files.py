"""The files behind derived links (`resolvers.derived_files`): `portalgraph.files` has checked
the link and its user; each handler checks that the user, acting for the link's organization,
may still read the subject, reads the subject again through fresh loaders (the cache, then the
upstream; a privacy request from the CRM itself), checks that it still belongs to the
organization (and to the user), and answers the file, 404 for anything else, 503 when its
system is down."""

from collections.abc import Callable

from starlette.responses import JSONResponse, Response, StreamingResponse

from auth.policy import Permission, may_read_document, permissions_of
from auth.principal import Principal
from connectors.base import records as r
from connectors.base.errors import UpstreamError
from portalgraph.files import (
    DerivedFile,
    file_headers,
    file_response,
    not_found,
    streamed,
    upstream_unavailable,
)
from portalgraph.view import RequestServices
from resolvers import export_archive, personal_export, privacy, qr_bill_files, qr_bills, renditions
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


def privacy_export_file(services: Callable[[], RequestServices]) -> DerivedFile:
    """`json` or `zip`: the user's finished export, the ZIP with its documents' contents."""

    async def serve(grant: DerivedGrant, principal: Principal) -> Response:
        if grant.variant not in privacy.FORMATS or Permission.PRIVACY_REQUEST not in permissions_of(
            principal
        ):
            return not_found()
        current = services()
        upstreams = current.upstreams
        try:
            [found] = await upstreams.privacy_requests.privacy_requests_of([grant.tenant])
            request = next((r for r in found if r.id == grant.subject), None)
            if (
                request is None
                or not privacy.is_mine(request, grant.tenant, principal.email)
                or not privacy.downloadable(request, current.clock())
            ):
                return not_found()
            [customer] = await upstreams.organizations.get_customers([grant.tenant])
            subject = privacy.data_subject(principal, grant.tenant, customer)
            if subject is None:
                return not_found()
            exported = await current.privacy.export(request, subject)
        except UpstreamError as error:
            return upstream_unavailable(error)
        name = f"personal-data-{request.id}"
        if grant.variant == "json":
            return file_response(exported, "application/json", f"{name}.json")
        files = personal_export.archived_files(exported)
        body = export_archive.archive(
            exported,
            files,
            lambda file: upstreams.documents.download(file.document_id, file.version_id),
        )
        return StreamingResponse(
            body, media_type="application/zip", headers=file_headers(f"{name}.zip", "attachment")
        )

    return serve
