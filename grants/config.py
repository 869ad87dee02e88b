"""Configuration from environment variables.

The embedded default (no environment at all) runs the one-command demo: SQLite in the instance
folder, documents in a local directory, jobs in-process and mail written to a local outbox.
Production (``GRANTS_ENV=production``) refuses to start without the settings it cannot guess.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed; the message says which and how to fix it."""


REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "a random string of 32+ characters, e.g. `python -c "
    "'import secrets; print(secrets.token_hex(32))'`",
    "DATABASE_URL": "postgresql+psycopg://USER:PASSWORD@HOST:5432/DBNAME",
    "REDIS_URL": "redis://HOST:6379/0",
    "S3_ENDPOINT_URL": "https://s3.example.org (any S3-compatible store)",
    "S3_BUCKET": "the bucket that holds documents",
    "S3_ACCESS_KEY_ID": "the access key for the document bucket",
    "S3_SECRET_ACCESS_KEY": "the secret key for the document bucket",
    "MAIL_SERVER": "the SMTP host, e.g. smtp.example.org",
    "SERVER_NAME": "the public host name, e.g. grants.example.org (used in emailed links)",
}


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from exc


@dataclass(frozen=True)
class Environment:
    """Which kind of deployment this is; decides how strict configuration is."""

    name: str

    @property
    def is_production(self) -> bool:
        return self.name == "production"


def load_config(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask configuration from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    environment = Environment(env.get("GRANTS_ENV", "development"))

    if environment.is_production:
        missing = [name for name in REQUIRED_IN_PRODUCTION if not env.get(name)]
        if missing:
            lines = [f"  {name}: {REQUIRED_IN_PRODUCTION[name]}" for name in missing]
            raise ConfigurationError(
                "GRANTS_ENV=production needs these settings, which are not set:\n"
                + "\n".join(lines)
            )
        if len(env["SECRET_KEY"]) < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters in production")

    instance = Path(instance_path)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'grants.sqlite'}"
    secret_key = env.get("SECRET_KEY") or _development_secret(instance)
    secure_cookies = _bool(env.get("SESSION_COOKIE_SECURE"), environment.is_production)

    config: dict[str, Any] = {
        "GRANTS_ENV": environment.name,
        "SECRET_KEY": secret_key,
        "SERVICE_NAME": env.get("SERVICE_NAME", "Funding and commissioning"),
        "SERVICE_OWNER": env.get(
            "SERVICE_OWNER",
            "Police and Crime Commissioner for Leicester, Leicestershire and Rutland",
        ),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL") or None,
        "S3_BUCKET": env.get("S3_BUCKET") or None,
        "S3_ACCESS_KEY_ID": env.get("S3_ACCESS_KEY_ID") or None,
        "S3_SECRET_ACCESS_KEY": env.get("S3_SECRET_ACCESS_KEY") or None,
        "S3_REGION": env.get("S3_REGION", "us-east-1"),
        "S3_ADDRESSING_STYLE": env.get("S3_ADDRESSING_STYLE", "path"),
        # The time budget against a dead or frozen store: attempts x (connect + 1 s + read),
        # kept inside gunicorn's --timeout (Procfile) so users get the "nothing was saved"
        # page, never a bare 502.
        "S3_CONNECT_TIMEOUT": _int(env, "S3_CONNECT_TIMEOUT", 3),
        "S3_READ_TIMEOUT": _int(env, "S3_READ_TIMEOUT", 15),
        "S3_MAX_ATTEMPTS": _int(env, "S3_MAX_ATTEMPTS", 2),
        "DOCUMENTS_DIR": env.get("DOCUMENTS_DIR") or str(instance / "documents"),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int(env, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS"), False),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "grants@opcc.example.org"),
        # No SMTP server configured (the embedded default): mail is written to files in the
        # instance folder, and the demo shows them on its outbox page.
        "MAIL_BACKEND": env.get("MAIL_BACKEND") or ("smtp" if env.get("MAIL_SERVER") else "file"),
        "MAIL_FILE_PATH": env.get("MAIL_OUTBOX_DIR") or str(instance / "outbox"),
        "MAIL_TIMEOUT": _int(env, "MAIL_TIMEOUT", 10),
        "SHOW_DEMO_OUTBOX": not environment.is_production and not env.get("MAIL_SERVER"),
        # Signed checkpoints of the ledger head go outside the database, never overwritten.
        "AUDIT_SIGNING_KEY_FILE": env.get("AUDIT_SIGNING_KEY_FILE")
        or str(instance / "audit_signing_key.pem"),
        "AUDIT_CHECKPOINT_DIR": env.get("AUDIT_CHECKPOINT_DIR") or str(instance / "checkpoints"),
        "SESSION_COOKIE_NAME": "grants_session",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_LIFETIME_MINUTES": _int(env, "SESSION_LIFETIME_MINUTES", 8 * 60),
        "SESSION_IDLE_MINUTES": _int(env, "SESSION_IDLE_MINUTES", 60),
        "SIGN_IN_LINK_MINUTES": _int(env, "SIGN_IN_LINK_MINUTES", 15),
        # How long before a commissioned service's contract ends its review is flagged.
        "CONTRACT_REVIEW_MONTHS": _int(env, "CONTRACT_REVIEW_MONTHS", 9),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": secure_cookies,
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 30 * 1024 * 1024),
        # Per-upload limit, checked while the file streams in (programmes may set their own).
        "UPLOAD_MAX_BYTES": _int(env, "UPLOAD_MAX_BYTES", 25 * 1024 * 1024),
        "PREFERRED_URL_SCHEME": "https" if environment.is_production else "http",
        **_clamd_settings(env),
    }
    if env.get("SERVER_NAME"):
        config["SERVER_NAME"] = env["SERVER_NAME"]
    return config


def _clamd_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Virus scanning with ClamAV's clamd, on a unix socket or TCP. Neither set: no scanning,
    and documents are marked "not scanned" for officers to see."""
    socket_path = env.get("CLAMD_SOCKET") or None
    host = env.get("CLAMD_HOST") or None
    if socket_path and host:
        raise ConfigurationError("Set CLAMD_SOCKET or CLAMD_HOST for the virus scanner, not both")
    return {
        "CLAMD_SOCKET": socket_path,
        "CLAMD_HOST": host,
        "CLAMD_PORT": _int(env, "CLAMD_PORT", 3310),
        "CLAMD_CONNECT_TIMEOUT": _int(env, "CLAMD_CONNECT_TIMEOUT", 2),
        # Each wait for clamd, including its answer after the whole file was sent.
        "CLAMD_TIMEOUT": _int(env, "CLAMD_TIMEOUT", 60),
        # clamd.conf's StreamMaxLength: larger uploads are refused, since they cannot be scanned.
        "CLAMD_MAX_STREAM_BYTES": _int(env, "CLAMD_MAX_STREAM_BYTES", 25 * 1024 * 1024),
    }


def engine_options(database_url: str) -> dict[str, Any]:
    if database_url.startswith("sqlite"):
        # Several requests and the in-process job runner share one file: wait for the writer
        # instead of failing with "database is locked".
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}


def _development_secret(instance: Path) -> str:
    """A per-instance random key, so the demo needs no settings but never ships a known key."""
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
