"""The authorisation policy: who may use each route, and which objects each user may see.

Deny by default: a request to an endpoint that has not declared a rule with ``@allow`` is refused,
and a test fails if any route lacks one. Objects are never fetched by id alone; services use the
``visible_*`` query builders here, so another organisation's object is simply not found (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, select

from grants.models import (
    Application,
    Award,
    Document,
    Membership,
    MembershipRole,
    MonitoringReturn,
    Organisation,
    Payment,
    StaffRole,
    User,
    Variation,
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Rule:
    """Who may use a route. ``needs_sign_in`` decides between a sign-in redirect and a 403."""

    name: str
    check: Callable[[User | None], bool]
    needs_sign_in: bool = True

    def allows(self, user: User | None) -> bool:
        return self.check(user)


PUBLIC = Rule("public", lambda user: True, needs_sign_in=False)
SIGNED_IN = Rule("signed in", lambda user: user is not None)
COMMUNITY_USER = Rule(
    "member of an organisation", lambda user: user is not None and not user.is_staff
)
ORGANISATION_OWNER = Rule(
    "organisation owner",
    lambda user: (
        user is not None
        and not user.is_staff
        and any(m.role is MembershipRole.OWNER for m in user.memberships)
    ),
)
ANY_STAFF = Rule("staff", lambda user: user is not None and user.is_staff)


def staff(*roles: StaffRole) -> Rule:
    allowed = frozenset(roles)
    names = ", ".join(sorted(role.value for role in allowed))
    return Rule(f"staff: {names}", lambda user: user is not None and user.staff_role in allowed)


ADMINISTRATOR = staff(StaffRole.ADMINISTRATOR)
COMMISSIONING_OFFICER = staff(StaffRole.COMMISSIONING_OFFICER)
# Those who assess and decide: finance and administrators have no part in scoring.
ASSESSING_STAFF = staff(
    StaffRole.COMMISSIONING_OFFICER, StaffRole.ASSESSOR, StaffRole.DECISION_MAKER
)
# Those who run awards once made: approve payments, review returns, decide variations.
MANAGING_STAFF = staff(StaffRole.COMMISSIONING_OFFICER, StaffRole.DECISION_MAKER)
FINANCE_STAFF = staff(StaffRole.FINANCE)
# Those who read the money: finance, and the officers and decision makers who commit it.
FINANCE_READERS = staff(
    StaffRole.FINANCE, StaffRole.COMMISSIONING_OFFICER, StaffRole.DECISION_MAKER
)


def allow(rule: Rule) -> Callable[[F], F]:
    """Declare who may use a view. Every view must have exactly one declaration."""

    def decorate(view: F) -> F:
        view.__policy__ = rule  # type: ignore[attr-defined]
        return view

    return decorate


def rule_for(view: Callable[..., Any] | None) -> Rule | None:
    return getattr(view, "__policy__", None)


# Object visibility -------------------------------------------------------------------------


def visible_applications(user: User) -> Select[tuple[Application]]:
    """Applications the user may see: staff see every one; others their organisations' only."""
    query = select(Application)
    if user.is_staff:
        return query
    return query.where(Application.organisation_id.in_(_member_organisation_ids(user)))


def visible_awards(user: User) -> Select[tuple[Award]]:
    """Awards the user may see: staff see every one; others their organisations' only."""
    query = select(Award)
    if user.is_staff:
        return query
    return query.where(Award.organisation_id.in_(_member_organisation_ids(user)))


def _on_visible_award(user: User, model: type[Any]) -> Select[Any]:
    query = select(model)
    if user.is_staff:
        return query
    return query.join(Award, Award.id == model.award_id).where(
        Award.organisation_id.in_(_member_organisation_ids(user))
    )


def visible_payments(user: User) -> Select[tuple[Payment]]:
    return _on_visible_award(user, Payment)


def visible_returns(user: User) -> Select[tuple[MonitoringReturn]]:
    return _on_visible_award(user, MonitoringReturn)


def visible_variations(user: User) -> Select[tuple[Variation]]:
    return _on_visible_award(user, Variation)


def visible_organisations(user: User) -> Select[tuple[Organisation]]:
    query = select(Organisation)
    if user.is_staff:
        return query
    return query.where(Organisation.id.in_(_member_organisation_ids(user)))


def visible_documents(user: User) -> Select[tuple[Document]]:
    """Staff see every document; others only their own organisations'."""
    query = select(Document)
    if user.is_staff:
        return query
    return query.where(Document.organisation_id.in_(_member_organisation_ids(user)))


def _member_organisation_ids(user: User) -> Select[tuple[int]]:
    return select(Membership.organisation_id).where(Membership.user_id == user.id)


def may_manage_members(user: User, organisation_id: int) -> bool:
    return any(
        m.organisation_id == organisation_id and m.role is MembershipRole.OWNER
        for m in user.memberships
    )
