"""HTTP endpoints for direct messages: my conversations, starting one, its messages, sending, leaving a
group, and my unread total. Only participants see a conversation: anyone else gets 404 everywhere."""

from drf_yasg import openapi
from drf_yasg.utils import no_body, swagger_auto_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from mini_twitter.api.ids import ID_PATTERN
from mini_twitter.api.pagination import CursorPagination
from mini_twitter.api.schema import CURSOR_PARAMETERS, paginated
from mini_twitter.api.serializers import DetailSerializer

from . import selectors, services
from .models import MAX_MESSAGE_LENGTH, MAX_PARTICIPANTS, MAX_TITLE_LENGTH, Conversation
from .serializers import (
    ConversationCreateSerializer,
    ConversationSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    UnreadCountSerializer,
)

ERROR = openapi.Response("Error", DetailSerializer)
NOT_FOUND = openapi.Response("Not a participant (or no such conversation).", DetailSerializer)


class ConversationCursorPagination(CursorPagination):
    """Most recent activity first. A conversation with new activity moves to the top: pages already
    read neither shift nor repeat, and the moved conversation shows when the list is read again from
    the start."""

    ordering = ("-updated_at", "-id")


class ConversationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My direct-message conversations (one-to-one and groups) and their messages."""

    serializer_class = ConversationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = ConversationCursorPagination
    filter_backends = []
    # Ids a bigint column can hold (longer ones would overflow the query): anything else is a 404.
    lookup_value_regex = ID_PATTERN
    lookup_url_kwarg = "id"
    swagger_tags = ["messages"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Conversation.objects.none()
        return selectors.conversation_list(user=self.request.user)

    def _conversation_response(self, conversation_id: int, status_code=status.HTTP_200_OK) -> Response:
        conversation = selectors.conversation_get(user=self.request.user, conversation_id=conversation_id)
        return Response(self.get_serializer(conversation).data, status=status_code)

    @swagger_auto_schema(
        operation_description="My conversations (not the groups I left), most recent activity first, each "
        "with its current participants, last message and my unread count. Cursor pagination: a conversation "
        "with new activity moves to the top, so pages already read neither shift nor repeat; read the list "
        "again from the start to see it.",
        responses={401: ERROR},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @swagger_auto_schema(
        request_body=ConversationCreateSerializer,
        responses={
            201: openapi.Response("A new conversation.", ConversationSerializer),
            200: openapi.Response(
                "The one-to-one conversation with that user, which already existed.", ConversationSerializer
            ),
            400: "No other user, unknown or inactive users, more than "
            f"{MAX_PARTICIPANTS} participants, a title on a one-to-one conversation or one over "
            f"{MAX_TITLE_LENGTH} characters.",
            401: ERROR,
            403: openapi.Response(
                "A user named only accepts messages from people they follow, and does not follow you; or "
                "blocks you, or you block them.",
                DetailSerializer,
            ),
        },
        operation_description="Start a conversation with `participant_ids`, the other users (you are added; "
        "your own id and repeated ids are ignored). One other user: the one-to-one conversation with them, "
        "created once (201) and returned as it is when it exists (200, also under concurrent requests). "
        f"Two or more: a new group (201) with an optional `title`, at most {MAX_PARTICIPANTS} people in "
        "all. Users whose `allow_messages_from` is `following` can be added only by people they follow "
        "(403 otherwise, naming them).",
    )
    def create(self, request):
        serializer = ConversationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.conversation_create(
            creator=request.user,
            participant_ids=serializer.validated_data["participant_ids"],
            title=serializer.validated_data.get("title"),
        )
        return self._conversation_response(
            result.conversation.pk, status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )

    @swagger_auto_schema(
        responses={200: ConversationSerializer, 401: ERROR, 404: NOT_FOUND},
        operation_description="One of my conversations. Anyone who is not a participant (or left the group) "
        "gets 404, as on every action below.",
    )
    def retrieve(self, request, id=None):
        return self._conversation_response(id)

    @swagger_auto_schema(
        manual_parameters=CURSOR_PARAMETERS,
        responses={200: paginated(MessageSerializer), 400: "Invalid cursor.", 401: ERROR, 404: NOT_FOUND},
        operation_description="The conversation's messages, newest first (cursor pagination). Reading a page "
        "marks its messages, and all older ones, read for me, with their `message` notifications.",
    )
    @action(detail=True, methods=["get"], pagination_class=CursorPagination)
    def messages(self, request, id=None):
        participant = selectors.participant_get(user=request.user, conversation_id=id)
        page = self.paginate_queryset(selectors.message_list(conversation_id=participant.conversation_id))
        if page:
            services.conversation_mark_read(participant=participant, up_to=max(m.created_at for m in page))
        data = MessageSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @swagger_auto_schema(
        request_body=MessageCreateSerializer,
        responses={
            201: MessageSerializer,
            400: f"Empty (after trimming), over {MAX_MESSAGE_LENGTH} characters, or a NUL character.",
            401: ERROR,
            403: openapi.Response(
                "One-to-one: the other user only accepts messages from people they follow, and does not follow "
                "you; or blocks you, or you block them.",
                DetailSerializer,
            ),
            404: NOT_FOUND,
        },
        operation_description="Send a message: it becomes the conversation's latest activity, everything "
        "before it counts as read by me (its `message` notifications included), and the other current "
        "participants get a `message` notification.",
    )
    @action(detail=True, methods=["post"])
    def send_message(self, request, id=None):
        # Who may see the conversation first: a stranger learns nothing, not even from a 400.
        selectors.participant_get(user=request.user, conversation_id=id)
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.message_send(
            conversation_id=int(id), sender=request.user, content=serializer.validated_data["content"]
        )
        message = selectors.message_get(message_id=message.pk)
        return Response(
            MessageSerializer(message, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @swagger_auto_schema(
        request_body=no_body,
        responses={
            200: DetailSerializer,
            400: openapi.Response("A one-to-one conversation cannot be left.", DetailSerializer),
            401: ERROR,
            404: NOT_FOUND,
        },
        operation_description="Leave a group conversation: it disappears from my list and answers 404 to me "
        "from now on, I get no more notifications from it, and the others see me gone from its participants. "
        "My messages stay.",
    )
    @action(detail=True, methods=["post"])
    def leave(self, request, id=None):
        services.conversation_leave(user=request.user, conversation_id=id)
        return Response({"detail": "You left the conversation."})

    @swagger_auto_schema(responses={200: UnreadCountSerializer, 401: ERROR})
    @action(detail=False, methods=["get"], pagination_class=None)
    def unread_count(self, request):
        """How many messages from others I have not read, over all my conversations."""
        return Response({"unread_count": selectors.message_unread_count(user_id=request.user.pk)})
