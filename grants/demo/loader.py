"""Loads the demo world into an empty database."""

from __future__ import annotations

from sqlalchemy import func, select

from grants.extensions import db
from grants.models import StaffRole, User
from grants.security import totp
from grants.security.passwords import hash_password

DEMO_PASSWORD = "demo-password-2025"


class DemoAlreadyLoaded(Exception):
    pass


def load_demo() -> list[str]:
    if db.session.scalar(select(func.count()).select_from(User)):
        raise DemoAlreadyLoaded
    lines = []
    for role in StaffRole:
        email = f"{role.value.replace('_', '.')}@opcc.example.org"
        db.session.add(
            User(
                email=email,
                full_name=role.label,
                staff_role=role,
                password_hash=hash_password(DEMO_PASSWORD),
                totp_secret=totp.new_secret(),
            )
        )
        lines.append(f"{role.label}: {email} / {DEMO_PASSWORD}")
    db.session.commit()
    return lines
