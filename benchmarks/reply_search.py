"""Benchmark: the hotline's search of past replies (huiqi.appeals.reply_search) over a full corpus.

Loads N answered appeals (default 5,000, the corpus size) with generated Chinese titles, contents and
replies into a fresh SQLite database, then measures, end to end through search_past_replies as an
agent: the first query (jieba loaded, corpus read), and a few hundred queries of one to four words
(freshness stamp, scoring, the visibility check and highlighted snippets of 8 hits), with the
per-word frequencies cached (words asked before) and not (every word new).

    .venv/bin/python benchmarks/reply_search.py [--replies 5000] [--queries 300]

Results are printed as Markdown.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

TOPICS = [
    ("用电增容", "供电公司", "厂房用电容量不足，申请增容"),
    ("稳岗补贴", "人社局", "稳岗返还资金何时到账"),
    ("研发费用加计扣除", "税务局", "研发费用加计扣除如何申报"),
    ("出口退税", "税务局", "出口退税审核进度"),
    ("用地审批", "自然资源局", "新建项目用地预审"),
    ("环评审批", "生态环境局", "技改项目环评办理时限"),
    ("招聘用工", "人社局", "技术工人招聘困难"),
    ("道路施工", "城管局", "园区道路施工影响通行"),
    ("融资贷款", "金融局", "中小企业贷款贴息申请"),
    ("专精特新", "工信局", "专精特新企业认定条件"),
    ("消防验收", "住建局", "厂房消防验收预约"),
    ("天然气供应", "燃气公司", "生产用气压力不足"),
]
PHRASES = [
    "企业反映", "经核实", "已协调", "请企业", "按照规定", "在规定时限内", "现场勘查", "材料齐全",
    "网上办理", "政务服务网", "一次性告知", "工作日内", "予以办结", "联系电话", "后续跟进",
]  # fmt: skip


def configure(work: Path) -> None:
    os.environ["HUIQI_VAR_DIR"] = str(work)
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiqi.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(count: int, rng: random.Random) -> None:
    from django.utils import timezone

    from huiqi.appeals.enums import Closure, ReplyStatus, TicketState, TimeLimitUnit
    from huiqi.appeals.models import Appeal, Reply, Ticket

    now = timezone.now()
    appeals = []
    for n in range(count):
        topic, _department, title = rng.choice(TOPICS)
        content = f"{title}。" + "，".join(rng.sample(PHRASES, 6)) + f"，涉及{topic}问题，请尽快处理。"
        appeals.append(
            Appeal(
                number=f"QY20250101-{n + 1:06d}",
                channel="hotline",
                kind=rng.choice(["consultation", "help", "complaint"]),
                title=title,
                content=content,
                registered_at=now,
            )
        )
    Appeal.objects.bulk_create(appeals, batch_size=1000)
    appeals = list(Appeal.objects.order_by("id"))
    tickets = [
        Ticket(
            appeal=a,
            state=TicketState.CLOSED,
            closure=Closure.FOLLOWED_UP,
            time_limit_value=5,
            time_limit_unit=TimeLimitUnit.WORKING_DAYS,
            clock_started_at=now,
            deadline_at=now,
            warning_at=now,
        )
        for a in appeals
    ]
    Ticket.objects.bulk_create(tickets, batch_size=1000)
    replies = []
    for ticket, appeal in zip(Ticket.objects.order_by("appeal_id"), appeals, strict=True):
        topic = next(t for t in TOPICS if t[2] == appeal.title)
        text = f"经{topic[1]}核实，关于{topic[0]}：" + "，".join(rng.sample(PHRASES, 8)) + "。"
        replies.append(Reply(ticket=ticket, text=text, status=ReplyStatus.APPROVED, submitted_at=now))
    Reply.objects.bulk_create(replies, batch_size=1000)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(20260101)
    with tempfile.TemporaryDirectory(prefix="huiqi-reply-search-") as directory:
        configure(Path(directory))
        load(args.replies, rng)
        from huiqi.accounts.enums import Role
        from huiqi.accounts.models import User
        from huiqi.appeals import reply_search

        agent = User.objects.create(username="bench_agent", role=Role.AGENT)
        started = time.perf_counter()
        first = reply_search.search_past_replies(user=agent, q="用电增容", limit=8)
        cold = (time.perf_counter() - started) * 1000
        words = [t[0] for t in TOPICS] + ["多久", "申请", "材料", "到账", "办理时限", "现场勘查"]
        timings = []
        for _ in range(args.queries):
            q = " ".join(rng.sample(words, rng.randint(1, 4)))
            started = time.perf_counter()
            reply_search.search_past_replies(user=agent, q=q, limit=8)
            timings.append((time.perf_counter() - started) * 1000)
        uncached = []
        for _ in range(args.queries):
            q = " ".join(rng.sample(words, rng.randint(1, 4)))
            reply_search._corpus.frequencies.clear()  # every word new to this process
            started = time.perf_counter()
            reply_search.search_past_replies(user=agent, q=q, limit=8)
            uncached.append((time.perf_counter() - started) * 1000)
        print(
            f"{args.replies:,} replies; first query (jieba loaded, corpus read): {cold:.0f} ms; hits: {len(first)}\n"
        )
        print("| queries | median | p95 | max |")
        print("|---|---:|---:|---:|")
        for label, values in (
            ("words asked before (cached)", timings),
            ("words new to the process", uncached),
        ):
            print(
                f"| {label} | {statistics.median(values):.1f} ms | {percentile(values, 0.95):.1f} ms | "
                f"{max(values):.1f} ms |"
            )


if __name__ == "__main__":
    main()
