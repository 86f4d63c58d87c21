import factory

from messaging import services
from messaging.models import Conversation, Message
from users.tests.factories import UserFactory


class ConversationFactory(factory.django.DjangoModelFactory):
    """A conversation made through the service: one-to-one by default, a group with ``members`` of
    two or more."""

    class Meta:
        model = Conversation

    creator = factory.SubFactory(UserFactory)
    members = factory.LazyFunction(lambda: [UserFactory()])
    title = None

    @classmethod
    def _create(cls, model_class, creator, members, title=None):
        result = services.conversation_create(creator=creator, participant_ids=[m.pk for m in members], title=title)
        return result.conversation


class MessageFactory(factory.django.DjangoModelFactory):
    """A message sent through the service (by the conversation's creator unless ``sender`` is given)."""

    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    sender = factory.LazyAttribute(lambda o: o.conversation.created_by)
    content = factory.Sequence(lambda n: f"message number {n}")

    @classmethod
    def _create(cls, model_class, conversation, sender, content):
        return services.message_send(conversation_id=conversation.pk, sender=sender, content=content)
