"""The identity provider's part of privacy requests (`PersonalDataPort`): the person's login,
through the admin API (`auth.admin`) behind the directory's guard. Its export is the account
as Keycloak keeps it (profile, attributes, roles; never credentials); its erasure deletes it,
which ends the person's sessions (access tokens already issued expire by themselves)."""

from connectors.base.records import (
    CaseRef,
    DataSubject,
    ErasureOutcome,
    PersonalRecord,
    System,
)
from resolvers.directory import Directory

CATEGORY = "ACCOUNT"


class AccountData:
    system = System.IDP

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    async def export_personal_data(
        self, subject: DataSubject, scope: frozenset[str]
    ) -> list[PersonalRecord]:
        if CATEGORY not in scope:
            return []
        account = await self._directory.read(lambda admin: admin.account(subject.user_id))
        return [PersonalRecord(CATEGORY, "ACCOUNT", account.id, account)] if account else []

    async def erase_personal_data(
        self, subject: DataSubject, scope: frozenset[str], request_id: str
    ) -> ErasureOutcome:
        if CATEGORY not in scope:
            return ErasureOutcome(System.IDP, "DONE")
        account = await self._directory.read(lambda admin: admin.account(subject.user_id))
        if account is not None:
            await self._directory.write(lambda admin: admin.delete(account.id))
        return ErasureOutcome(System.IDP, "DONE", (CaseRef("ACCOUNT", subject.user_id),))
