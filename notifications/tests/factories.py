import factory

from notifications.models import Notification
from posts.tests.factories import PostFactory
from users.tests.factories import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    """A like notification on a post of the recipient's (each with its own actor and post)."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    actor = factory.SubFactory(UserFactory)
    type = Notification.Type.LIKE
    post = factory.LazyAttribute(lambda o: PostFactory(author=o.recipient))
    dedupe_key = factory.LazyAttribute(lambda o: f"{o.type}:{o.actor.pk}:{o.post.pk if o.post else ''}")
