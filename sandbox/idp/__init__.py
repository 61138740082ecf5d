"""A Keycloak-compatible identity provider for the demo and the tests (realm `portal`)."""

from sandbox.idp.app import create_idp_app, idp_of
from sandbox.idp.export import DEFAULT_REALM_PATH, load_realm
from sandbox.idp.provider import ActionsEmail, Idp
from sandbox.idp.realm import Realm, User

__all__ = [
    "DEFAULT_REALM_PATH",
    "ActionsEmail",
    "Idp",
    "Realm",
    "User",
    "create_idp_app",
    "idp_of",
    "load_realm",
]
