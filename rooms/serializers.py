"""Serializers for rooms."""

from django.conf import settings
from drf_yasg.utils import swagger_serializer_method
from rest_framework import serializers

from users.serializers import UserShortSerializer

from .models import Participant, Room


class ParticipantSerializer(serializers.ModelSerializer):
    user = UserShortSerializer(read_only=True)

    class Meta:
        model = Participant
        fields = ("user", "role", "hand_raised")
        read_only_fields = fields


class RoomSerializer(serializers.ModelSerializer):
    host = UserShortSerializer(read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)

    class Meta:
        model = Room
        fields = ("id", "title", "host", "status", "participants", "created_at", "ended_at")
        read_only_fields = fields


class IceServerSerializer(serializers.Serializer):
    urls = serializers.ListField(child=serializers.CharField())
    username = serializers.CharField(required=False)
    credential = serializers.CharField(required=False)


class RoomJoinedSerializer(RoomSerializer):
    """The room, plus the STUN/TURN servers for the peer connections."""

    ice_servers = serializers.SerializerMethodField()

    class Meta(RoomSerializer.Meta):
        fields = (*RoomSerializer.Meta.fields, "ice_servers")
        read_only_fields = fields

    @swagger_serializer_method(serializer_or_field=IceServerSerializer(many=True))
    def get_ice_servers(self, room) -> list[dict]:
        return IceServerSerializer(settings.ICE_SERVERS, many=True).data


class RoomCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=400, trim_whitespace=False, help_text="1..100 characters after trimming.")
