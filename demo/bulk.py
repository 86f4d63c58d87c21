"""Bulk loading of generated rows, fast: ``COPY`` on PostgreSQL (``bulk_create`` elsewhere), primary
keys taken in advance, and transactions that skip what generated data does not need. Used by the
seeding (demo/seeding.py) and by the benchmark's fixtures (bench/run.py)."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, models, transaction
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone


class BulkWriter:
    """Bulk insert of rows given as tuples of ``fields`` (other columns get their defaults): COPY on
    PostgreSQL, ``bulk_create`` elsewhere."""

    def __init__(self, model: type[models.Model], fields: list[str], batch_size: int):
        meta = model._meta
        self.model = model
        self.batch_size = batch_size
        self.fields = [meta.get_field(name) for name in fields]
        supplied = {field.attname for field in self.fields}
        now = timezone.now()
        extra = []
        for field in meta.concrete_fields:
            if field.attname in supplied or isinstance(field, AutoFieldMixin):
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            else:
                value = field.get_default()
            if isinstance(field, models.JSONField) and connection.vendor == "postgresql":
                from psycopg.types.json import Jsonb

                value = Jsonb(value)  # COPY takes no bare dict
            extra.append((field, value))
        self.extra_fields = [field for field, _ in extra]
        self.extra_values = tuple(value for _, value in extra)
        self.attnames = [field.attname for field in (*self.fields, *self.extra_fields)]
        self.postgres = connection.vendor == "postgresql"

    def write(self, rows) -> int:
        rows = list(rows)
        if not rows:
            return 0
        if self.postgres:
            columns = ", ".join(connection.ops.quote_name(f.column) for f in (*self.fields, *self.extra_fields))
            table = connection.ops.quote_name(self.model._meta.db_table)
            extra = self.extra_values
            with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + extra if extra else row)
        else:
            model, attnames, extra = self.model, self.attnames, self.extra_values
            self.model.objects.bulk_create(
                [model(**dict(zip(attnames, row + extra, strict=True))) for row in rows], batch_size=self.batch_size
            )
        return len(rows)


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``, ascending (from its sequence on PostgreSQL)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            (sequence,) = cursor.fetchone()
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(column)}) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        start = (cursor.fetchone()[0] or 0) + 1
        return list(range(start, start + count))


def chunks(seq: Sequence, size: int) -> Iterator[Sequence]:
    """``seq`` in consecutive slices of ``size`` (the last one shorter)."""
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


_SKIP_FK_CHECKS: bool | None = None


def _can_skip_fk_checks() -> bool:
    """Only a superuser may set ``session_replication_role``; others keep the (slower) FK checks."""
    global _SKIP_FK_CHECKS
    if _SKIP_FK_CHECKS is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
        _SKIP_FK_CHECKS = bool(row and row[0])
    return _SKIP_FK_CHECKS


@contextmanager
def fast_transaction():
    """A transaction for writing generated rows. On PostgreSQL it does not wait for the WAL flush at
    commit, and, when allowed, skips the foreign-key triggers (``session_replication_role``): every
    reference the generator writes points at a row it has just read or written, and the checks would
    cost about 40 % of the load time."""
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield
            return
        skip_fk = _can_skip_fk_checks()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            if skip_fk:
                cursor.execute("SET LOCAL session_replication_role TO replica")
        yield
        if skip_fk:
            # Back to normal right away: inside an outer transaction (tests) SET LOCAL would outlive us.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role TO DEFAULT")
