"""Invite and password reset emails: SMTP when configured, otherwise the link is logged.

Delivery never raises: an SMTP failure is logged, and the caller decides what the user is told (the admin
still gets an invite link in the API response; a reset request answers the same whatever happens).
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any

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


async def _deliver(
    settings: Settings, to: str, subject: str, text: str, kind: str, **log_fields: Any
) -> bool:
    """Send one plain-text email; True when SMTP accepted it. `log_fields` go on the failure log line."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    try:
        await asyncio.to_thread(_send, settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning(f"{kind}_email_failed", email=to, error=repr(exc), **log_fields)
        return False
    return True


async def deliver_invite(settings: Settings, email: str, org_name: str, link: str) -> bool:
    """Send the invite email. Returns True when sent by SMTP, False when only logged.

    SMTP failures are logged, not raised: the admin still receives the link in the API response.
    """
    if not settings.smtp_host:
        log.info("invite_link", email=email, organization=org_name, link=link)
        return False
    return await _deliver(
        settings,
        email,
        f"You are invited to {org_name} on Store Intelligence",
        f"Open this link to set your password and join {org_name}:\n\n{link}\n",
        "invite",
        link=link,
    )


async def deliver_password_reset(settings: Settings, email: str, link: str) -> bool:
    """Send the password reset email. Returns True when sent by SMTP, False otherwise.

    Without SMTP the link is logged outside production (so a developer can reset a password); in
    production it is not, since whoever reads the log could then take over any account. The link is never
    on the failure log line for the same reason.
    """
    if not settings.smtp_host:
        if settings.environment == "production":
            log.warning("password_reset_not_sent", email=email, reason="STOREINTEL_SMTP_HOST is not set")
        else:
            log.info("password_reset_link", email=email, link=link)
        return False
    return await _deliver(
        settings,
        email,
        "Reset your Store Intelligence password",
        "Someone (hopefully you) asked to reset the password of this account.\n\n"
        f"Open this link to choose a new password:\n\n{link}\n\n"
        f"It works once, for {settings.password_reset_ttl_minutes} minutes. "
        "If you did not ask for this, ignore this email: your password stays as it is.\n",
        "password_reset",
    )
