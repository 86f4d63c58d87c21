"""The transactional outbox: one row per task that a committed write owes, kept until the task has
run to success, so that a lost broker message or a killed worker delays the work but never loses it."""

from django.db import models
from django.utils import timezone


class OutboxTask(models.Model):
    name = models.CharField(max_length=200, help_text="The Celery task's name.")
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    # When the drain sends the task again if it has not succeeded by then.
    due_at = models.DateTimeField()
    # The worker running it (empty while queued): a worker that starts again under the same name
    # sends at once what it was running when it died.
    worker = models.CharField(max_length=255, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0, help_text="Times sent again by the drain.")

    class Meta:
        indexes = [
            models.Index(fields=["due_at"], name="outbox_due_idx"),
            models.Index(fields=["worker"], name="outbox_worker_idx", condition=~models.Q(worker="")),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"
