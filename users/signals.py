"""Domain events of accounts and relationships, for the layers above to subscribe to (in their
``AppConfig.ready``): users announce, and never import who listens (notifications, the feeds).

``follow_created(sender=Follow, follow=<Follow>, requested=<bool>)`` is sent by
``services.follow_create`` inside the transaction that stores the follow, so a receiver that enqueues
work with ``outbox.services.enqueue_on_commit`` owes it exactly when the follow exists; ``requested``
is true when the follow is an approved follow request (whose own announcement came first).

``follow_requested(sender=FollowRequest, follow_request=<FollowRequest>)`` is sent, the same way,
when a request to follow a protected account is stored.

``block_created(sender=Block, block=<Block>)`` is sent by ``services.block_create`` inside the
transaction that stores a new block, after the follows between the two went: what the layers above
keep between the two users (a room one of them hosts and the other is in) ends with it.

``user_activity_changed(sender=User, user=<User>, active=<bool>)`` is sent by ``User.save`` inside the
transaction that deactivates (suspends) or reactivates an account, whichever path saved it (the
moderation services, the admin): the stored counters that count other accounts' actions count active
accounts only, so each layer recounts what the account's follows, likes, retweets and replies count.
"""

from django.dispatch import Signal

follow_created = Signal()
follow_requested = Signal()
block_created = Signal()
user_activity_changed = Signal()
