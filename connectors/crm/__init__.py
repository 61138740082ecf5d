"""The CRM / helpdesk adapter (REST/JSON): contacts and tickets."""

from connectors.crm.client import CrmAdapter

__all__ = ["CrmAdapter"]
