"""HTTP endpoints of live audio rooms. The socket protocol is in consumers.py and the README."""

from drf_yasg.utils import no_body, swagger_auto_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mini_twitter.api.ids import ID_PATTERN
from mini_twitter.api.pagination import CursorPagination
from mini_twitter.api.schema import VALIDATION_ERROR
from mini_twitter.api.serializers import DetailSerializer

from . import selectors, services
from .serializers import RoomCreateSerializer, RoomJoinedSerializer, RoomSerializer

ERRORS = {400: DetailSerializer, 404: DetailSerializer}


class RoomViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Live audio rooms in the manner of Twitter Spaces: the audio goes peer to peer over WebRTC;
    the server keeps rooms, roles and signaling (``/ws/rooms/{id}/``)."""

    serializer_class = RoomSerializer
    pagination_class = CursorPagination
    lookup_value_regex = ID_PATTERN
    lookup_url_kwarg = "id"
    swagger_tags = ["rooms"]

    def get_queryset(self):
        return selectors.room_list_live()

    def _room(self, room_id, serializer_class=RoomSerializer):
        room = selectors.room_get(room_id=room_id)
        return Response(serializer_class(room, context=self.get_serializer_context()).data)

    @swagger_auto_schema(operation_description="Live rooms, newest first.")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @swagger_auto_schema(request_body=RoomCreateSerializer, responses={201: RoomSerializer, 400: VALIDATION_ERROR})
    def create(self, request):
        """Start a room: you are its host."""
        serializer = RoomCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        room = services.room_create(host=request.user, title=serializer.validated_data["title"])
        response = self._room(room.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    @swagger_auto_schema(responses={200: RoomSerializer, 404: DetailSerializer})
    def retrieve(self, request, id=None):
        """A room with its participants and their roles."""
        return self._room(id)

    @swagger_auto_schema(request_body=no_body, responses={200: RoomJoinedSerializer, 403: DetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def join(self, request, id=None):
        """Join as a listener (again: no change) and get the ICE servers; an ended or full room → 400;
        a room whose host blocks you or whom you block → 403."""
        services.room_join(room_id=id, user=request.user)
        return self._room(id, RoomJoinedSerializer)

    @swagger_auto_schema(request_body=no_body, responses={200: RoomSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def leave(self, request, id=None):
        """Leave (your room sockets close); the host leaving ends the room; not in it → 400."""
        services.room_leave(room_id=id, user=request.user)
        return self._room(id)

    @swagger_auto_schema(
        request_body=no_body, responses={200: RoomSerializer, 403: DetailSerializer, 404: DetailSerializer}
    )
    @action(detail=True, methods=["post"])
    def end(self, request, id=None):
        """End the room (host only): everyone receives ``ended`` and the sockets close."""
        services.room_end(room_id=id, user=request.user)
        return self._room(id)

    @swagger_auto_schema(request_body=no_body, responses={200: RoomSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def raise_hand(self, request, id=None):
        """Ask the host to speak (participants only; others → 400)."""
        services.hand_raise(room_id=id, user=request.user)
        return self._room(id)

    @swagger_auto_schema(
        methods=["post", "delete"],
        request_body=no_body,
        responses={200: RoomSerializer, 400: DetailSerializer, 403: DetailSerializer, 404: DetailSerializer},
        operation_description="Host only: POST makes a participant a speaker, DELETE a listener again; "
        "a user who is not a participant → 404.",
    )
    @action(detail=True, methods=["post", "delete"], url_path=rf"speakers/(?P<user_id>{ID_PATTERN})")
    def speakers(self, request, id=None, user_id=None):
        services.speaker_set(room_id=id, host=request.user, user_id=int(user_id), speaker=request.method == "POST")
        return self._room(id)
