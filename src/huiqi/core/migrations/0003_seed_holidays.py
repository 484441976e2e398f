"""Seeds the working-day calendar from the `chinesecalendar` package (2004-2026), so that every fresh
database counts working days by the State Council schedules (国务院办公厅关于节假日安排的通知) from
the start. Years already entered are left alone. About 800 rows in one bulk insert: fast."""

from django.db import migrations

from huiqi.core.holiday_sources import SOURCE_CHINESECALENDAR, chinesecalendar_rows

FIRST_YEAR = 2004
LAST_YEAR = 2026


def seed(apps, schema_editor):
    Holiday = apps.get_model("core", "Holiday")
    CalendarYear = apps.get_model("core", "CalendarYear")
    rows, years = chinesecalendar_rows(first_year=FIRST_YEAR, last_year=LAST_YEAR)
    existing = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
    wanted = {year for year in years if year not in existing}
    if not wanted:
        return
    present = set(Holiday.objects.values_list("date", flat=True))
    Holiday.objects.bulk_create(
        [
            Holiday(date=row.date, is_working_day=row.is_working_day, name=row.name)
            for row in rows
            if row.date.year in wanted and row.date not in present
        ]
    )
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=year, source=SOURCE_CHINESECALENDAR) for year in sorted(wanted)]
    )


def unseed(apps, schema_editor):
    Holiday = apps.get_model("core", "Holiday")
    CalendarYear = apps.get_model("core", "CalendarYear")
    seeded = CalendarYear.objects.filter(
        source=SOURCE_CHINESECALENDAR, year__gte=FIRST_YEAR, year__lte=LAST_YEAR
    )
    for year in seeded.values_list("year", flat=True):
        Holiday.objects.filter(date__year=year).delete()
    seeded.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_append_only"),
    ]

    operations = [
        migrations.RunPython(seed, unseed, elidable=False),
    ]
