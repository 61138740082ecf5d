"""`/admin/realms/{realm}/users/...`: users (validated by the realm's user profile), their
realm role mappings, sessions, logout and "execute actions" e-mails, with Keycloak's status
codes and error bodies."""

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.idp.export import parse_user
from sandbox.idp.profile import profile_error_response
from sandbox.idp.provider import ActionsEmail, Idp
from sandbox.idp.realm import REQUIRED_ACTIONS, User
from sandbox.idp.representations import (
    MS,
    matches,
    role_representation,
    session_representation,
    update_user,
    user_representation,
)


def admin_error(status: int, message: str, key: str = "errorMessage") -> Response:
    return JSONResponse({key: message}, status_code=status)


def user_not_found() -> Response:
    return admin_error(404, "User not found", key="error")


async def json_body(request: Request) -> Any:
    """The JSON body; python-keycloak sends it without a JSON content type on DELETE."""
    body = await request.body()
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def paging(request: Request) -> slice:
    first = int(request.query_params.get("first", 0))
    return slice(first, first + int(request.query_params.get("max", 100)))


class UsersResource:
    def __init__(self, idp: Idp) -> None:
        self._idp = idp
        self._realm = idp.realm

    async def list(self, request: Request) -> Response:
        query = request.query_params
        brief = query.get("briefRepresentation", "").lower() == "true"
        found = sorted((u for u in self._realm.people() if matches(u, query)), key=_username)
        return JSONResponse([user_representation(u, brief=brief) for u in found[paging(request)]])

    async def count(self, request: Request) -> Response:
        people = self._realm.people()
        return JSONResponse(sum(1 for u in people if matches(u, request.query_params)))

    async def create(self, request: Request) -> Response:
        """Roles in the body are ignored, as Keycloak does; new users get the default roles
        (see `parse_user`). The user profile is validated after the uniqueness checks, in
        Keycloak's order."""
        body = await json_body(request)
        if not isinstance(body, dict) or not body.get("username"):
            return admin_error(400, "User name is missing")
        if self._realm.user_by_username(body["username"]) is not None:
            return admin_error(409, "User exists with same username")
        if self._email_taken(body.get("email"), None):
            return admin_error(409, "User exists with same email")
        problems = self._realm.user_profile.errors(body)
        if problems:
            return profile_error_response(problems)
        if not set(body.get("requiredActions", [])) <= REQUIRED_ACTIONS:
            return admin_error(400, "Provided invalid required actions")
        passwords = [c for c in body.get("credentials", []) if c.get("type") == "password"]
        ignored = {"id", "realmRoles", "clientRoles", "credentials"}
        user = parse_user(
            {k: v for k, v in body.items() if k not in ignored}
            | {
                "credentials": passwords,
                "createdTimestamp": self._idp.now() * MS,
            }
        )
        if any(c.get("temporary") for c in passwords):
            user.required_actions.append("UPDATE_PASSWORD")
        self._realm.users[user.id] = user
        location = f"{str(request.url.replace(query='')).rstrip('/')}/{user.id}"
        return Response(status_code=201, headers={"Location": location})

    async def get(self, request: Request) -> Response:
        user = self._user(request)
        return JSONResponse(user_representation(user)) if user else user_not_found()

    async def update(self, request: Request) -> Response:
        user, body = self._user(request), await json_body(request)
        if user is None:
            return user_not_found()
        if not isinstance(body, dict):
            return admin_error(400, "invalid user representation")
        if "email" in body and self._email_taken(body["email"], user.id):
            return admin_error(409, "User exists with same email")
        stored = user_representation(user) | {k: v for k, v in body.items() if k != "username"}
        problems = self._realm.user_profile.errors(stored)
        if problems:
            return profile_error_response(problems)
        update_user(user, body)
        return Response(status_code=204)

    async def delete(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return user_not_found()
        del self._realm.users[user.id]
        self._idp.sessions.end_all_of_user(user.id)
        return Response(status_code=204)

    async def realm_roles(self, request: Request) -> Response:
        """GET lists the user's realm roles; POST adds and DELETE removes those in the body."""
        user = self._user(request)
        if user is None:
            return user_not_found()
        if request.method == "GET":
            return self._roles_response(n for n in user.realm_roles if n in self._realm.roles)
        body = await json_body(request)
        names = {r.get("name") for r in body} if isinstance(body, list) else set()
        if not names <= self._realm.roles.keys():
            return admin_error(404, "Role not found", key="error")
        if request.method == "POST":
            user.realm_roles |= names
        else:
            user.realm_roles -= names
        return Response(status_code=204)

    async def available_realm_roles(self, request: Request) -> Response:
        """The realm roles the user does not have yet (what an admin may map)."""
        user = self._user(request)
        if user is None:
            return user_not_found()
        return self._roles_response(self._realm.roles.keys() - user.realm_roles)

    async def execute_actions_email(self, request: Request) -> Response:
        """Records the e-mail in `Idp.sent_emails` (the outbox) instead of sending it."""
        user, actions = self._user(request), await json_body(request)
        if user is None:
            return user_not_found()
        if not user.email:
            return admin_error(400, "User email missing")
        if not user.enabled:
            return admin_error(400, "User is disabled")
        query = request.query_params
        client_id, redirect_uri = query.get("client_id"), query.get("redirect_uri")
        refused = self._actions_link_error(client_id, redirect_uri)
        if refused is not None:
            return admin_error(400, refused)
        if not isinstance(actions, list) or not set(actions) <= REQUIRED_ACTIONS:
            return admin_error(400, "Provided invalid required actions")
        lifespan = query.get("lifespan")
        email = ActionsEmail(
            user_id=user.id,
            email=user.email,
            actions=tuple(actions),
            client_id=client_id,
            redirect_uri=redirect_uri,
            lifespan=int(lifespan) if lifespan else None,
            sent_at=self._idp.now(),
        )
        self._idp.sent_emails.append(email)
        return Response(status_code=204)

    async def logout(self, request: Request) -> Response:
        """Ends every session of the user (their refresh tokens stop working)."""
        user = self._user(request)
        if user is None:
            return user_not_found()
        self._idp.sessions.end_all_of_user(user.id)
        return Response(status_code=204)

    async def sessions(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return user_not_found()
        sessions = self._idp.sessions.of_user(user.id)
        return JSONResponse([session_representation(s, user, self._realm) for s in sessions])

    def _actions_link_error(self, client_id: str | None, redirect_uri: str | None) -> str | None:
        """Keycloak's checks of the link's client and redirect URI, as its error messages."""
        if client_id is None:
            return "Client id missing" if redirect_uri is not None else None
        client = self._realm.clients.get(client_id)
        if client is None or not client.enabled:
            return "Client doesn't exist"
        if redirect_uri is not None and not client.accepts_redirect(redirect_uri):
            return "Invalid redirect uri."
        return None

    def _roles_response(self, names: Iterable[str]) -> Response:
        roles = [self._realm.roles[name] for name in sorted(names)]
        return JSONResponse([role_representation(r, self._realm) for r in roles])

    def _user(self, request: Request) -> User | None:
        return self._realm.users.get(request.path_params["user_id"])

    def _email_taken(self, email: str | None, user_id: str | None) -> bool:
        if not email:
            return False
        return any(u.email == email and u.id != user_id for u in self._realm.users.values())


def _username(user: User) -> str:
    return user.username
