"""A local SMTP server for the tests of emails sent by a live worker."""

import asyncio
import threading
from email import message_from_bytes
from email.message import Message

from tests.support.helpers import free_port


class SMTPSink:
    """A local SMTP server that keeps every message it receives.

    With ``hold_first``, the first message is held: the sender waits for the server's answer until
    ``release()``, then gets a temporary failure and the message is not kept (``held`` is set
    while the sender waits). ``attempts`` counts every message sent, held or not."""

    def __init__(self, *, hold_first: bool = False):
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self.attempts = 0
        self.held = threading.Event()
        self.released = threading.Event()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.attempts += 1
                if hold_first and sink.attempts == 1:
                    sink.held.set()
                    while not sink.released.is_set():
                        await asyncio.sleep(0.05)
                    return "451 Held by the test and dropped"
                sink.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.release()
        self.controller.stop()

    def release(self) -> None:
        self.released.set()

    @property
    def env(self) -> dict[str, str]:
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port)}


def message_text(message: Message) -> str:
    """The plain-text part of an email."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""
