"""The ERP adapter: a SOAP service (Odoo vocabulary) behind the organization, quote, order and
invoice ports."""

from connectors.erp.client import ErpAdapter

__all__ = ["ErpAdapter"]
