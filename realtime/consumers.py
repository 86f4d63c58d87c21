"""``/ws/events/``: what happens to me, pushed after it is stored; and the socket of every other path."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from .auth import CLOSE_NOT_FOUND, AuthenticatedJsonConsumer
from .events import unread_counts, user_group


class EventsConsumer(AuthenticatedJsonConsumer):
    async def subscribe(self):
        await self.join_group(user_group(self.user.pk))

    async def on_authenticated(self):
        await self.send_frame("unread_count", await database_sync_to_async(unread_counts)(self.user.pk))


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """A path no socket lives on: accepted, then closed with 4004 (nothing to authenticate for)."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
