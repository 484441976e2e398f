"""Statements on the busiest paths that PostgreSQL plans once per connection: plain SQL, and new rows.

Django sends every statement with its parameters quoted into the text (psycopg's client-side binding),
so PostgreSQL parses and plans each one afresh. On the busiest path, the 12345 platform's intake push
(benchmarks/README.md, "Appeal intake throughput"), a handful of plain-SQL statements run on every
request: the API token check, the pushing enterprise's look-up, the similar open appeals, the day's
number, the audit chain's lock and head. PostgreSQL spent longer planning them than running them.

`prepared_cursor()` is a cursor for such statements: on PostgreSQL its parameters travel apart from the
text (server-side binding) and each statement becomes a named prepared statement of the connection,
planned on its first executions and then reused (psycopg's `prepare=True`; connections persist,
settings.DATABASES CONN_MAX_AGE). Errors and query logging are Django's, as with `connection.cursor()`.
On SQLite it is `connection.cursor()`.

Only for plain SQL written with it in mind: with server-side binding a `%s` becomes `$n`, so a parameter
must stand where PostgreSQL can infer its type (a comparison with a column, a function argument), not
alone in a select list, and the same value used twice is two parameters. The ORM's own statements stay
client-side (Django's default): some of its queries, such as GROUP BY over parameters, need that.

`insert_new(obj)` writes a new row for an unsaved model instance as `obj.save()` would (the fields'
defaults and pre_save values such as auto_now_add, the id returned), with the INSERT composed once per
model and prepared. Composing it is most of what an ORM insert costs in Python (SQLInsertCompiler walks
every field on every call). It is for append-only rows written on the busiest paths (an appeal, its
ticket and history, the audit event). It sends no pre_save/post_save signals and refuses a model that
has receivers for them; a model whose save() does more than insert must keep using save().
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import signals
from psycopg.postgres import types as postgres_types
from psycopg.pq import Format


class PreparingCursor(psycopg.Cursor[Any]):
    """psycopg's server-side binding cursor with every statement prepared."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


class _LoggedPreparingCursor(CursorDebugWrapper):
    """Django's query log (settings.DEBUG, CaptureQueriesContext) for a prepared statement: the SQL with
    its parameters merged, as client-side cursors log it (the statement PostgreSQL ran has $n)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        logged = self.db.ops.compose_sql(sql, params) if params is not None else sql
        with self.debug_sql(logged, use_last_executed_query=False):
            return CursorWrapper.execute(self, sql, params)


@contextmanager
def prepared_cursor(using: str = DEFAULT_DB_ALIAS) -> Iterator[CursorWrapper]:
    """A cursor whose statements are prepared once per connection on PostgreSQL (module docstring)."""
    database = connections[using]
    if database.vendor != "postgresql":
        with database.cursor() as cursor:
            yield cursor
        return
    database.ensure_connection()
    if database.connection.prepare_threshold is None:
        # Django connects with no threshold, which turns preparing off for every cursor. Its own
        # cursors bind on the client side and never prepare whatever the threshold says, so setting
        # psycopg's default here affects only this module's statements.
        database.connection.prepare_threshold = 5
    with database.wrap_database_errors:
        raw = PreparingCursor(database.connection)
        _use_database_timezone(database, raw)
    wrapped = _LoggedPreparingCursor(raw, database) if database.queries_logged else database.make_cursor(raw)  # type: ignore[arg-type]
    with wrapped as cursor:
        yield cursor


def _use_database_timezone(database: Any, cursor: PreparingCursor) -> None:
    """Timestamps read in the connection's time zone, as Django's own cursors do (the postgresql
    backend's create_cursor): registered only when the connection's loader disagrees."""
    from django.db.backends.postgresql.psycopg_any import register_tzloader  # type: ignore[import-untyped]

    loader = database.connection.adapters.get_loader(postgres_types["timestamptz"].oid, Format.TEXT)
    if database.timezone != getattr(loader, "timezone", None):
        register_tzloader(database.timezone, cursor)


@dataclass(frozen=True)
class _InsertStatement:
    sql: str
    fields: tuple[models.Field[Any, Any], ...]
    returning: tuple[models.Field[Any, Any], ...]


_insert_statements: dict[tuple[str, type[models.Model], bool], _InsertStatement] = {}


def insert_new(obj: models.Model, using: str = DEFAULT_DB_ALIAS) -> None:
    """INSERTs an unsaved instance as obj.save() would, with the statement composed once (module
    docstring); sets the returned id and marks the instance saved. Sends no model signals."""
    if not obj._state.adding:
        raise ValueError(f"{obj._meta.label} #{obj.pk} is already saved: insert_new writes new rows only")
    if signals.pre_save.has_listeners(type(obj)) or signals.post_save.has_listeners(type(obj)):
        raise TypeError(f"{obj._meta.label} has pre_save or post_save receivers: it needs save()")
    database = connections[using]
    if not database.features.can_return_columns_from_insert:  # SQLite before 3.35
        obj.save(using=using, force_insert=True)
        return
    key = (using, type(obj), obj.pk is not None)  # with the id given, the id is one of the columns
    statement = _insert_statements.get(key)
    if statement is None:
        statement = _insert_statements[key] = _compose_insert(type(obj), database, pk_set=obj.pk is not None)
    # As save() does: refuse an unsaved related object, take the id of one saved after it was assigned.
    obj._prepare_related_fields_for_save(operation_name="insert_new")  # type: ignore[attr-defined]
    params = []
    for field in statement.fields:
        value = field.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):
            raise TypeError(f"{obj._meta.label}.{field.name}: insert_new takes values, not expressions")
        params.append(field.get_db_prep_save(value, connection=database))
    with prepared_cursor(using) as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone() if statement.returning else ()
    for field, value in zip(statement.returning, row, strict=True):
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = using


def _compose_insert(model: type[models.Model], database: Any, *, pk_set: bool) -> _InsertStatement:
    """The INSERT Model.save() issues for `model` (Model._save_table): its local concrete fields but
    the auto id and generated fields, RETURNING what the database fills in."""
    meta = model._meta
    if meta.parents:
        raise TypeError(f"{meta.label}: insert_new does not write inherited models")
    fields = [
        f for f in meta.local_concrete_fields if not f.generated and (pk_set or f is not meta.auto_field)
    ]
    for field in fields:
        if hasattr(field, "get_placeholder"):
            raise TypeError(f"{meta.label}.{field.name}: a field with its own placeholder needs the ORM")
    returning = list(meta.db_returning_fields)
    for field in returning:
        converters = field.get_db_converters(database)  # type: ignore[attr-defined]
        if converters or database.ops.get_db_converters(field.cached_col):
            raise TypeError(f"{meta.label}.{field.name}: a returned value to convert needs the ORM")
    suffix = database.ops.return_insert_columns(returning)[0] if returning else ""
    quote = database.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))}) {suffix}".rstrip()
    )
    return _InsertStatement(sql=sql, fields=tuple(fields), returning=tuple(returning))
