"""Socket tests: Channels' communicator, on the ASGI application, driven from synchronous tests."""

import json

from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from mini_twitter.asgi import application


def access_token(user) -> str:
    return str(AccessToken.for_user(user))


# Generous waits for what must arrive: the handshake and frames go through the database and the
# channel layer, slower on a busy machine; a wait that must time out (receive_nothing) stays short.
CONNECT_TIMEOUT = 10
RECEIVE_TIMEOUT = 5


async def open_socket(path: str, user=None, token: str | None = None) -> WebsocketCommunicator:
    """Connect and, with a user or token, send the auth frame (the answer is left to the caller)."""
    communicator = WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")]
    )
    connected, _ = await communicator.connect(timeout=CONNECT_TIMEOUT)
    assert connected, "the handshake is always accepted"
    if user is not None or token is not None:
        await communicator.send_to(text_data=json.dumps({"type": "auth", "token": token or access_token(user)}))
    return communicator


async def receive(communicator: WebsocketCommunicator, timeout: float = RECEIVE_TIMEOUT) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_type(communicator: WebsocketCommunicator, type_: str, timeout: float = RECEIVE_TIMEOUT) -> dict:
    """The next frame of that type, skipping others (such as unread_count updates)."""
    while True:
        frame = await receive(communicator, timeout)
        if frame["type"] == type_:
            return frame


async def closed_with(communicator: WebsocketCommunicator, timeout: float = RECEIVE_TIMEOUT) -> int:
    output = await communicator.receive_output(timeout=timeout)
    assert output["type"] == "websocket.close", output
    return output.get("code")
