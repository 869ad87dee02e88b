"""Reads the file mail backend's outbox, newest first, for the demo's outbox page."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from pathlib import Path

from flask import current_app


@dataclass(frozen=True)
class OutboxMessage:
    to: str
    subject: str
    sent: str
    body: str


def read_outbox(limit: int = 50) -> list[OutboxMessage]:
    folder = Path(current_app.config["MAIL_FILE_PATH"])
    if not folder.is_dir():
        return []
    messages: list[OutboxMessage] = []
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in files:
        # The file backend appends each message to the file, separated by a line of dashes.
        for raw in reversed(path.read_text(encoding="utf-8").split("-" * 79)):
            if not raw.strip():
                continue
            message = email.message_from_string(raw.strip(), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            messages.append(
                OutboxMessage(
                    to=str(message["To"] or ""),
                    subject=str(message["Subject"] or ""),
                    sent=str(message["Date"] or ""),
                    body=body.get_content() if body is not None else "",
                )
            )
            if len(messages) >= limit:
                return messages
    return messages
