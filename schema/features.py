"""Feature flags in the graph: `viewer.features` (the flags on for the viewer, with the
variant an A/B test reports) and `gated(flag)`, which puts a field behind a flag: off for
the viewer, the field is null with FORBIDDEN (`reason: FEATURE_DISABLED`) on its path."""

from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from infra.flags import FlagState
from resolvers import features as resolve
from resolvers.context import Context

Info = strawberry.Info[Context, None]


@strawberry.schema_directive(
    name="feature",
    locations=[Location.FIELD_DEFINITION],
    description="The field answers only while this feature flag is on for the caller "
    "(README, Feature flags); `released` says whether it is on where no flag is configured.",
)
class FeatureDirective:
    flag: str
    released: bool


@strawberry.type(description="A feature flag that is on for the viewer.")
class Feature:
    key: str = strawberry.field(description="The flag's key, e.g. `new-dashboard`.")
    variant: str = strawberry.field(
        description="The variant the viewer gets: an A/B test's arm, or `on`."
    )

    @classmethod
    def of(cls, state: FlagState) -> "Feature":
        return cls(key=state.key, variant=state.variant or "on")


class FeatureGate(BasePermission):
    """The field needs `flag` on for the caller; `released`: on where no flag is configured.

    Example:
        @strawberry.field(extensions=gated("recommendations"))
    """

    def __init__(self, flag: str, released: bool) -> None:
        self.flag = flag
        self.released = released

    @property
    def schema_directive(self) -> object:
        return FeatureDirective(flag=self.flag, released=self.released)

    async def has_permission(self, source: Any, info: Info, **_: Any) -> bool:
        if not await resolve.enabled(info.context, self.flag, self.released):
            raise resolve.FeatureDisabled(self.flag)
        return True


def gated(flag: str, released: bool = True) -> list[FieldExtension]:
    """The field extensions that put a field behind `flag`."""
    return [PermissionExtension([FeatureGate(flag, released)])]


async def features(info: Info) -> list[Feature]:
    return [Feature.of(state) for state in await resolve.features(info.context)]
