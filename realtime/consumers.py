"""The socket of a path no feature serves."""

from channels.generic.websocket import AsyncWebsocketConsumer

from .auth import CLOSE_NOT_FOUND


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """A path no socket lives on: accepted, then closed with 4004 (nothing to authenticate for)."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
