"""Invite delivery: SMTP when configured, otherwise the link is logged (and returned to the admin)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import structlog

from backend.config import Settings

log = structlog.get_logger(__name__)


def _send(settings: Settings, message: EmailMessage) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


async def deliver_invite(settings: Settings, email: str, org_name: str, link: str) -> bool:
    """Send the invite email. Returns True when sent by SMTP, False when only logged.

    SMTP failures are logged, not raised: the admin still receives the link in the API response.
    """
    if not settings.smtp_host:
        log.info("invite_link", email=email, organization=org_name, link=link)
        return False
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = email
    message["Subject"] = f"You are invited to {org_name} on Store Intelligence"
    message.set_content(f"Open this link to set your password and join {org_name}:\n\n{link}\n")
    try:
        await asyncio.to_thread(_send, settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("invite_email_failed", email=email, error=repr(exc), link=link)
        return False
    return True
