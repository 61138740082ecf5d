"""The simulated CRM / helpdesk (REST/JSON)."""

from sandbox.crm.app import create_crm_app

__all__ = ["create_crm_app"]
