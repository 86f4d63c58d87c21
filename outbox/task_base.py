"""The base class of every Celery task of the project (``Celery(task_cls=...)``): a task sent for an
outbox row runs only if it can claim the row, so a copy sent again (a resend that crossed a slow
queue, a redelivery after the drain already sent it) is skipped once another copy has done the
work, or while another copy is running it."""

import logging

from celery import Task
from celery.exceptions import Ignore
from django.db import DatabaseError

logger = logging.getLogger(__name__)


class OwedTask(Task):
    def before_start(self, task_id, args, kwargs):
        from . import services  # the models: loaded once Django is set up

        outbox_id = services.outbox_id_of(self.request)
        if outbox_id is None or self.request.is_eager:
            return
        limit = self.time_limit or self.app.conf.task_time_limit or 0
        try:
            claimed = services.outbox_claim(
                outbox_id=outbox_id, worker=self.request.hostname or "", time_limit=float(limit)
            )
        except DatabaseError:
            logger.warning("outbox row %s of %s not claimed; running it anyway", outbox_id, self.name, exc_info=True)
            return
        if not claimed:
            logger.info("%s: outbox row %s is done or running elsewhere; skipped", self.name, outbox_id)
            raise Ignore()
