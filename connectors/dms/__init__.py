"""The DMS adapter (REST/JSON, CMIS-like): documents, versions, renditions and content."""

from connectors.dms.client import DmsAdapter

__all__ = ["DmsAdapter"]
