"""Reads for rooms."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from .models import Participant, Room


def _rooms() -> QuerySet[Room]:
    return Room.objects.select_related("host__profile").prefetch_related(
        Prefetch(
            "participants", queryset=Participant.objects.select_related("user__profile").order_by("joined_at", "id")
        )
    )


def room_list_live() -> QuerySet[Room]:
    return _rooms().filter(status=Room.Status.LIVE)


def room_get(*, room_id: int) -> Room:
    return get_object_or_404(_rooms(), pk=room_id)
