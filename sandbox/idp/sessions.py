"""User sessions and the opaque refresh tokens that keep them alive."""

import secrets
import uuid
from dataclasses import dataclass, field


@dataclass
class UserSession:
    id: str
    user_id: str
    client_id: str
    started: int
    last_access: int
    amr: tuple[str, ...]
    acr: str
    ip_address: str
    refresh_tokens: set[str] = field(default_factory=set)


class SessionStore:
    """Sessions by id, and the refresh tokens issued in each; logout ends a session."""

    def __init__(self) -> None:
        self._sessions: dict[str, UserSession] = {}
        self._by_refresh_token: dict[str, str] = {}

    def start(
        self,
        *,
        user_id: str,
        client_id: str,
        now: int,
        amr: tuple[str, ...],
        acr: str,
        ip_address: str,
    ) -> UserSession:
        session = UserSession(
            id=str(uuid.uuid4()),
            user_id=user_id,
            client_id=client_id,
            started=now,
            last_access=now,
            amr=amr,
            acr=acr,
            ip_address=ip_address,
        )
        self._sessions[session.id] = session
        return session

    def issue_refresh_token(self, session: UserSession) -> str:
        token = secrets.token_urlsafe(48)
        session.refresh_tokens.add(token)
        self._by_refresh_token[token] = session.id
        return token

    def get(self, session_id: str) -> UserSession | None:
        return self._sessions.get(session_id)

    def by_refresh_token(self, token: str) -> UserSession | None:
        session_id = self._by_refresh_token.get(token)
        return None if session_id is None else self._sessions.get(session_id)

    def of_user(self, user_id: str) -> list[UserSession]:
        return [s for s in self._sessions.values() if s.user_id == user_id]

    def end(self, session_id: str) -> bool:
        session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        for token in session.refresh_tokens:
            self._by_refresh_token.pop(token, None)
        return True

    def end_all_of_user(self, user_id: str) -> None:
        for session in self.of_user(user_id):
            self.end(session.id)
