"""The migration that gives ``message`` notifications a foreign key to their message fills it in
for the notifications stored before, from their ``dedupe_key``."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from messaging.tests.factories import ConversationFactory, MessageFactory
from notifications.models import Notification
from users.tests.factories import UserFactory

BEFORE = [("notifications", "0002_notification_conversation")]
AFTER = [("notifications", "0003_notification_message")]


@pytest.mark.django_db(transaction=True)
def test_stored_message_notifications_get_their_message():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    # Only notifications went back: the other apps' tables are today's.
    Old = executor.loader.project_state(BEFORE).apps.get_model("notifications", "Notification")
    alice, bob = UserFactory(), UserFactory()
    chat = ConversationFactory(creator=alice, members=[bob])
    message = MessageFactory(conversation=chat, sender=alice)
    rows = [
        ("message", f"message:{message.pk}", chat.pk),
        ("message", f"message:{message.pk + 1000}", chat.pk),  # its message is gone: left alone
        ("follow", f"follow:{alice.pk}", None),
    ]
    for type_, key, conversation_id in rows:
        Old.objects.create(
            recipient_id=bob.pk, actor_id=alice.pk, type=type_, dedupe_key=key, conversation_id=conversation_id
        )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert list(Notification.objects.order_by("id").values_list("dedupe_key", "message_id")) == [
        (f"message:{message.pk}", message.pk),
        (f"message:{message.pk + 1000}", None),
        (f"follow:{alice.pk}", None),
    ]
