"""Writes for rooms: create, join, leave, end, raise a hand, change roles, socket presence. Every
change is broadcast to the room's sockets after commit."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from mini_twitter.api.exceptions import DomainError
from mini_twitter.api.text import clean_text
from realtime.events import close_group, send_to_group
from users.models import User
from users.selectors import block_exists_between
from users.serializers import UserShortSerializer

from .models import Participant, Room


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def room_user_group(room_id: int, user_id: int) -> str:
    return f"room.{room_id}.user.{user_id}"


def _broadcast(room_id: int, type_: str, data: dict) -> None:
    transaction.on_commit(lambda: send_to_group(room_group(room_id), {"type": type_, "data": data}))


def _short(user: User) -> dict:
    return dict(UserShortSerializer(user).data)


def _locked(room_id: int) -> Room:
    room = Room.objects.select_for_update().filter(pk=room_id).first()
    if room is None:
        raise Http404("No such room.")
    return room


def room_create(*, host: User, title: str) -> Room:
    title = clean_text(title, field="title", noun="room title", max_length=100, single_line=True)
    with transaction.atomic():
        room = Room.objects.create(title=title, host=host)
        Participant.objects.create(room=room, user=host, role=Participant.Role.HOST)
    return room


def room_join(*, room_id: int, user: User) -> Room:
    with transaction.atomic():
        room = _locked(room_id)
        if not room.is_live:
            raise DomainError("This room has ended.")
        if block_exists_between(user_id=user.pk, other_id=room.host_id):
            raise PermissionDenied("You cannot join a room whose host blocks you or whom you block.")
        if Participant.objects.filter(room=room, user=user).exists():
            return room  # joining again changes nothing
        if Participant.objects.filter(room=room).count() >= settings.ROOM_MAX_PARTICIPANTS:
            raise DomainError("This room is full.")
        participant = Participant.objects.create(room=room, user=user, role=Participant.Role.LISTENER)
        _broadcast(room.pk, "joined", {"user": _short(user), "role": participant.role})
    return room


def _end(room: Room) -> None:
    room.status = Room.Status.ENDED
    room.ended_at = timezone.now()
    room.save(update_fields=["status", "ended_at"])
    room_id = room.pk
    _broadcast(room_id, "ended", {})
    transaction.on_commit(lambda: close_group(room_group(room_id)))


def room_leave(*, room_id: int, user: User, gone_since=None) -> Room:
    """The host leaving ends the room; anyone else leaves alone (their room sockets close). With
    ``gone_since`` (a presence expiry) only a participant without a socket since then leaves: the
    condition is part of the delete, so a socket reopened in the meantime keeps them in."""
    with transaction.atomic():
        room = _locked(room_id)
        leaving = Participant.objects.filter(room=room, user=user)
        if gone_since is not None:
            leaving = leaving.filter(sockets=0, disconnected_at__lte=gone_since)
        deleted, _ = leaving.delete()
        if not deleted:
            raise DomainError("You are not in this room.")
        _broadcast(room.pk, "left", {"user": _short(user)})
        room_id, user_id = room.pk, user.pk
        transaction.on_commit(lambda: close_group(room_user_group(room_id, user_id)))
        if room.is_live and (room.host_id == user.pk or not Participant.objects.filter(room=room).exists()):
            _end(room)
    return room


def rooms_leave_across_block(*, user_ids: list[int]) -> int:
    """A block between two users (``user_ids``, whichever blocked whom): the one who is in a live
    room the other hosts leaves it, as with :func:`room_leave` (``left`` broadcast, their room
    sockets closed). Nothing when the block is gone by now. Returns how many left."""
    one, other = user_ids
    if not block_exists_between(user_id=one, other_id=other):
        return 0
    across = Q(room__host_id=one, user_id=other) | Q(room__host_id=other, user_id=one)
    participants = Participant.objects.filter(across, room__status=Room.Status.LIVE).select_related("user__profile")
    left = 0
    for participant in participants:
        try:
            room_leave(room_id=participant.room_id, user=participant.user)
        except (DomainError, Http404):
            continue  # left, or the room ended, meanwhile
        left += 1
    return left


def room_end(*, room_id: int, user: User) -> Room:
    with transaction.atomic():
        room = _locked(room_id)
        if room.host_id != user.pk:
            raise PermissionDenied("Only the host can end the room.")
        if room.is_live:
            _end(room)
    return room


def hand_raise(*, room_id: int, user: User) -> Room:
    with transaction.atomic():
        room = _locked(room_id)
        if not room.is_live or not Participant.objects.filter(room=room, user=user).update(hand_raised=True):
            raise DomainError("Only participants of a live room can raise a hand.")
        _broadcast(room.pk, "hand_raised", {"user": _short(user)})
    return room


def speaker_set(*, room_id: int, host: User, user_id: int, speaker: bool) -> Room:
    """The host makes a participant a speaker (``speaker=True``) or a listener again."""
    with transaction.atomic():
        room = _locked(room_id)
        if room.host_id != host.pk:
            raise PermissionDenied("Only the host can change roles.")
        participant = Participant.objects.select_related("user__profile").filter(room=room, user_id=user_id).first()
        if participant is None:
            raise Http404("That user is not in this room.")
        if participant.role == Participant.Role.HOST:
            raise DomainError("The host's role does not change.")
        if not room.is_live:
            raise DomainError("This room has ended.")
        participant.role = Participant.Role.SPEAKER if speaker else Participant.Role.LISTENER
        participant.hand_raised = False
        participant.save(update_fields=["role", "hand_raised"])
        _broadcast(room.pk, "role_changed", {"user": _short(participant.user), "role": participant.role})
    return room


# --- presence -------------------------------------------------------------------------------


def socket_opened(*, room_id: int, user_id: int) -> None:
    Participant.objects.filter(room_id=room_id, user_id=user_id).update(
        sockets=F("sockets") + 1, disconnected_at=None, seen_at=timezone.now()
    )


def presence_seen(*, room_id: int, user_id: int) -> None:
    """A heartbeat of one of the participant's open room sockets."""
    Participant.objects.filter(room_id=room_id, user_id=user_id, sockets__gt=0).update(seen_at=timezone.now())


def socket_closed(*, room_id: int, user_id: int) -> None:
    with transaction.atomic():
        participant = Participant.objects.select_for_update().filter(room_id=room_id, user_id=user_id).first()
        if participant is None:
            return
        participant.sockets = max(0, participant.sockets - 1)
        if participant.sockets == 0:
            participant.disconnected_at = timezone.now()
        participant.save(update_fields=["sockets", "disconnected_at"])


def presence_expire(*, room_id: int, user_id: int) -> bool:
    """After the grace period: a participant whose sockets all stayed closed leaves the room."""
    grace = timezone.now() - timedelta(seconds=settings.ROOM_PRESENCE_GRACE_SECONDS)
    user = User.objects.select_related("profile").filter(pk=user_id).first()
    if user is None:
        return False
    try:
        room_leave(room_id=room_id, user=user, gone_since=grace)
    except (DomainError, Http404):
        return False
    return True


def presence_sweep() -> int:
    """What the web processes could not do (the beat runs this every minute): the sockets of a
    participant unseen for three heartbeats count as closed from their last heartbeat (their web
    process died without closing them), and every participant of a live room whose grace period
    is over without a socket leaves it, as their expiry timer would have made them. Returns how many
    left."""
    now = timezone.now()
    stale = now - timedelta(seconds=3 * settings.ROOM_PRESENCE_HEARTBEAT_SECONDS)
    Participant.objects.filter(sockets__gt=0, seen_at__lt=stale).update(sockets=0, disconnected_at=F("seen_at"))
    grace = now - timedelta(seconds=settings.ROOM_PRESENCE_GRACE_SECONDS)
    due = Participant.objects.filter(
        sockets=0, disconnected_at__isnull=False, disconnected_at__lte=grace, room__status=Room.Status.LIVE
    ).values_list("room_id", "user_id")
    return sum(presence_expire(room_id=room_id, user_id=user_id) for room_id, user_id in list(due))
