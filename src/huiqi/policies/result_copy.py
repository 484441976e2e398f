"""Writing many match results at once: PostgreSQL's COPY, and a bulk load for a whole-registry run.

services.record_match_results stores the eligible and needs_info results of every enterprise against
every item in force: tens of millions of rows for a city's registry and library (1.5 million
enterprises x 500 items gave 23 million rows in benchmarks/README.md). Django's bulk_create spends
microseconds of Python per value, and on PostgreSQL every inserted row also updates the table's two
indexes (the (enterprise, item) primary key and (item, status)), so:

* on PostgreSQL the rows go through ``COPY ... FROM STDIN`` as CSV written by Polars (no Python
  object per value);
* a run that replaces every row (``replace_all``) of at least BULK_LOAD_MIN_ROWS rows follows
  PostgreSQL's advice for populating a table ("Populating a Database" in the manual: remove indexes
  and foreign keys, load, recreate): the table is truncated, its primary key (the (enterprise, item)
  pair), indexes and constraints are dropped, the rows are copied, and all of them are recreated
  from their own definitions, read from the catalogue, so their names and definitions stay exactly
  what the migrations made. All of it runs in the caller's transaction: another session sees the
  old results until the commit (and waits for the table meanwhile: TRUNCATE takes an exclusive
  lock).
* other databases (SQLite in development and tests) keep bulk_create.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import polars as pl
from django.db import connection

from huiqi.policies.models import MatchResult, PolicyItemVersion

#: Bytes handed to COPY per write.
COPY_BLOCK = 1 << 20
#: Rows written to one CSV buffer at a time (memory stays bounded by one chunk).
COPY_CHUNK_ROWS = 2_000_000
#: From this many rows, a whole run drops and recreates the indexes (below, COPY into them is cheaper).
BULK_LOAD_MIN_ROWS = 500_000
_COLUMNS = ("enterprise_id", "item_id", "item_version_id", "status", "amount", "as_of", "evaluated_at")


#: Sort memory for rebuilding MatchResult's indexes after a whole-run bulk load (PostgreSQL).
MAINTENANCE_WORK_MEM = "1GB"


def supports_copy() -> bool:
    return connection.vendor == "postgresql"


def copy_match_results(
    frame: pl.DataFrame,
    versions: Mapping[str, PolicyItemVersion],
    *,
    as_of: date,
    evaluated_at: datetime,
    replace_all: bool,
    bulk_load_min_rows: int = BULK_LOAD_MIN_ROWS,
) -> int:
    """COPY the rows of ``frame`` (enterprise_id, item_code, status, amount) into MatchResult.

    PostgreSQL only, inside the caller's transaction. With ``replace_all`` every existing row is
    removed first, and from ``bulk_load_min_rows`` rows the table is bulk-loaded (see the module
    docstring); otherwise the caller has removed the rows these rows replace. Returns the number of
    rows written.
    """
    table = MatchResult._meta.db_table
    codes = list(versions)
    code = pl.col("item_code").cast(pl.String)
    rows = frame.select(
        pl.col("enterprise_id"),
        code.replace_strict(codes, [versions[name].item_id for name in codes]).alias("item_id"),
        code.replace_strict(codes, [versions[name].pk for name in codes]).alias("item_version_id"),
        pl.col("status").cast(pl.String),
        pl.col("amount"),
        pl.lit(as_of.isoformat()).alias("as_of"),
        pl.lit(evaluated_at.isoformat()).alias("evaluated_at"),
    )
    quote = connection.ops.quote_name
    columns = list(_COLUMNS)
    with connection.cursor() as cursor:
        dropped: list[str] = []
        bulk_load = replace_all and rows.height >= bulk_load_min_rows
        if replace_all:
            # Deferred foreign-key checks still queued in this transaction would block TRUNCATE and
            # the ALTER TABLE of the referenced tables: check them now (Django's foreign keys are
            # DEFERRABLE INITIALLY DEFERRED; they are deferred again below).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {quote(table)}")
        if bulk_load:
            dropped = _drop_indexes_and_constraints(cursor, table)
            # The run's date and time as column defaults for the load instead of text parsed per row.
            rows = rows.drop("as_of", "evaluated_at")
            columns = [column for column in columns if column not in ("as_of", "evaluated_at")]
            for column, value in (("as_of", as_of), ("evaluated_at", evaluated_at)):
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET DEFAULT %s", [value]
                )
                dropped.insert(0, f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} DROP DEFAULT")
        with cursor.cursor.copy(
            f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN (FORMAT csv)"
        ) as copy:
            for start in range(0, rows.height, COPY_CHUNK_ROWS):
                buffer = io.BytesIO()
                rows.slice(start, COPY_CHUNK_ROWS).write_csv(buffer, include_header=False)
                view = buffer.getbuffer()
                for offset in range(0, len(view), COPY_BLOCK):
                    copy.write(view[offset : offset + COPY_BLOCK])
                del view
        if dropped:
            # Rebuilding the indexes of tens of millions of rows sorts them: give the sort memory for
            # this transaction only, instead of the 64 MB default that spills it to disk.
            cursor.execute("SET LOCAL maintenance_work_mem = %s", [MAINTENANCE_WORK_MEM])
        for statement in dropped:
            cursor.execute(statement)
        if replace_all:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return rows.height


def _drop_indexes_and_constraints(cursor: Any, table: str) -> list[str]:
    """Drop every foreign key, unique constraint, index and the primary key of ``table``; return the
    statements that recreate them as they were (primary key, indexes, unique constraints, then
    foreign keys)."""
    cursor.execute(
        """
        SELECT con.conname, pg_get_constraintdef(con.oid), con.contype
        FROM pg_constraint con
        WHERE con.conrelid = %s::regclass AND con.contype IN ('f', 'u', 'p')
        ORDER BY con.conname
        """,
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT idx.relname, pg_get_indexdef(ind.indexrelid)
        FROM pg_index ind JOIN pg_class idx ON idx.oid = ind.indexrelid
        WHERE ind.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ind.indexrelid
                          AND con.conrelid = ind.indrelid)
        ORDER BY idx.relname
        """,
        [table],
    )
    indexes = cursor.fetchall()
    quote = connection.ops.quote_name
    by_kind = {
        kind: [(name, definition) for name, definition, of in constraints if of == kind] for kind in "pfu"
    }
    for name, _definition in [*by_kind["f"], *by_kind["u"], *by_kind["p"]]:
        cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {quote(name)}")

    def add(kind: str) -> list[str]:
        return [
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
            for name, definition in by_kind[kind]
        ]

    return [*add("p"), *(definition for _name, definition in indexes), *add("u"), *add("f")]


def bulk_create_match_results(
    frame: pl.DataFrame,
    versions: Mapping[str, PolicyItemVersion],
    *,
    as_of: date,
    evaluated_at: datetime,
    batch_size: int,
) -> int:
    """The portable path (SQLite): bulk_create in batches."""
    stored = 0
    batch: list[MatchResult] = []
    for enterprise_id, code, status, amount in frame.iter_rows():
        version = versions[code]
        batch.append(
            MatchResult(
                enterprise_id=enterprise_id,
                item_id=version.item_id,
                item_version=version,
                status=status,
                amount=amount,
                as_of=as_of,
                evaluated_at=evaluated_at,
            )
        )
        if len(batch) >= batch_size:
            MatchResult.objects.bulk_create(batch)
            stored += len(batch)
            batch = []
    if batch:
        MatchResult.objects.bulk_create(batch)
        stored += len(batch)
    return stored
