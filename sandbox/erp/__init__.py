"""The sandbox ERP: a SOAP 1.1 document/literal service over the seed, speaking Odoo's terms."""

from sandbox.erp.app import ERP_PATH, create_erp_app
from sandbox.erp.envelope import ERP_NS, WSDL_PATH

__all__ = ["ERP_NS", "ERP_PATH", "WSDL_PATH", "create_erp_app"]
