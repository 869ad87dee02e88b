"""Server-side sessions in the database, so they can be listed and revoked.

The cookie carries only a random id; the table is keyed by its SHA-256, so a leaked database
does not give away live sessions. Sessions expire after an absolute lifetime and after idle time.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, insert, select, update
from werkzeug.datastructures import CallbackDict

from grants.extensions import db
from grants.models import WebSession, utcnow
from grants.security.tokens import new_token, token_hash

TOUCH_INTERVAL = dt.timedelta(seconds=60)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(
        self,
        initial: dict[str, Any] | None = None,
        sid: str | None = None,
        last_seen_at: dt.datetime | None = None,
    ) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.sid = sid
        self.last_seen_at = last_seen_at
        self.modified = False
        self.rotate = False
        self.destroy = False

    def regenerate(self) -> None:
        """Give the session a new id (at sign-in), so a planted id is useless afterwards."""
        self.rotate = True
        self.modified = True

    def end(self) -> None:
        """Forget everything and delete the row (sign-out)."""
        self.clear()
        self.destroy = True


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        static = app.static_url_path and request.path.startswith(f"{app.static_url_path}/")
        if not sid or static:
            # Static files need no session: an empty one is neither stored nor cleared.
            return ServerSession()
        with db.engine.connect() as connection:
            row = connection.execute(
                select(WebSession.data, WebSession.expires_at, WebSession.last_seen_at).where(
                    WebSession.id_hash == token_hash(sid)
                )
            ).first()
        if row is None:
            return ServerSession()
        now = utcnow()
        expires_at = _aware(row.expires_at)
        idle_limit = dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
        if expires_at <= now or _aware(row.last_seen_at) + idle_limit <= now:
            return ServerSession()
        return ServerSession(json.loads(row.data), sid=sid, last_seen_at=_aware(row.last_seen_at))

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        name = self.get_cookie_name(app)
        cookie = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "httponly": True,
            "samesite": self.get_cookie_samesite(app),
        }
        now = utcnow()
        if not session.sid and (session.destroy or not session):
            return  # nothing was stored and nothing needs to be
        untouched = not (session.destroy or session.rotate or session.modified)
        recently_seen = (
            session.last_seen_at is not None and now - session.last_seen_at <= TOUCH_INTERVAL
        )
        if session.sid and session and untouched and recently_seen:
            return  # most requests: no database write at all
        with db.engine.begin() as connection:
            if session.sid and (session.destroy or session.rotate or not session):
                connection.execute(
                    delete(WebSession).where(WebSession.id_hash == token_hash(session.sid))
                )
            if session.destroy or not session:
                if session.sid:
                    response.delete_cookie(name, **cookie)
                return
            user_id = session.get("user_id")
            if session.sid and not session.rotate:
                if session.modified:
                    connection.execute(
                        update(WebSession)
                        .where(WebSession.id_hash == token_hash(session.sid))
                        .values(data=json.dumps(dict(session)), user_id=user_id, last_seen_at=now)
                    )
                elif session.last_seen_at is None or now - session.last_seen_at > TOUCH_INTERVAL:
                    # Idle time only needs minute precision: skip a write on most requests.
                    connection.execute(
                        update(WebSession)
                        .where(WebSession.id_hash == token_hash(session.sid))
                        .values(last_seen_at=now)
                    )
                return
            sid = new_token()
            lifetime = dt.timedelta(minutes=app.config["SESSION_LIFETIME_MINUTES"])
            connection.execute(
                insert(WebSession).values(
                    id_hash=token_hash(sid),
                    user_id=user_id,
                    data=json.dumps(dict(session)),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + lifetime,
                )
            )
            session.sid = sid
        response.set_cookie(name, sid, **cookie)
        response.vary.add("Cookie")


def revoke_sessions_of(user_id: int, except_id: str | None = None) -> None:
    """End every live session of a user (deactivation), or every other one (password change)."""
    statement = delete(WebSession).where(WebSession.user_id == user_id)
    if except_id is not None:
        statement = statement.where(WebSession.id_hash != token_hash(except_id))
    db.session.execute(statement)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def purge_expired() -> int:
    """Delete sessions past their lifetime; returns how many went."""
    with db.engine.begin() as connection:
        result = connection.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
    return result.rowcount or 0
