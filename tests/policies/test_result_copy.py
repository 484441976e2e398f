"""Writing match results with COPY (PostgreSQL): the rows, and the bulk load of a whole run, which
drops and recreates MatchResult's indexes and constraints exactly as the migrations made them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from huiqi.policies import result_copy, services
from huiqi.policies.models import MatchResult, PolicyItemVersion
from tests.factories import EnterpriseFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]


def _schema() -> tuple[set[tuple[str, str]], ...]:
    table = MatchResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
            [table],
        )
        constraints = set(cursor.fetchall())
        cursor.execute(
            "SELECT column_name, column_default FROM information_schema.columns WHERE table_name = %s",
            [table],
        )
        defaults = set(cursor.fetchall())
    return indexes, constraints, defaults


def _primary_key() -> list[str]:
    """The columns of MatchResult's primary key, in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT att.attname
            FROM pg_constraint con
            CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS key(attnum, position)
            JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = key.attnum
            WHERE con.conrelid = %s::regclass AND con.contype = 'p'
            ORDER BY key.position
            """,
            [MatchResult._meta.db_table],
        )
        return [name for (name,) in cursor.fetchall()]


@pytest.fixture
def version(make_item, write_yaml) -> PolicyItemVersion:
    report = services.import_policy_items(paths=[write_yaml("jn.yaml", make_item())])
    assert report.rejected == []
    return PolicyItemVersion.objects.get()


@pytest.mark.parametrize("bulk_load_min_rows", [0, 10**9])
def test_a_whole_run_replaces_every_row_and_keeps_the_indexes_and_constraints(
    version: PolicyItemVersion, bulk_load_min_rows: int
) -> None:
    first, second = EnterpriseFactory(), EnterpriseFactory()
    MatchResult.objects.create(
        enterprise=first,
        item_id=version.item_id,
        item_version=version,
        status="eligible",
        amount=Decimal(1),
        as_of=date(2020, 1, 1),
        evaluated_at=timezone.now(),
    )
    before = _schema()
    frame = pl.DataFrame(
        {
            "enterprise_id": [first.pk, second.pk],
            "item_code": [version.item.code] * 2,
            "status": ["eligible", "needs_info"],
            "amount": [Decimal("123456.79"), None],
        },
        schema_overrides={"amount": pl.Decimal(38, 2)},
    )
    stored = result_copy.copy_match_results(
        frame,
        {version.item.code: version},
        as_of=date(2026, 6, 30),
        evaluated_at=timezone.now(),
        replace_all=True,
        bulk_load_min_rows=bulk_load_min_rows,
    )
    assert stored == 2
    rows = {
        (row.enterprise_id, row.item_version_id, row.status, row.amount, row.as_of)
        for row in MatchResult.objects.all()
    }
    assert rows == {
        (first.pk, version.pk, "eligible", Decimal("123456.79"), date(2026, 6, 30)),
        (second.pk, version.pk, "needs_info", None, date(2026, 6, 30)),
    }
    assert _schema() == before
    assert _primary_key() == ["enterprise_id", "item_id"]
    # A new enterprise's row is accepted; the recreated primary key refuses a second (enterprise, item).
    MatchResult.objects.create(
        enterprise=EnterpriseFactory(),
        item_id=version.item_id,
        item_version=version,
        status="eligible",
        as_of=date(2026, 6, 30),
        evaluated_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchResult.objects.create(
            enterprise=first,
            item_id=version.item_id,
            item_version=version,
            status="eligible",
            as_of=date(2026, 6, 30),
            evaluated_at=timezone.now(),
        )
