"""``flask users``: create and manage staff accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from grants.extensions import db
from grants.models import StaffRole, User
from grants.security import totp
from grants.security.passwords import MIN_PASSWORD_LENGTH
from grants.services import accounts
from grants.services.errors import ServiceError
from grants.sessions import revoke_sessions_of

ROLE_CHOICES = [role.value for role in StaffRole]


@click.group()
def users() -> None:
    """Manage staff users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice(ROLE_CHOICES), required=True)
@click.password_option(help=f"At least {MIN_PASSWORD_LENGTH} characters")
@with_appcontext
def create(email: str, full_name: str, role: str, password: str) -> None:
    """Create a staff user with a password, and print their authenticator key."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"The password must be {MIN_PASSWORD_LENGTH} characters or more")
    try:
        user = accounts.create_staff_user(
            full_name=full_name, email=email, role=StaffRole(role), password=password
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    assert user.totp_secret is not None
    click.echo(f"Created {user.email} ({StaffRole(role).label}).")
    click.echo(f"Authenticator key: {user.totp_secret}")
    uri = totp.provisioning_uri(user.totp_secret, user.email, "Grants")
    click.echo(f"Or add this link to the app: {uri}")


@users.command("list")
@with_appcontext
def list_users() -> None:
    """List staff users."""
    for user in accounts.staff_users():
        state = "active" if user.is_active else "deactivated"
        assert user.staff_role is not None
        click.echo(f"{user.email}\t{user.staff_role.value}\t{state}")


@users.command("deactivate")
@click.argument("email")
@with_appcontext
def deactivate(email: str) -> None:
    """Stop a user signing in and end their sessions now."""
    user = _find(email)
    user.is_active = False
    revoke_sessions_of(user.id)
    db.session.commit()
    click.echo(f"Deactivated {user.email}; their sessions have ended.")


@users.command("code")
@click.argument("email")
@with_appcontext
def code(email: str) -> None:
    """Print a staff user's current security code (for the demo and for support)."""
    user = _find(email)
    if not user.totp_secret:
        raise click.ClickException(f"{email} has no authenticator set up")
    click.echo(totp.current_code(user.totp_secret))


def _find(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No user with email {email}")
    return user
