"""Benchmark: the appeals metrics page (huiqi.appeals.metrics) over a year of a large city.

Generates AppealFact rows for 2,000,000 appeals registered in one year (plus, by default, half as
many again in the six months before it, so that "compared with the previous period" reads real
data), with realistic shapes: fewer appeals at weekends, 5 channels, 5 kinds, 60 second-level
categories under 12 first-level ones (skewed), 40 departments chosen mostly by category (as the
routing rules do), direct replies, merged appeals, handling times, follow-ups and five key terms
per appeal from a vocabulary of about 3,600 words. Facts are bulk-loaded (COPY on PostgreSQL),
the per-day and per-month sums are rebuilt from them (rebuild.rebuild_appeal_sums, timed), and then

  * the selector appeal_metrics (every figure, breakdown, trend and hot topic of the page) is timed
    for the year (trend by month, week and day), a month, a week and a custom range, unfiltered and
    with each filter (channel, kind, first- and second-level category, department), for the whole
    city and for one department's handler;
  * the whole page (view + template) and the XLSX export are timed through Django's test client;
  * the incremental path is timed on real tickets: refresh_appeal_fact after each transition of
    --walk appeals taken through registration, dispatch, acceptance, reply, approval and follow-up.

    .venv/bin/python benchmarks/appeals_metrics.py [--count 2000000] [--lead-months 6]
        [--postgres postgresql://postgres@127.0.0.1:54411/postgres] [--runs 5] [--walk 200]

SQLite by default (a fresh file under --work-dir); with --postgres the script creates (and drops
first) the database `huiqi_bench_metrics` on that server. Results are printed as Markdown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "huiqi_bench_metrics"
YEAR = 2025
#: Facts of generated appeals get ids from here (no Appeal row); real appeals of --walk stay below.
SYNTHETIC_IDS = 1_000_000_000

CATEGORY_TREE = [
    ("政策兑现", ["奖补资金", "税费优惠", "政策咨询", "资质认定", "免申即享"]),
    ("要素保障", ["用电", "用水", "用气", "用地", "厂房"]),
    ("融资服务", ["贷款", "担保", "上市", "保险", "应急转贷"]),
    ("人才用工", ["招工", "社保", "人才落户", "住房", "培训"]),
    ("审批服务", ["开办", "许可", "施工许可", "竣工验收", "年报"]),
    ("市场监管", ["执法", "知识产权", "质量", "计量", "广告"]),
    ("公平竞争", ["拖欠账款", "招投标", "政府采购", "垄断", "合同"]),
    ("交通物流", ["道路", "停车", "货运", "港口", "公交"]),
    ("环境保护", ["环评", "排污", "噪音", "固废", "扬尘"]),
    ("城市管理", ["占道", "市政", "绿化", "供暖", "拆迁"]),
    ("科技创新", ["研发", "高企认定", "成果转化", "平台", "孵化"]),
    ("外贸外资", ["通关", "出口退税", "外汇", "外资准入", "展会"]),
]  # fmt: skip
MORPHEMES = (
    "厂房", "用电", "增容", "租金", "补贴", "奖励", "资金", "拨付", "退税", "留抵", "贷款", "担保", "利率", "社保", "缴费", "招工", "人才",
    "公寓", "落户", "许可", "审批", "验收", "消防", "环评", "排污", "噪音", "道路", "施工", "停车", "物流", "货运", "港口", "通关", "外汇",
    "出口", "专利", "商标", "质量", "计量", "执法", "罚款", "检查", "合同", "账款", "拖欠", "工程", "采购", "招标", "研发", "认定", "平台",
    "孵化", "成果", "转化", "培训", "供暖", "供水", "燃气", "绿化", "拆迁", "占道", "市政", "展会", "外资", "准入", "年报", "开办", "注销",
)  # fmt: skip


def configure(args: argparse.Namespace) -> str:
    work = Path(args.work_dir)
    if work.exists() and not args.reuse:
        shutil.rmtree(work)
    (work / "static").mkdir(parents=True, exist_ok=True)
    os.environ["HUIQI_VAR_DIR"] = str(work)
    if args.postgres:
        import psycopg

        if not args.reuse:
            with psycopg.connect(args.postgres, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
                connection.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(args.postgres)._replace(path=f"/{BENCH_DB}"))
        engine = "PostgreSQL"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
        engine = "SQLite"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiqi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return engine


def reference_data():
    """Departments (a city bureau per area, and districts) and the category tree, as real rows."""
    from huiqi.accounts.models import Department
    from huiqi.appeals.models import Category

    departments = [
        Department.objects.create(code=f"B{i:02d}", name=f"市第{i + 1}局", level="city", sort_order=i)
        for i in range(40)
    ]
    tops, children = [], []
    for i, (name, subs) in enumerate(CATEGORY_TREE):
        top = Category.objects.create(code=f"C{i:02d}", name=name, sort_order=i)
        tops.append(top)
        for j, sub in enumerate(subs):
            children.append(Category.objects.create(code=f"C{i:02d}{j}", name=sub, parent=top, sort_order=j))
    return departments, children


def generate_facts(args: argparse.Namespace, departments, categories, seed: int = 7):
    """The facts as a Polars DataFrame (numpy for speed: 3 million rows in a few seconds)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    first = np.datetime64(dt.date(YEAR, 1, 1) - dt.timedelta(days=round(args.lead_months * 30.44)), "D")
    last = np.datetime64(dt.date(YEAR, 12, 31), "D")
    days = np.arange(first, last + 1)
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    weight = np.where(weekday >= 5, 0.35, 1.0) * (1 + 0.15 * np.sin(np.arange(len(days)) / 58.0))
    in_year = days >= np.datetime64(dt.date(YEAR, 1, 1), "D")
    year_share = weight[in_year].sum() / weight.sum()
    n = int(args.count / year_share)
    day_index = rng.choice(len(days), size=n, p=weight / weight.sum())
    day_index.sort()
    registered = days[day_index]

    channel = rng.choice(
        ["hotline", "web", "app", "mayor_line", "visit"], n, p=[0.55, 0.15, 0.20, 0.02, 0.08]
    )
    kind = rng.choice(
        ["consultation", "help", "complaint", "suggestion", "praise"], n, p=[0.45, 0.25, 0.18, 0.10, 0.02]
    )
    cat_weight = 1 / np.arange(1, len(categories) + 1) ** 0.8
    cat_index = rng.choice(len(categories), n, p=cat_weight / cat_weight.sum())
    cat_ids = np.array([c.pk for c in categories])[cat_index]
    l1_ids = np.array([c.parent_id for c in categories])[cat_index]
    # routing: each category has a primary department (85%) and three alternatives
    primary = rng.integers(0, len(departments), len(categories))
    alternates = rng.integers(0, len(departments), (len(categories), 3))
    dept_index = np.where(
        rng.random(n) < 0.85, primary[cat_index], alternates[cat_index, rng.integers(0, 3, n)]
    )
    dept_ids = np.array([d.pk for d in departments])[dept_index]

    merged = rng.random(n) < 0.02
    direct = ~merged & (rng.random(n) < np.where(kind == "consultation", 0.6, 0.03))
    dept_ids = np.where(direct | (merged & (rng.random(n) < 0.5)), 0, dept_ids)
    recent = (last - registered).astype(np.int64) < 10
    closed = merged | direct | (rng.random(n) < np.where(recent, 0.5, 0.97))
    handled = closed & ~merged & ~direct
    handling = np.round(rng.lognormal(np.log(2.2), 0.6, n), 4)
    calendar_days = np.where(direct | merged, 0, np.ceil(handling * 1.4)).astype(int)
    closed_on = np.minimum(registered + calendar_days, last)
    reopened = handled & (rng.random(n) < 0.03)
    on_time = handled & (rng.random(n) < 0.96)
    rounds = np.where(handled, 1 + reopened, 0)
    department_days = np.where(handled, np.round(handling * 0.6, 4), 0)
    followed = closed & ~merged & (rng.random(n) < 0.85)
    follow_lag = np.where(direct, rng.integers(1, 4, n), 0)
    followed_on = np.minimum(closed_on + follow_lag, last)
    resolved = followed & (rng.random(n) < 0.95)
    satisfaction = rng.choice(["satisfied", "fairly_satisfied", "dissatisfied"], n, p=[0.85, 0.13, 0.02])

    vocabulary = np.array([a + b for a in MORPHEMES for b in MORPHEMES if a != b])
    rng.shuffle(vocabulary)
    # each category draws from its own 150 words (5 strata of 30, so an appeal's 5 terms differ)
    cat_terms = rng.integers(0, len(vocabulary), (len(categories), 5, 30))
    zipf = 1 / np.arange(1, 31) ** 1.1
    picks = rng.choice(30, (n, 5), p=zipf / zipf.sum())
    how_many = rng.integers(3, 6, n)
    term_index = cat_terms[cat_index[:, None], np.arange(5)[None, :], picks]
    words = vocabulary[term_index]
    terms = [" ".join(row[:k]) for row, k in zip(words.tolist(), how_many.tolist(), strict=True)]

    frame = pl.DataFrame(
        {
            "appeal_id": np.arange(1, n + 1) + SYNTHETIC_IDS,
            "registered_on": registered,
            "closed_on": closed_on,
            "followed_up_on": followed_on,
            "channel": channel,
            "kind": kind,
            "category_id": cat_ids,
            "category_l1_id": l1_ids,
            "department_id": dept_ids,
            "is_merged": merged,
            "is_direct_reply": direct,
            "is_closed": closed,
            "handling_days": handling,
            "is_on_time": on_time,
            "reopen_count": reopened.astype(np.int64),
            "department_rounds": rounds.astype(np.int64),
            "department_days": department_days,
            "is_resolved": resolved,
            "satisfaction": satisfaction,
            "terms": terms,
            "_handled": handled,
            "_followed": followed,
        }
    )
    handled_col, followed_col = pl.col("_handled"), pl.col("_followed")
    return frame.with_columns(
        pl.col("registered_on").cast(pl.Date),
        pl.when(pl.col("is_closed")).then(pl.col("closed_on").cast(pl.Date)).alias("closed_on"),
        pl.when(followed_col).then(pl.col("followed_up_on").cast(pl.Date)).alias("followed_up_on"),
        pl.when(handled_col).then(pl.col("handling_days")).alias("handling_days"),
        pl.when(handled_col).then(pl.col("is_on_time")).alias("is_on_time"),
        pl.when(followed_col).then(pl.col("is_resolved")).alias("is_resolved"),
        pl.when(followed_col).then(pl.col("satisfaction")).otherwise(pl.lit("")).alias("satisfaction"),
        pl.lit(dt.datetime(YEAR + 1, 1, 1, tzinfo=dt.UTC)).alias("refreshed_at"),
    ).drop("_handled", "_followed")


def load_facts(frame, engine: str) -> None:
    from django.db import connection, transaction

    from huiqi.appeals.metrics.models import AppealFact

    table = AppealFact._meta.db_table
    columns = frame.columns
    if engine == "PostgreSQL":
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, null_value="")
        buffer.seek(0)
        quoted = ", ".join(columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN WITH (FORMAT csv, NULL '')") as copy,
        ):
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
        return
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, frame.height, 50_000):
            cursor.executemany(sql, frame.slice(start, 50_000).rows())


def timed(function, runs: int) -> tuple[float, float, object]:
    result = function()  # warm-up (first query plans, caches)
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations), max(durations), result


def walk_tickets(count: int, departments) -> tuple[int, list[float]]:
    """Real appeals through the workflow, refresh_appeal_fact after each transition (timed)."""
    from huiqi.accounts.models import User
    from huiqi.appeals import services
    from huiqi.appeals.metrics.facts import refresh_appeal_fact

    agent, _ = User.objects.get_or_create(username="bench-agent", defaults={"role": "agent"})
    dispatcher, _ = User.objects.get_or_create(username="bench-dispatcher", defaults={"role": "dispatcher"})
    handler, _ = User.objects.get_or_create(
        username="bench-handler", defaults={"role": "handler", "department": departments[0]}
    )
    texts = [
        "新建厂房用电增容申请一个月没有进展，影响投产，请协调供电公司。",
        "高新技术企业奖补资金迟迟没有拨付，多次询问无果。",
        "工业园区道路施工导致货车无法进出，影响物流。",
        "留抵退税申请提交后一直没有审核结果。",
    ]
    durations: list[float] = []

    def refresh(ticket) -> None:
        started = time.perf_counter()
        refresh_appeal_fact(ticket=ticket.pk)
        durations.append((time.perf_counter() - started) * 1000)

    for i in range(count):
        appeal = services.register_appeal(
            actor=agent, channel="hotline", kind="help", content=texts[i % len(texts)] + f"（{i}）"
        )
        ticket = appeal.ticket
        refresh(ticket)
        for step in (
            lambda t: services.dispatch_ticket(
                actor=dispatcher, ticket=t, expected_version=t.version, lead_department=departments[0]
            ),
            lambda t: services.accept_ticket(actor=handler, ticket=t, expected_version=t.version),
            lambda t: services.submit_reply(actor=handler, ticket=t, expected_version=t.version, text="已办理。"),
            lambda t: services.approve_reply(actor=dispatcher, ticket=t, expected_version=t.version),
            lambda t: services.record_follow_up(
                actor=agent, ticket=t, expected_version=t.version, method="call", is_resolved=True,
                satisfaction="satisfied",
            ),
        ):  # fmt: skip
            ticket = step(ticket)
            refresh(ticket)
    return len(durations), durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2_000_000, help="appeals in the measured year")
    parser.add_argument("--lead-months", type=float, default=6, help="months of data before the year")
    parser.add_argument("--postgres", default="")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--walk", type=int, default=200, help="real appeals walked for the refresh cost")
    parser.add_argument("--work-dir", default="/tmp/huiqi-bench-metrics")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the facts of the last run (same --work-dir)"
    )
    args = parser.parse_args()

    engine = configure(args)
    from django.db.models import Count
    from django.test import Client

    from huiqi.accounts.models import Department, User
    from huiqi.appeals.metrics import rebuild
    from huiqi.appeals.metrics.models import (
        AppealDailyStats,
        AppealDepartmentDailyStats,
        AppealFact,
        AppealMonthlyStats,
        AppealTermDaily,
        AppealTermMonthly,
    )
    from huiqi.appeals.metrics.periods import Period, period_for
    from huiqi.appeals.metrics.query import MetricsFilters, MetricsQuery
    from huiqi.appeals.metrics.selectors import appeal_metrics
    from huiqi.appeals.models import Category

    generate_s = load_s = 0.0
    if args.reuse and AppealFact.objects.exists():
        departments = list(Department.objects.filter(code__startswith="B").order_by("sort_order"))
        categories = list(
            Category.objects.filter(parent__isnull=False).order_by("parent__sort_order", "sort_order")
        )
    else:
        departments, categories = reference_data()
        started = time.perf_counter()
        frame = generate_facts(args, departments, categories)
        generate_s = time.perf_counter() - started
        started = time.perf_counter()
        load_facts(frame, engine)
        load_s = time.perf_counter() - started
        del frame
    in_year = AppealFact.objects.filter(registered_on__year=YEAR).count()
    started = time.perf_counter()
    written = rebuild.rebuild_appeal_sums()
    rebuild_s = time.perf_counter() - started
    if engine == "PostgreSQL":
        from django.db import connection

        tables = (
            AppealDailyStats,
            AppealMonthlyStats,
            AppealDepartmentDailyStats,
            AppealTermDaily,
            AppealTermMonthly,
        )
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")

    dispatcher, _ = User.objects.get_or_create(username="bench-leader", defaults={"role": "leader"})
    busiest = (
        AppealFact.objects.exclude(department_id=0)
        .values("department_id")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    busiest_department = next(d for d in departments if d.pk == busiest["department_id"])
    handler, _ = User.objects.update_or_create(
        username="bench-dept", defaults={"role": "handler", "department": busiest_department}
    )
    year = period_for("year", dt.date(YEAR, 6, 1))
    month = period_for("month", dt.date(YEAR, 10, 1))
    week = period_for("week", dt.date(YEAR, 11, 12))
    custom = Period(dt.date(YEAR, 3, 15), dt.date(YEAR, 9, 14))
    top, child = categories[0].parent, categories[0]
    today = dt.date(YEAR, 12, 31)
    scenarios = [
        ("year, trend by month", dispatcher, MetricsQuery(year, granularity="month")),
        ("year, trend by week", dispatcher, MetricsQuery(year, granularity="week")),
        ("year, trend by day", dispatcher, MetricsQuery(year, granularity="day")),
        ("year, channel = hotline", dispatcher, MetricsQuery(year, MetricsFilters(channel="hotline"), "month")),
        ("year, kind = complaint", dispatcher, MetricsQuery(year, MetricsFilters(kind="complaint"), "month")),
        ("year, first-level category", dispatcher, MetricsQuery(year, MetricsFilters(category_id=top.pk), "month")),
        ("year, second-level category", dispatcher, MetricsQuery(year, MetricsFilters(category_id=child.pk), "month")),
        ("year, one department (leader)", dispatcher,
         MetricsQuery(year, MetricsFilters(department_id=busiest_department.pk), "month")),
        ("year, department's handler (scoped)", handler, MetricsQuery(year, granularity="week")),
        ("custom 6 months (2 partial months), by week", dispatcher, MetricsQuery(custom, granularity="week")),
        ("month, trend by day", dispatcher, MetricsQuery(month, granularity="day")),
        ("month, all four filters", dispatcher, MetricsQuery(
            month, MetricsFilters(channel="hotline", kind="help", category_id=top.pk), "day")),
        ("month, department's handler (scoped)", handler, MetricsQuery(month, granularity="day")),
        ("week, trend by day", dispatcher, MetricsQuery(week, granularity="day")),
    ]  # fmt: skip

    print(f"## Appeal metrics: {engine}\n")
    print(f"- facts: {AppealFact.objects.count():,} ({in_year:,} registered in {YEAR}, the rest before)")
    print(f"- generated in {generate_s:.1f} s, loaded in {load_s:.1f} s, sums rebuilt in {rebuild_s:.1f} s")
    print(
        f"- rows: daily sums {written['daily']:,}, monthly sums {written['monthly']:,}, "
        f"per day and department {written['department_daily']:,}, daily term counts {written['daily_terms']:,}, monthly term counts {written['monthly_terms']:,}"
    )
    print(f"- busiest department: {busiest['n']:,} facts\n")
    print(
        "| query (selector appeal_metrics: figures, 5 breakdowns, trend, hot topics) | median ms | max ms |"
    )
    print("|---|---|---|")
    for name, user, query in scenarios:
        median, worst, report = timed(
            lambda u=user, q=query: appeal_metrics(user=u, query=q, today=today), args.runs
        )
        print(f"| {name} ({report.totals.volume:,} appeals) | {median:.0f} | {worst:.0f} |")

    client = Client()
    client.force_login(dispatcher)
    print("\n| whole page through Django (view, selector, template) | median ms | max ms |")
    print("|---|---|---|")
    for name, url in [
        ("GET /appeals/metrics/ year, trend by week", f"/appeals/metrics/?period=year&on={YEAR}-01-01&granularity=week"),
        ("GET /appeals/metrics/ month", f"/appeals/metrics/?period=month&on={YEAR}-10-01"),
        ("GET export.xlsx year", f"/appeals/metrics/export.xlsx?period=year&on={YEAR}-01-01&granularity=month"),
    ]:  # fmt: skip
        median, worst, response = timed(lambda u=url: client.get(u), args.runs)
        assert response.status_code == 200, response.status_code
        print(f"| {name} | {median:.0f} | {worst:.0f} |")

    if args.walk:
        count, durations = walk_tickets(args.walk, departments)
        durations.sort()
        print(
            f"\nrefresh_appeal_fact on real tickets ({count} refreshes: registration, dispatch, accept, "
            f"reply, approval, follow-up of {args.walk} appeals): median "
            f"{statistics.median(durations):.1f} ms, p95 {durations[int(len(durations) * 0.95)]:.1f} ms, "
            f"max {durations[-1]:.1f} ms (the first includes loading jieba)"
        )


if __name__ == "__main__":
    main()
