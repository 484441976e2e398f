"""Moving chunks of enterprises between Python and the database fast enough for 1.5 million rows.

The ORM's bulk_create and bulk_update cost more than everything else of an import put together
(SQLite's 999-parameter batches; CASE WHEN updates), so the import speaks SQL here, through
Django's own connection (same transaction, same settings), with the table and column names taken
from the models:
- existing rows of a chunk: one query by USCC, returning *canonical* values (DATA-CONTRACT section 1
  forms: amounts as "1234.50", dates as "YYYY-MM-DD") computed by the database, so comparing a file
  row with the registry is a plain equality in Python;
- new rows on PostgreSQL: ids reserved from the table's sequence, then COPY (psycopg 3), for the
  enterprises and for their history rows; elsewhere (SQLite) executemany and a read-back of the ids;
- changed rows on PostgreSQL: COPY into a temporary table, then one UPDATE ... FROM; on SQLite
  executemany of one UPDATE per row.

SQLite stores DECIMAL as NUMERIC (a float when it has cents), so amounts keep 15 significant digits
there: exact for anything below 10^13 yuan. PostgreSQL keeps numeric(20,2) exactly.
"""

import itertools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db import connection, transaction

from huiqi.enterprises.io.fields import COLUMNS, FIELD_NAMES, SIZE_CLASS, money_from_db
from huiqi.enterprises.models import Enterprise, ProfileChange

ENTERPRISE_TABLE = Enterprise._meta.db_table
CHANGE_TABLE = ProfileChange._meta.db_table
_MONEY_FIELDS = frozenset(c.name for c in COLUMNS if c.from_db is money_from_db)
# Columns read back for comparison: the contract's fields then size_class.
COMPARED_FIELDS: tuple[str, ...] = (*FIELD_NAMES, SIZE_CLASS)
_INSERT_COLUMNS: tuple[str, ...] = (*FIELD_NAMES, SIZE_CLASS, "status", "created_at", "updated_at")
_CHANGE_COLUMNS: tuple[str, ...] = (
    "enterprise_id",
    "field",
    "old_value",
    "new_value",
    "source",
    "source_ref",
    "batch_id",
    "changed_by_id",
    "changed_at",
)
_SQLITE_IN_BATCH = 900
_PG_LOOKUP_BATCH = 1000
_COMPARED = itemgetter(*COMPARED_FIELDS)


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def db_datetime(value: datetime) -> Any:
    """A timestamp as raw SQL wants it: psycopg takes aware datetimes; SQLite wants Django's text form."""
    return value if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(value)


def _canonical_select() -> str:
    """The SELECT list of `id` and COMPARED_FIELDS with amounts and dates rendered as canonical text."""
    parts = ["id"]
    for name in COMPARED_FIELDS:
        column = _qn(name)
        if connection.vendor == "postgresql" and (name in _MONEY_FIELDS or name == "established_on"):
            parts.append(f"{column}::text")
        elif connection.vendor == "sqlite" and name in _MONEY_FIELDS:
            parts.append(f"CASE WHEN {column} IS NULL THEN NULL ELSE printf('%.2f', {column}) END")
        elif connection.vendor == "sqlite" and name == "established_on":
            # An expression has no declared type, so Django's "date" converter leaves the text alone.
            parts.append(f"CAST({column} AS TEXT)")
        else:
            parts.append(column)
    return ", ".join(parts)


@contextmanager
def chunk_transaction() -> Iterator[None]:
    """The transaction of one chunk of an import (reads and writes together, few round trips).

    On PostgreSQL it sets synchronous_commit off for this transaction, so the commit of each chunk
    does not wait for the WAL to reach the disk. That risks nothing an import needs: a crash loses
    at most the last chunks, which a re-run (idempotent) writes again, and the import's last commit
    (its audit event, the batch's status) is synchronous, which flushes all of the WAL before it.
    """
    is_outermost = not connection.in_atomic_block
    with transaction.atomic():
        # Only for a transaction of its own: inside a caller's transaction (an atomic import) SET
        # LOCAL would make the caller's final commit asynchronous too.
        if is_outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield


def fetch_existing(usccs: Sequence[str]) -> dict[str, tuple[int, tuple[Any, ...]]]:
    """uscc -> (id, canonical values in COMPARED_FIELDS order) for those of `usccs` in the registry."""
    if not usccs:
        return {}
    select = f"SELECT {_canonical_select()} FROM {_qn(ENTERPRISE_TABLE)}"
    red_list_index = COMPARED_FIELDS.index("red_list")
    found: dict[str, tuple[int, tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The unique index, always: a table being filled has no statistics yet, and the planner
            # then estimates that 1,000 codes match nearly every row and scans the whole table for
            # each chunk (with 10,000 codes it does so even with statistics). SET LOCAL ends with the
            # transaction (the chunk's; for an atomic import the import's: harmless, its queries all
            # use indexes). At most 1,000 codes per part; one text parameter rather than an array,
            # which psycopg quotes faster (USCCs never contain a comma).
            # The parts go as one statement (UNION ALL): one round trip per chunk.
            parts = [
                usccs[start : start + _PG_LOOKUP_BATCH] for start in range(0, len(usccs), _PG_LOOKUP_BATCH)
            ]
            sql = " UNION ALL ".join([f"({select} WHERE uscc = ANY(string_to_array(%s, ',')))"] * len(parts))
            with transaction.atomic(savepoint=False):
                # No parallel workers either: starting them costs more than 10,000 index probes.
                cursor.execute(
                    "SET LOCAL enable_seqscan = off; SET LOCAL max_parallel_workers_per_gather = 0"
                )
                cursor.execute(sql, [",".join(part) for part in parts])
                rows: list[Sequence[Any]] = cursor.fetchall()
        elif connection.vendor == "sqlite":
            cursor.execute(
                f"{select} WHERE uscc IN (SELECT value FROM json_each(%s))", [json.dumps(list(usccs))]
            )
            # SQLite stores booleans as 0/1.
            rows = [
                (*row[: red_list_index + 1], bool(row[red_list_index + 1]), *row[red_list_index + 2 :])
                for row in cursor.fetchall()
            ]
        else:
            rows = []
            for start in range(0, len(usccs), _SQLITE_IN_BATCH):
                part = usccs[start : start + _SQLITE_IN_BATCH]
                cursor.execute(f"{select} WHERE uscc IN ({', '.join(['%s'] * len(part))})", list(part))
                rows.extend(cursor.fetchall())
    for row in rows:
        values = tuple(row[1:])
        found[values[0]] = (row[0], values)
    return found


def profile_row(profile: dict[str, Any]) -> tuple[Any, ...]:
    """A complete canonical profile (COMPARED_FIELDS keys) as the tuple insert_enterprises takes."""
    return _COMPARED(profile)


def insert_enterprises(profiles: list[tuple[Any, ...]], *, now: datetime) -> list[int]:
    """Inserts profiles given as profile_row() tuples; returns their ids in the same order."""
    if not profiles:
        return []
    stamp = db_datetime(now)
    tail = ("active", stamp, stamp)
    rows = [profile + tail for profile in profiles]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [ENTERPRISE_TABLE, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = ", ".join(_qn(c) for c in ("id", *_INSERT_COLUMNS))
            with cursor.copy(f"COPY {_qn(ENTERPRISE_TABLE)} ({columns}) FROM STDIN") as copy:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *row))
            return ids
        columns = ", ".join(_qn(c) for c in _INSERT_COLUMNS)
        marks = ", ".join(["%s"] * len(_INSERT_COLUMNS))
        cursor.executemany(f"INSERT INTO {_qn(ENTERPRISE_TABLE)} ({columns}) VALUES ({marks})", rows)
        if connection.vendor == "sqlite":
            # SQLite has one writer: inside this transaction the rows just inserted took consecutive
            # rowids ending at last_insert_rowid(). Checked at both ends before it is trusted.
            cursor.execute("SELECT last_insert_rowid()")
            last = cursor.fetchone()[0]
            ids = list(range(last - len(rows) + 1, last + 1))
            cursor.execute(
                f"SELECT id, uscc FROM {_qn(ENTERPRISE_TABLE)} WHERE id IN (%s, %s)", [ids[0], ids[-1]]
            )
            ends = dict(cursor.fetchall())
            if ends.get(ids[0]) == profiles[0][0] and ends.get(ids[-1]) == profiles[-1][0]:  # uscc first
                return ids
        usccs = [profile[0] for profile in profiles]
        by_uscc: dict[str, int] = {}
        for start in range(0, len(usccs), _SQLITE_IN_BATCH):
            part = usccs[start : start + _SQLITE_IN_BATCH]
            cursor.execute(
                f"SELECT uscc, id FROM {_qn(ENTERPRISE_TABLE)} WHERE uscc IN ({', '.join(['%s'] * len(part))})",
                part,
            )
            by_uscc.update(cursor.fetchall())
    return [by_uscc[uscc] for uscc in usccs]


@contextmanager
def tuned_for_bulk() -> Iterator[None]:
    """SQLite's default page cache (2 MB) is far smaller than the registry's indexes, so each insert
    rereads pages from the OS: a larger cache for the duration of an import, restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MB, allocated only as pages are used
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def update_enterprises(fields: Sequence[str], rows: list[tuple[Any, ...]], *, now: datetime) -> None:
    """Sets `fields` (plus updated_at) of each row: each row is (*canonical values in `fields` order, id)."""
    if not rows:
        return
    stamp = db_datetime(now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Set-based: COPY the new values into a temporary table shaped like the registry's
            # columns, then one UPDATE ... FROM. (executemany formats and sends one UPDATE per row:
            # ~8,000 rows a second; this is several times faster.)
            temp = _qn(f"huiqi_import_update_{next(_update_serials)}")
            columns = ", ".join(_qn(name) for name in ("id", *fields))
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} AS SELECT {columns} FROM {_qn(ENTERPRISE_TABLE)} WITH NO DATA"
            )
            with cursor.copy(f"COPY {temp} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row[-1], *row[:-1]))
            assignments = ", ".join(f"{_qn(name)} = t.{_qn(name)}" for name in fields)
            cursor.execute(
                f"UPDATE {_qn(ENTERPRISE_TABLE)} AS e SET {assignments}, updated_at = %s FROM {temp} AS t "
                f"WHERE e.id = t.id",
                [stamp],
            )
            cursor.execute(f"DROP TABLE {temp}")
            return
        assignments = ", ".join(f"{_qn(name)} = %s" for name in (*fields, "updated_at"))
        sql = f"UPDATE {_qn(ENTERPRISE_TABLE)} SET {assignments} WHERE id = %s"
        cursor.executemany(sql, [(*row[:-1], stamp, row[-1]) for row in rows])


_update_serials = itertools.count(1)  # temporary tables get distinct names within one transaction


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def insert_creations(ids: list[int], tail: tuple[Any, ...]) -> None:
    """Appends the creation history row (field "*") of each new enterprise; `tail` holds source,
    source_ref, batch_id, changed_by_id and changed_at, the same for all. On PostgreSQL the rows are
    formatted here, one f-string each: 1.5 million of them go through COPY in a second."""
    if not ids:
        return
    if connection.vendor != "postgresql":
        insert_changes([(pk, "*", None, None, *tail) for pk in ids])
        return
    rest = "\t".join(_copy_text(value) for value in tail)
    columns = ", ".join(_qn(c) for c in _CHANGE_COLUMNS)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {_qn(CHANGE_TABLE)} ({columns}) FROM STDIN") as copy,
    ):
        copy.write("".join([f"{pk}\t*\t\\N\t\\N\t{rest}\n" for pk in ids]))


def insert_changes(rows: list[tuple[Any, ...]]) -> None:
    """Appends ProfileChange rows, each a tuple in _CHANGE_COLUMNS order."""
    if not rows:
        return
    columns = ", ".join(_qn(c) for c in _CHANGE_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {_qn(CHANGE_TABLE)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(_CHANGE_COLUMNS))
        cursor.executemany(f"INSERT INTO {_qn(CHANGE_TABLE)} ({columns}) VALUES ({marks})", rows)
