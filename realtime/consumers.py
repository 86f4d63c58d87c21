"""``/ws/events/``: what happens to me, pushed after it is stored."""

from channels.db import database_sync_to_async

from .auth import AuthenticatedJsonConsumer
from .events import unread_counts, user_group


class EventsConsumer(AuthenticatedJsonConsumer):
    async def subscribe(self):
        await self.join_group(user_group(self.user.pk))

    async def on_authenticated(self):
        await self.send_frame("unread_count", await database_sync_to_async(unread_counts)(self.user.pk))
