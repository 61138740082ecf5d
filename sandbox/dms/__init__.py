"""The simulated document management system (REST/JSON, CMIS-like)."""

from sandbox.dms.app import create_dms_app

__all__ = ["create_dms_app"]
