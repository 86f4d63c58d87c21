"""``/ws/events/``: what happens to me, pushed after it is stored (notifications, direct messages,
unread counts), starting with my unread counts."""

from channels.db import database_sync_to_async

from realtime.auth import AuthenticatedJsonConsumer
from realtime.events import user_group

from .push import unread_counts


class EventsConsumer(AuthenticatedJsonConsumer):
    async def subscribe(self):
        await self.join_group(user_group(self.user.pk))

    async def on_authenticated(self):
        counts = await database_sync_to_async(unread_counts)(user_id=self.user.pk)
        await self.send_frame("unread_count", counts)
