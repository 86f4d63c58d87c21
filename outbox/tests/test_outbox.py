"""The transactional outbox: a task is recorded with its write, sent after commit, kept until it
succeeds, and sent again by the drain when the broker lost it, its worker died or it failed."""

from datetime import timedelta
from unittest import mock

import psycopg
import pytest
from amqp.exceptions import MessageNacked, PreconditionFailed
from billiard.exceptions import WorkerLostError
from celery import shared_task
from celery.exceptions import Ignore, Retry
from django.db import OperationalError as DjangoOperationalError
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from mini_twitter.celery import app as celery_app
from outbox import services, signals
from outbox.models import OutboxTask
from tests.support import LiveServices, skip_unless_available

pytestmark = pytest.mark.django_db(transaction=True)

runs: list[dict] = []


@shared_task(name="outbox.tests.record")
def record_task(**kwargs) -> None:
    runs.append(kwargs)


@shared_task(name="outbox.tests.fail")
def fail_task(**kwargs) -> None:
    raise RuntimeError("a transient outage")


@pytest.fixture
def broker(monkeypatch):
    """Tasks go to a broker (not run inline): what is published is captured, not run."""
    runs.clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    sent: list[tuple[str, dict, dict]] = []

    def apply_async(self, args=None, kwargs=None, headers=None, **options):
        sent.append((self.name, kwargs, headers or {}))

    monkeypatch.setattr("celery.app.task.Task.apply_async", apply_async)
    yield sent
    celery_app.conf.task_always_eager = eager


def run_as_worker(name: str, kwargs: dict, headers: dict) -> None:
    """What a worker does with a message: run it with its headers (the success signal fires)."""
    celery_app.tasks[name].apply(kwargs=kwargs, headers=headers)


def test_a_task_is_recorded_with_its_write_and_sent_after_commit(broker):
    with transaction.atomic():
        services.enqueue_on_commit(record_task, post_id=7)
        row = OutboxTask.objects.get()
        assert (row.name, row.kwargs, row.worker, row.attempts) == ("outbox.tests.record", {"post_id": 7}, "", 0)
        assert broker == []  # not before commit
    assert broker == [("outbox.tests.record", {"post_id": 7}, {"outbox_id": row.pk})]
    run_as_worker(*broker[0])
    assert runs == [{"post_id": 7}]
    assert not OutboxTask.objects.exists()  # done: the row goes


def test_a_rolled_back_write_owes_nothing(broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.enqueue_on_commit(record_task, post_id=7)
        raise RuntimeError
    assert broker == [] and not OutboxTask.objects.exists()


def test_a_batch_writes_its_rows_in_one_insert_and_each_task_goes_with_its_own_row(broker, django_assert_num_queries):
    with transaction.atomic():
        with django_assert_num_queries(2), services.batched():  # the check below, then one INSERT
            services.enqueue_on_commit(record_task, post_id=7)
            services.run_on_commit(fail_task, user_id=4)
            assert not OutboxTask.objects.exists()  # not before the block ends
        rows = {row.name: row for row in OutboxTask.objects.all()}
        assert rows.keys() == {"outbox.tests.record", "outbox.tests.fail"}
    # After commit: the first sent, the second run here, failed and sent; each with its row's id.
    assert broker == [
        ("outbox.tests.record", {"post_id": 7}, {"outbox_id": rows["outbox.tests.record"].pk}),
        ("outbox.tests.fail", {"user_id": 4}, {"outbox_id": rows["outbox.tests.fail"].pk}),
    ]


def test_a_batch_that_raises_writes_nothing_and_owes_nothing(broker):
    with pytest.raises(RuntimeError), transaction.atomic(), services.batched():
        services.enqueue_on_commit(record_task, post_id=7)
        raise RuntimeError
    assert broker == [] and not OutboxTask.objects.exists()
    services.enqueue_on_commit(record_task, post_id=8)  # after the block: recorded at once again
    assert OutboxTask.objects.get().kwargs == {"post_id": 8}


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("down"),
        # RabbitMQ refusing a publish (confirm_publish), or a channel error such as a full queue.
        MessageNacked(),
        PreconditionFailed("inequivalent arg 'x-queue-type'", (50, 10), "Queue.declare"),
    ],
    ids=["down", "nacked", "channel-error"],
)
def test_with_the_broker_down_the_request_leaves_the_task_due_at_once_for_the_drain(
    broker, monkeypatch, settings, error
):
    settings.OUTBOX_RESEND_QUEUED_SECONDS = 300
    monkeypatch.setattr("celery.app.task.Task.apply_async", mock.Mock(side_effect=error))
    services.enqueue_on_commit(record_task, post_id=1)
    row = OutboxTask.objects.get()
    assert runs == []  # not run in the request
    assert row.due_at <= timezone.now()  # the first drain after the broker is back sends it
    assert services.outbox_drain() == 0  # still down: nothing sent, nothing counted
    row.refresh_from_db()
    assert row.attempts == 0 and row.due_at <= timezone.now()


def test_a_task_that_failed_for_good_is_due_after_the_growing_delay(broker, settings):
    settings.OUTBOX_RESEND_QUEUED_SECONDS = 60
    services.enqueue_on_commit(fail_task, post_id=1)
    row = OutboxTask.objects.get()
    OutboxTask.objects.filter(pk=row.pk).update(attempts=3)
    services.outbox_claim(outbox_id=row.pk, worker="w1@host", time_limit=90)
    signals.task_failed(sender=mock.Mock(request={services.HEADER: row.pk}), exception=RuntimeError("bug"))
    row.refresh_from_db()
    assert row.worker == "" and 60 * 8 - 1 < due_in(row) <= 60 * 8
    # A worker that died is not a failure of the task: the time limit decides.
    services.outbox_claim(outbox_id=row.pk, worker="w1@host", time_limit=90)
    signals.task_failed(sender=mock.Mock(request={services.HEADER: row.pk}), exception=WorkerLostError())
    row.refresh_from_db()
    assert row.worker == "w1@host"


def test_run_on_commit_runs_here_and_sends_to_the_broker_only_when_that_fails(broker):
    services.run_on_commit(record_task, user_id=3)
    assert runs == [{"user_id": 3}] and broker == [] and not OutboxTask.objects.exists()
    services.run_on_commit(fail_task, user_id=4)
    row = OutboxTask.objects.get()
    assert broker == [("outbox.tests.fail", {"user_id": 4}, {"outbox_id": row.pk})]


def test_the_drain_sends_again_what_is_due_with_growing_delays(broker, settings):
    settings.OUTBOX_RESEND_QUEUED_SECONDS = 60
    services.enqueue_on_commit(record_task, post_id=1)
    services.enqueue_on_commit(record_task, post_id=2)
    lost, waiting = OutboxTask.objects.order_by("pk")
    broker.clear()  # the broker came back empty
    assert services.outbox_drain() == 0  # queued for less than a minute: not yet
    OutboxTask.objects.filter(pk=lost.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    before = timezone.now()
    assert services.outbox_drain() == 1
    assert broker == [("outbox.tests.record", {"post_id": 1}, {"outbox_id": lost.pk})]
    lost.refresh_from_db()
    assert lost.attempts == 1 and lost.due_at >= before + timedelta(seconds=60)
    OutboxTask.objects.filter(pk=lost.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    services.outbox_drain()
    lost.refresh_from_db()
    assert lost.attempts == 2 and lost.due_at >= before + timedelta(seconds=120)
    run_as_worker(*broker[-1])
    assert runs == [{"post_id": 1}]
    assert list(OutboxTask.objects.values_list("pk", flat=True)) == [waiting.pk]


def test_a_started_task_is_due_after_its_time_limit_and_a_restarted_worker_sends_its_own_at_once(broker, settings):
    settings.OUTBOX_STARTED_GRACE_SECONDS = 15
    services.enqueue_on_commit(record_task, post_id=1)
    services.enqueue_on_commit(record_task, post_id=2)
    mine, other = OutboxTask.objects.order_by("pk")
    services.outbox_claim(outbox_id=mine.pk, worker="w1@host", time_limit=90)
    services.outbox_claim(outbox_id=other.pk, worker="w2@host", time_limit=90)
    mine.refresh_from_db()
    assert mine.worker == "w1@host"
    assert timedelta(seconds=100) < mine.due_at - timezone.now() <= timedelta(seconds=105)
    broker.clear()
    assert services.outbox_drain(worker="w1@host") == 1  # w1 died while running it
    assert broker == [("outbox.tests.record", {"post_id": 1}, {"outbox_id": mine.pk})]
    other.refresh_from_db()
    assert other.worker == "w2@host" and other.attempts == 0


def test_a_retry_pushes_the_task_back_until_its_countdown_has_passed(broker, settings):
    settings.OUTBOX_RESEND_QUEUED_SECONDS = 300
    services.enqueue_on_commit(record_task, post_id=1)
    row = OutboxTask.objects.get()
    services.outbox_claim(outbox_id=row.pk, worker="w1@host", time_limit=90)
    services.outbox_retrying(outbox_id=row.pk, countdown=120)
    row.refresh_from_db()
    assert row.worker == ""
    assert timedelta(seconds=415) < row.due_at - timezone.now() <= timedelta(seconds=420)


def test_without_a_broker_tasks_run_inline_and_nothing_is_recorded(settings):
    runs.clear()
    assert celery_app.conf.task_always_eager
    with transaction.atomic():
        services.enqueue_on_commit(record_task, post_id=5)
        assert runs == []
    assert runs == [{"post_id": 5}] and not OutboxTask.objects.exists()


def due_in(row: OutboxTask) -> float:
    row.refresh_from_db()
    return (row.due_at - timezone.now()).total_seconds()


def test_a_retried_task_is_due_after_its_own_countdown(broker, settings):
    """A retry whose message the broker loses is sent again soon after it should have run, not
    after the longest backoff."""
    settings.OUTBOX_RESEND_QUEUED_SECONDS = 10
    services.enqueue_on_commit(fail_task, post_id=1)
    row = OutboxTask.objects.get()
    request = {services.HEADER: row.pk}
    services.outbox_claim(outbox_id=row.pk, worker="w1@host", time_limit=90)
    signals.task_retried(sender=fail_task, request=request, reason=Retry("again", when=3))
    assert 12 < due_in(row) <= 13
    signals.task_retried(sender=fail_task, request=request, reason=Retry("again", when=timezone.now()))
    assert 9 < due_in(row) <= 10
    # Cancelled by its worker's main process on a lost connection (no reason): that process keeps
    # off the database; the row stays due when the task's time limit has passed.
    before = due_in(row)
    signals.task_retried(sender=fail_task, request=request, reason=None, einfo=None)
    assert due_in(row) == pytest.approx(before, abs=1)


def test_bookkeeping_from_the_worker_survives_a_cut_database_connection(broker):
    services.enqueue_on_commit(record_task, post_id=1)
    row = OutboxTask.objects.get()
    done = services.outbox_done
    calls = []

    def cut_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise DjangoOperationalError("terminating connection due to administrator command")
        done(**kwargs)

    with mock.patch.object(services, "outbox_done", side_effect=cut_once):
        signals.task_succeeded(sender=mock.Mock(request={services.HEADER: row.pk}))
    assert len(calls) == 2
    assert not OutboxTask.objects.exists()


def test_a_success_is_recorded_on_a_fresh_connection_after_the_database_cut_the_old_one(broker):
    problem = None if connection.vendor == "postgresql" else "needs PostgreSQL (pg_terminate_backend)"
    skip_unless_available(problem, "PostgreSQL")
    services.enqueue_on_commit(record_task, post_id=1)
    row = OutboxTask.objects.get()
    pid = connection.connection.info.backend_pid
    with psycopg.connect(LiveServices().test_database_url(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    signals.task_succeeded(sender=mock.Mock(request={services.HEADER: row.pk}))
    assert not OutboxTask.objects.exists()


def test_a_copy_of_a_task_runs_only_if_it_claims_its_row(broker, settings):
    """A resent copy is skipped once another copy has done the work, or while one is running it."""
    settings.OUTBOX_STARTED_GRACE_SECONDS = 15
    services.enqueue_on_commit(record_task, post_id=1)
    row = OutboxTask.objects.get()

    def run_copy(worker: str):
        task = celery_app.tasks["outbox.tests.record"]
        task.push_request(hostname=worker, is_eager=False, called_directly=False, **{services.HEADER: row.pk})
        try:
            task.before_start("id", (), {"post_id": 1})
        finally:
            task.pop_request()

    run_copy("w1@host")  # the first copy claims the row
    row.refresh_from_db()
    assert row.worker == "w1@host"
    with pytest.raises(Ignore):
        run_copy("w2@host")  # a second copy while the first runs
    OutboxTask.objects.filter(pk=row.pk).update(due_at=timezone.now())  # the first one's time is up
    run_copy("w2@host")
    services.outbox_done(outbox_id=row.pk)
    with pytest.raises(Ignore):
        run_copy("w3@host")  # done: a late copy does nothing
    assert runs == []
