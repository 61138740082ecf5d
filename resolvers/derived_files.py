"""Signed links to files the gateway derives itself (the QR-bill of an invoice, a rendition of
a document version, a person's export) instead of streaming them from the DMS. They are
document links of `resolvers.downloads` (same signature, expiry, organization and user), whose
document names the kind and subject (`qrbill:<invoice id>`) and whose version names the
variant (`pdf.de`); they are minted only after the ownership check, and the subject's owner is
checked again when served."""

from dataclasses import dataclass

from auth.principal import Principal
from resolvers.downloads import DownloadGrant, DownloadLinks

QR_BILL = "qrbill"
RENDITION = "rendition"
PRIVACY_EXPORT = "privacy"
KINDS = (QR_BILL, RENDITION, PRIVACY_EXPORT)


@dataclass(frozen=True)
class DerivedGrant:
    kind: str
    subject: str
    variant: str
    tenant: str


def derived_url(
    links: DownloadLinks,
    kind: str,
    subject: str,
    variant: str,
    tenant: str,
    viewer: Principal | None,
) -> str:
    return links.link(f"{kind}:{subject}", variant, tenant, viewer)


def derived_grant(grant: DownloadGrant) -> DerivedGrant | None:
    """The derived file a verified grant names, or None for a document download."""
    kind, separator, subject = grant.document_id.partition(":")
    if not separator or kind not in KINDS:
        return None
    return DerivedGrant(kind, subject, grant.version_id, grant.tenant)
