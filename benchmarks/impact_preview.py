"""Benchmark: the impact preview page, an enterprise's matches page and the all-against-all job.

On a database that holds a generated registry (set DATABASE_URL; `--setup N` migrates it and imports
N generated enterprises first), the script publishes ITEMS generated items (benchmarks/policy_items.py),
drafts a new version of the first one with the rules of another, and measures:

* impact.preview_impact of the draft (compared with the published version): cold (registry read from
  the database) and warm (registry unchanged: the cached frame is reused), and the page itself
  (GET through Django's test client, template and chart data included);
* enterprise_matches.matched_items_for (one enterprise against every item, with explanations);
* match_runs.process_match_run over every item, writing MatchResult.

    DATABASE_URL=sqlite:////tmp/bench/db.sqlite3 .venv/bin/python benchmarks/impact_preview.py --setup 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HUIQI = ROOT / ".venv" / "bin" / "huiqi"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def setup_registry(count: int) -> None:
    subprocess.run([HUIQI, "migrate", "--noinput", "-v0"], check=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "enterprises.csv"
        subprocess.run(
            [HUIQI, "generate_enterprises", "--count", str(count), "--output", path, "--no-progress"],
            check=True,
        )
        subprocess.run([HUIQI, "import_enterprises", path], check=True)


def item_file(items: list[dict], folder: Path, name: str) -> Path:
    import yaml

    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: object) -> bool:
            return True

    path = folder / name
    path.write_text(yaml.dump(items, Dumper=NoAliases, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def as_item(data: dict, *, code: str, index: int) -> dict:
    item = {
        "code": code,
        "title": f"基准测试条目 {index}",
        "policy": "基准测试政策",
        "level": "city",
        "region_code": "370100",
        "department": "基准测试局",
        "effective_from": date(2025, 1, 1),
        "budget_amount": 50_000_000,
        "eligibility": data["eligibility"],
    }
    if "reward" in data:
        item["reward"] = data["reward"]
    return item


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"| {name} | {len(times)} | {statistics.median(times):.0f} | {p95:.0f} | {max(times):.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--setup", type=int, metavar="N", help="migrate and import N generated enterprises first"
    )
    parser.add_argument("--items", type=int, default=50, help="published items (default 50)")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiqi.settings")
    if args.setup:
        setup_registry(args.setup)

    import django

    django.setup()
    from django.apps import apps
    from django.test import Client
    from django.test.utils import setup_test_environment
    from policy_items import generate_items

    from huiqi.accounts.models import User
    from huiqi.policies import impact, match_runs, services
    from huiqi.policies.enterprise_matches import matched_items_for
    from huiqi.policies.models import MatchRun, PolicyItemVersion

    setup_test_environment()
    generated = generate_items(args.items + 1, seed=7)
    prefix = f"BENCH-{int(time.time())}"
    codes = [f"{prefix}-{index:03d}" for index in range(args.items)]
    with tempfile.TemporaryDirectory() as folder:
        published = [as_item(generated[i], code=codes[i], index=i) for i in range(args.items)]
        report = services.import_policy_items(paths=[item_file(published, Path(folder), "v1.yaml")])
        assert not report.rejected, report.rejected
        draft = as_item(generated[args.items], code=codes[0], index=0)
        services.import_policy_items(paths=[item_file([draft], Path(folder), "v2.yaml")], as_draft=True)
    version = PolicyItemVersion.objects.get(item__code=codes[0], number=2)
    reviewer, _ = User.objects.get_or_create(username="bench-reviewer", defaults={"role": "policy_reviewer"})
    enterprise_count = apps.get_model("enterprises", "Enterprise").objects.count()

    impact.clear_registry_cache()
    cold = []
    for _ in range(3):
        impact.clear_registry_cache()
        cold += timed(lambda: impact.preview_impact(actor=reviewer, version=version), 1)
    warm = timed(lambda: impact.preview_impact(actor=reviewer, version=version), args.repeat)
    preview = impact.preview_impact(actor=reviewer, version=version)
    client = Client()
    client.force_login(reviewer)
    url = f"/policies/items/{codes[0]}/versions/2/impact/"
    first_page = timed(lambda: client.get(url), 1)  # the process's first request loads every URLconf and view
    page = timed(lambda: client.get(url), args.repeat)
    assert "沿用已读取的数据" in client.get(url).content.decode()
    enterprises = list(apps.get_model("enterprises", "Enterprise").objects.order_by("?")[: args.repeat * 5])
    mine = [
        t
        for enterprise in enterprises
        for t in timed(lambda e=enterprise: matched_items_for(user=reviewer, enterprise=e), 1)
    ]
    run = MatchRun.objects.create(as_of=date.today(), trigger="command")  # noqa: DTZ011 - as the job defaults
    started = time.perf_counter()
    run = match_runs.process_match_run(run=run)
    job = time.perf_counter() - started

    comparison = preview.comparison
    print(
        f"registry: {enterprise_count:,} enterprises; {args.items} published items; database {os.environ.get('DATABASE_URL', 'SQLite (default)')}"
    )
    print(
        f"preview: eligible {preview.eligible_count:,}, needs_info {preview.needs_info_count:,}, "
        f"total {preview.total_amount:,} yuan; gained {comparison.gained_count:,}, lost {comparison.lost_count:,}"
    )
    print("\n| measured | runs | median ms | p95 ms | max ms |\n|---|---|---|---|---|")
    print(summary("preview_impact, cold (registry read)", cold))
    print(summary("preview_impact, warm (registry unchanged)", warm))
    print(summary("impact page GET, first request of the process (registry cached)", first_page))
    print(summary("impact page GET (registry cached)", page))
    print(summary(f"matched_items_for, one enterprise x {args.items} items, explained", mine))
    print(
        f"\nall-against-all job: {run.total_items} items x {run.enterprise_count:,} enterprises, "
        f"{run.eligible_count + run.needs_info_count:,} results written, {job:.1f} s"
    )


if __name__ == "__main__":
    main()
