"""Email from templates: a plain-text and an HTML body for every message."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives


def send_email(to: str, subject: str, template: str, **context: Any) -> None:
    """Render ``templates/email/<template>.txt`` and ``.html`` and send them to one address."""
    context.setdefault("service_name", current_app.config["SERVICE_NAME"])
    context.setdefault("service_owner", current_app.config["SERVICE_OWNER"])
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    message.send()
