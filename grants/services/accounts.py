"""Sign-in, registration, staff accounts, invitations and deactivation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import select, update

from grants.extensions import db
from grants.mail import send_email
from grants.models import (
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationType,
    SignInToken,
    StaffRole,
    TokenPurpose,
    User,
    utcnow,
)
from grants.security import totp
from grants.security.passwords import hash_password, needs_rehash, verify_password
from grants.security.tokens import new_token, token_hash
from grants.services import rate_limit
from grants.services.errors import RateLimited, ServiceError
from grants.sessions import revoke_sessions_of

WINDOW = dt.timedelta(minutes=15)
LINKS_PER_EMAIL = 5
ATTEMPTS_PER_IP = 50
PASSWORD_ATTEMPTS_PER_EMAIL = 10
CODE_ATTEMPTS_PER_USER = 5
SETUP_LINK_LIFETIME = dt.timedelta(days=3)
INVITATION_LIFETIME = dt.timedelta(days=7)

BAD_CREDENTIALS = "Enter a correct email address and password"
TOO_MANY = "You have tried too many times. Wait 15 minutes, then try again"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _throttle(key: str, limit: int, window: dt.timedelta = WINDOW) -> None:
    if not rate_limit.allow_attempt(key, limit, window):
        raise RateLimited(TOO_MANY)


def _user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


# Community users ---------------------------------------------------------------------------


def register_community_user(
    *,
    full_name: str,
    email: str,
    password: str | None,
    organisation_name: str,
    org_type: OrganisationType,
    charity_number: str | None,
    company_number: str | None,
    ip: str,
) -> None:
    """Create the user, their organisation and owner membership, then email a sign-in link.

    If the address already has an account, that person is emailed a sign-in link instead, so
    the page never reveals whether an address is registered.
    """
    _throttle(f"register:ip:{ip}", ATTEMPTS_PER_IP)
    existing = _user_by_email(email)
    if existing is not None:
        if existing.is_active and not existing.is_staff:
            _send_sign_in_link(existing, already_registered=True)
        return
    user = User(
        email=normalise_email(email),
        full_name=full_name.strip(),
        password_hash=hash_password(password) if password else None,
    )
    organisation = Organisation(
        name=organisation_name.strip(),
        org_type=org_type,
        charity_number=(charity_number or "").strip() or None,
        company_number=(company_number or "").strip().upper() or None,
    )
    db.session.add_all(
        [
            user,
            organisation,
            Membership(user=user, organisation=organisation, role=MembershipRole.OWNER),
        ]
    )
    db.session.flush()
    _send_sign_in_link(user)


def request_sign_in_link(email: str, ip: str) -> None:
    """Email a single-use sign-in link if the address belongs to an active community user."""
    _throttle(f"link:ip:{ip}", ATTEMPTS_PER_IP)
    _throttle(f"link:email:{normalise_email(email)}", LINKS_PER_EMAIL)
    user = _user_by_email(email)
    if user is not None and user.is_active and not user.is_staff:
        _send_sign_in_link(user)


def _send_sign_in_link(user: User, already_registered: bool = False) -> None:
    token = new_token()
    minutes = current_app.config["SIGN_IN_LINK_MINUTES"]
    db.session.add(
        SignInToken(
            user=user,
            purpose=TokenPurpose.SIGN_IN,
            token_hash=token_hash(token),
            expires_at=utcnow() + dt.timedelta(minutes=minutes),
        )
    )
    db.session.commit()
    send_email(
        user.email,
        "Your sign-in link",
        "sign_in_link",
        name=user.full_name,
        link=url_for("auth.claim_link", token=token, _external=True),
        minutes=minutes,
        already_registered=already_registered,
    )


def check_sign_in_link(token: str) -> str | None:
    """Why the link cannot be used (a message for the user), or None if it can."""
    row = db.session.scalar(
        select(SignInToken).where(
            SignInToken.token_hash == token_hash(token),
            SignInToken.purpose == TokenPurpose.SIGN_IN,
        )
    )
    if row is None or not row.user.is_active:
        return "This sign-in link is not valid. Request a new link"
    if row.used_at is not None:
        return "This sign-in link has already been used. Request a new link"
    if row.expires_at <= utcnow():
        return "This sign-in link has expired. Request a new link"
    return None


def claim_sign_in_link(token: str, ip: str) -> User:
    _throttle(f"claim:ip:{ip}", ATTEMPTS_PER_IP)
    problem = check_sign_in_link(token)
    if problem:
        raise ServiceError(problem)
    now = utcnow()
    # The WHERE used_at IS NULL makes the claim atomic: of two simultaneous claims one wins.
    claimed = db.session.execute(
        update(SignInToken)
        .where(SignInToken.token_hash == token_hash(token), SignInToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ServiceError("This sign-in link has already been used. Request a new link")
    user = db.session.scalar(
        select(User).join(SignInToken).where(SignInToken.token_hash == token_hash(token))
    )
    assert user is not None
    user.last_sign_in_at = now
    db.session.commit()
    return user


# Passwords and second factor ---------------------------------------------------------------


def check_password(email: str, password: str, ip: str) -> User:
    """The user whose password this is. Staff must still pass the second factor."""
    _throttle(f"password:ip:{ip}", ATTEMPTS_PER_IP)
    _throttle(f"password:email:{normalise_email(email)}", PASSWORD_ATTEMPTS_PER_EMAIL)
    user = _user_by_email(email)
    if user is None or not verify_password(user.password_hash, password) or not user.is_active:
        raise ServiceError(BAD_CREDENTIALS, field="email")
    assert user.password_hash is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not user.is_staff:
        user.last_sign_in_at = utcnow()
    db.session.commit()
    return user


def check_second_factor(user_id: int, code: str) -> User:
    _throttle(f"totp:user:{user_id}", CODE_ATTEMPTS_PER_USER)
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not user.totp_secret:
        raise ServiceError("Your sign-in has expired. Sign in again")
    step = totp.matching_step(user.totp_secret, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        raise ServiceError("Enter the current 6-digit code from your authenticator app", "code")
    user.totp_last_step = step
    user.last_sign_in_at = utcnow()
    db.session.commit()
    rate_limit.clear(f"totp:user:{user_id}")
    return user


def has_password(user: User) -> bool:
    return user.password_hash is not None


def active_user(user_id: int | None) -> User | None:
    """The signed-in user for a session, or None once they have been deactivated."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


# Staff accounts ----------------------------------------------------------------------------


def create_staff_user(
    *,
    full_name: str,
    email: str,
    role: StaffRole,
    password: str | None = None,
    send_setup_email: bool = True,
) -> User:
    """Create a staff user with a fresh TOTP secret.

    With a password (the ``flask users create`` command) the account is ready at once; without
    one, the person is emailed a link to choose a password and set up their authenticator.
    """
    if _user_by_email(email) is not None:
        raise ServiceError("A user with this email address already exists", field="email")
    user = User(
        email=normalise_email(email),
        full_name=full_name.strip(),
        staff_role=role,
        totp_secret=totp.new_secret(),
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    db.session.flush()
    if password is None and send_setup_email:
        token = new_token()
        db.session.add(
            SignInToken(
                user=user,
                purpose=TokenPurpose.ACCOUNT_SETUP,
                token_hash=token_hash(token),
                expires_at=utcnow() + SETUP_LINK_LIFETIME,
            )
        )
        db.session.commit()
        send_email(
            user.email,
            "Set up your staff account",
            "staff_setup",
            name=user.full_name,
            role=role.label,
            link=url_for("auth.account_setup", token=token, _external=True),
        )
    else:
        db.session.commit()
    return user


@dataclass(frozen=True)
class AccountSetup:
    """What the set-up page shows: who the account is for and the authenticator key."""

    full_name: str
    email: str
    role: str
    totp_secret: str
    totp_uri: str


def setup_details(token: str) -> AccountSetup | None:
    user = _setup_user(token)
    if user is None or user.totp_secret is None or user.staff_role is None:
        return None
    return AccountSetup(
        full_name=user.full_name,
        email=user.email,
        role=user.staff_role.label,
        totp_secret=user.totp_secret,
        totp_uri=totp.provisioning_uri(
            user.totp_secret, user.email, current_app.config["SERVICE_NAME"]
        ),
    )


def _setup_user(token: str) -> User | None:
    row = db.session.scalar(
        select(SignInToken).where(
            SignInToken.token_hash == token_hash(token),
            SignInToken.purpose == TokenPurpose.ACCOUNT_SETUP,
            SignInToken.used_at.is_(None),
            SignInToken.expires_at > utcnow(),
        )
    )
    if row is None or not row.user.is_active:
        return None
    return row.user


def complete_account_setup(token: str, password: str, code: str, ip: str) -> User:
    _throttle(f"setup:ip:{ip}", ATTEMPTS_PER_IP)
    user = _setup_user(token)
    if user is None:
        raise ServiceError("This set-up link is not valid or has expired. Ask an administrator")
    assert user.totp_secret is not None
    step = totp.matching_step(user.totp_secret, code)
    if step is None:
        raise ServiceError("Enter the current 6-digit code from your authenticator app", "code")
    user.password_hash = hash_password(password)
    user.totp_last_step = step
    db.session.execute(
        update(SignInToken)
        .where(SignInToken.token_hash == token_hash(token))
        .values(used_at=utcnow())
    )
    db.session.commit()
    return user


def set_active(actor: User, user_id: int, active: bool) -> User:
    """Deactivate or reactivate a user. Deactivation ends their live sessions at once."""
    if actor.staff_role is not StaffRole.ADMINISTRATOR:
        raise ServiceError("Only an administrator can change who may sign in")
    user = db.session.get(User, user_id)
    if user is None:
        raise ServiceError("No such user")
    if user.id == actor.id and not active:
        raise ServiceError("You cannot deactivate your own account")
    user.is_active = active
    if not active:
        revoke_sessions_of(user.id)
    db.session.commit()
    return user


def staff_users() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.staff_role.is_not(None)).order_by(User.full_name)
        )
    )


# Invitations -------------------------------------------------------------------------------


def invite_member(actor: User, organisation_id: int, email: str, role: MembershipRole) -> None:
    if not any(
        m.organisation_id == organisation_id and m.role is MembershipRole.OWNER
        for m in actor.memberships
    ):
        raise ServiceError("Only an owner of the organisation can invite members")
    address = normalise_email(email)
    existing = _user_by_email(address)
    if existing is not None and (existing.is_staff or organisation_id in existing.organisation_ids):
        raise ServiceError(
            "This person is already a member or cannot join an organisation", field="email"
        )
    _throttle(f"invite:org:{organisation_id}", 30, dt.timedelta(hours=24))
    token = new_token()
    invitation = Invitation(
        organisation_id=organisation_id,
        email=address,
        role=role,
        invited_by_id=actor.id,
        token_hash=token_hash(token),
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.commit()
    send_email(
        address,
        f"Join {invitation.organisation.name}",
        "invitation",
        inviter=actor.full_name,
        organisation=invitation.organisation.name,
        link=url_for("auth.accept_invitation", token=token, _external=True),
    )


@dataclass(frozen=True)
class InvitationDetails:
    organisation: str
    email: str
    role: str


def invitation_details(token: str) -> InvitationDetails | None:
    invitation = _open_invitation(token)
    if invitation is None:
        return None
    return InvitationDetails(
        organisation=invitation.organisation.name,
        email=invitation.email,
        role=invitation.role.value,
    )


def _open_invitation(token: str) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(
            Invitation.token_hash == token_hash(token),
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )


def accept_invitation(token: str, full_name: str, ip: str) -> User:
    """Join the organisation. The link went to the invited address, so holding it proves it."""
    _throttle(f"invite:ip:{ip}", ATTEMPTS_PER_IP)
    invitation = _open_invitation(token)
    if invitation is None:
        raise ServiceError("This invitation is not valid or has expired. Ask for a new one")
    user = _user_by_email(invitation.email)
    if user is None:
        user = User(email=invitation.email, full_name=full_name.strip())
        db.session.add(user)
    elif not user.is_active or user.is_staff:
        raise ServiceError("This invitation cannot be accepted. Ask for a new one")
    db.session.add(
        Membership(user=user, organisation_id=invitation.organisation_id, role=invitation.role)
    )
    invitation.accepted_at = utcnow()
    user.last_sign_in_at = utcnow()
    db.session.commit()
    return user


def members_of(organisation_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.organisation_id == organisation_id)
            .join(User)
            .order_by(User.full_name)
        )
    )


def change_password(user: User, current: str | None, new: str, keep_session_id: str | None) -> None:
    """Set or change a password. Someone who already has one must give it; every other session
    of theirs ends, so a password changed after a compromise locks the intruder out."""
    _throttle(f"password-change:user:{user.id}", PASSWORD_ATTEMPTS_PER_EMAIL)
    if user.password_hash is not None and not verify_password(user.password_hash, current or ""):
        raise ServiceError("Your current password is not correct", field="current_password")
    user.password_hash = hash_password(new)
    revoke_sessions_of(user.id, except_id=keep_session_id)
    db.session.commit()
