"""Domain events of accounts and relationships, for the layers above to subscribe to (in their
``AppConfig.ready``): users announce, and never import who listens (notifications, the feeds).

``follow_created(sender=Follow, follow=<Follow>)`` is sent by ``services.follow_create`` inside the
transaction that stores the follow, so a receiver that enqueues work with
``outbox.services.enqueue_on_commit`` owes it exactly when the follow exists.
"""

from django.dispatch import Signal

follow_created = Signal()
