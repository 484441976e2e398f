"""PostgreSQL only: leave a fifth of each page of the sums free, so that the constant small updates of
refresh_appeal_fact stay on their page (HOT updates: no index change, no bloat, and the rows of a
date stay together, which is what keeps reading a period cheap)."""

from django.db import migrations

TABLES = (
    "appeal_metrics_appealdailystats",
    "appeal_metrics_appealmonthlystats",
    "appeal_metrics_appealdepartmentdailystats",
    "appeal_metrics_appealtermdaily",
    "appeal_metrics_appealtermmonthly",
)


def set_fillfactor(apps, schema_editor, value=80):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} SET (fillfactor = {value})")


def reset_fillfactor(apps, schema_editor):  # type: ignore[no-untyped-def]
    set_fillfactor(apps, schema_editor, value=100)


class Migration(migrations.Migration):
    dependencies = [("appeal_metrics", "0001_initial")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
