"""Live audio rooms and their participants."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Room(models.Model):
    class Status(models.TextChoices):
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"

    title = models.CharField(max_length=100)
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_rooms")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.LIVE)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["-created_at", "-id"], condition=models.Q(status="live"), name="rooms_room_live_idx")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE


class Participant(models.Model):
    """A user in a room, from joining (REST) until leaving. ``sockets`` counts their open room
    sockets; ``disconnected_at`` starts the presence grace period when the last one closes;
    ``seen_at`` is the last heartbeat of any of their open sockets (a web process that died leaves
    its sockets counted, and their heartbeats stopped)."""

    class Role(models.TextChoices):
        HOST = "host", "Host"
        SPEAKER = "speaker", "Speaker"
        LISTENER = "listener", "Listener"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_participations")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.LISTENER)
    hand_raised = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)
    sockets = models.PositiveIntegerField(default=0)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="rooms_participant_unique")]
        indexes = [
            # The presence sweep: connected participants whose heartbeats stopped, and disconnected
            # ones whose grace period is over; everyone else is left out of both indexes.
            models.Index(fields=["seen_at"], condition=models.Q(sockets__gt=0), name="rooms_part_connected_idx"),
            models.Index(
                fields=["disconnected_at"],
                condition=models.Q(sockets=0, disconnected_at__isnull=False),
                name="rooms_part_disconnected_idx",
            ),
        ]
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id} as {self.role}"
