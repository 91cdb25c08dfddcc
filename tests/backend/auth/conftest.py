"""Fixtures of the session and password tests: a browser-like client and a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from backend.config import Settings


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client on https://testserver, so its cookie jar keeps and sends the Secure session cookie."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


class Mailbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int, timeout_s: float = 5.0) -> list[EmailMessage]:
        """The first `count` messages, waiting for them to arrive (delivery runs after the response)."""
        for _ in range(int(timeout_s / 0.02)):
            if len(self.messages) >= count:
                break
            await asyncio.sleep(0.02)
        assert len(self.messages) >= count, f"expected {count} message(s), got {len(self.messages)}"
        return self.messages[:count]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def mailbox(settings: Settings) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, and the app's settings pointed at it (no STARTTLS)."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.smtp_host, settings.smtp_port, settings.smtp_starttls = "127.0.0.1", controller.port, False
    try:
        yield box
    finally:
        controller.stop()
