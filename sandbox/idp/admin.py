"""The part of Keycloak's admin REST API that user management needs, for one realm.

Callers authenticate with a bearer token of this realm whose `resource_access` grants
`realm-management` roles: `view-users` to read, `manage-users` to change (as Keycloak does
for a service account such as the gateway's).
"""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.idp.admin_users import UsersResource, admin_error, paging
from sandbox.idp.provider import Idp
from sandbox.idp.representations import role_representation

Handler = Callable[[Request], Awaitable[Response]]

VIEW, MANAGE = "view-users", "manage-users"


def admin_routes(idp: Idp) -> list[Route]:
    realm = idp.realm
    base = f"/admin/realms/{realm.name}"
    users = UsersResource(idp)

    def guarded(role: str, handler: Handler) -> Handler:
        async def handle(request: Request) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            verified = idp.verify_access_token(token) if scheme.lower() == "bearer" else None
            if verified is None:
                return admin_error(401, "HTTP 401 Unauthorized", key="error")
            access = verified[0].get("resource_access", {}).get("realm-management", {})
            if role not in access.get("roles", []):
                return admin_error(403, "HTTP 403 Forbidden", key="error")
            return await handler(request)

        return handle

    async def delete_session(request: Request) -> Response:
        if idp.sessions.end(request.path_params["session_id"]):
            return Response(status_code=204)
        return admin_error(404, "Session not found", key="error")

    async def list_roles(request: Request) -> Response:
        search = request.query_params.get("search", "").lower()
        roles = [r for name, r in sorted(realm.roles.items()) if search in name.lower()]
        return JSONResponse([role_representation(r, realm) for r in roles[paging(request)]])

    async def get_role(request: Request) -> Response:
        role = realm.roles.get(request.path_params["role_name"])
        if role is None:
            return admin_error(404, "Could not find role", key="error")
        return JSONResponse(role_representation(role, realm))

    user = f"{base}/users/{{user_id}}"
    table: list[tuple[str, str, list[str], Handler]] = [
        (f"{base}/users", VIEW, ["GET"], users.list),
        (f"{base}/users", MANAGE, ["POST"], users.create),
        (f"{base}/users/count", VIEW, ["GET"], users.count),
        (user, VIEW, ["GET"], users.get),
        (user, MANAGE, ["PUT"], users.update),
        (user, MANAGE, ["DELETE"], users.delete),
        (f"{user}/role-mappings/realm", VIEW, ["GET"], users.realm_roles),
        (f"{user}/role-mappings/realm", MANAGE, ["POST", "DELETE"], users.realm_roles),
        (f"{user}/role-mappings/realm/available", VIEW, ["GET"], users.available_realm_roles),
        (f"{user}/execute-actions-email", MANAGE, ["PUT"], users.execute_actions_email),
        (f"{user}/sessions", VIEW, ["GET"], users.sessions),
        (f"{user}/logout", MANAGE, ["POST"], users.logout),
        (f"{base}/sessions/{{session_id}}", MANAGE, ["DELETE"], delete_session),
        (f"{base}/roles", VIEW, ["GET"], list_roles),
        (f"{base}/roles/{{role_name}}", VIEW, ["GET"], get_role),
    ]
    return [Route(path, guarded(role, h), methods=m) for path, role, m, h in table]
