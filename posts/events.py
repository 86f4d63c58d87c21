"""What happens to posts, announced right after commit to the layers above (a streaming API
subscribes in its ``AppConfig.ready``); posts knows none of its listeners.

- ``post_published(sender=Post, post_id=..., author_id=...)``: a new post is stored.
- ``post_edited(sender=Post, post_id=...)``: a post's content changed.
- ``post_removed(sender=Post, post_id=..., author_id=..., visibility=..., hashtag_ids=[...])``: a
  post is deleted (what its audience was, since the row is gone).
- ``retweet_published(sender=Post, retweet_id=...)``: a post is retweeted.
- ``retweet_removed(sender=Post, retweet_id=..., user_id=...)``: a retweet is undone.

Sent with ``send_robust``: a failing listener is logged and never fails the write that committed.
"""

import logging

from django.db import transaction
from django.dispatch import Signal

from .models import Post

logger = logging.getLogger(__name__)

post_published = Signal()
post_edited = Signal()
post_removed = Signal()
retweet_published = Signal()
retweet_removed = Signal()


def announce_on_commit(signal: Signal, **kwargs) -> None:
    def send() -> None:
        for receiver, result in signal.send_robust(sender=Post, **kwargs):
            if isinstance(result, Exception):
                logger.error("%s failed on %s", receiver, kwargs, exc_info=result)

    transaction.on_commit(send)
