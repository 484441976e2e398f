"""Benchmarks of policy matching (issue 4): bulk, single enterprise, per-row engines, PostgreSQL.

    # (1) all against all from an in-memory snapshot, (3) one enterprise with explanations,
    # (4) zen-engine and rule-engine on a sample, side by side with (1): one run, one process
    .venv/bin/python benchmarks/policy_matching.py memory single engines

    # (2) end to end from PostgreSQL, writing MatchResult (see benchmarks/README.md for the setup)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5455/huiqi_bench_match \\
        .venv/bin/python benchmarks/policy_matching.py postgres --as-of 2026-11-21

The snapshot (1,500,000 enterprises from huiqi.enterprises.synthetic, size_class by the enterprises
app's classifier) is cached as Parquet under $HUIQI_BENCH_CACHE (default /tmp/huiqi-bench); the 500
items come from benchmarks/policy_items.py (seed 0). Every figure is printed with the wall clock, the
CPU time of the process (all threads; the machine has 2 cores shared with other jobs, so the CPU time
says what the work costs and the wall clock what it took under the load of the moment) and the load
average.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from match_data import AS_OF, parsed_items, registry_snapshot


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


def _rss_mb() -> float:
    """The current resident set size (not the peak)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(function: Callable[[], Any]) -> tuple[Any, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - started, time.process_time() - cpu


class Run:
    """Shared state of one run (the snapshot and items are loaded once)."""

    def __init__(self, count: int, item_count: int) -> None:
        self.count = count
        self.item_count = item_count
        self._frame: Any = None
        self._items: Any = None
        self.bulk_seconds: float | None = None

    @property
    def frame(self) -> Any:
        if self._frame is None:
            self._frame = registry_snapshot(self.count)
        return self._frame

    @property
    def items(self) -> Any:
        if self._items is None:
            self._items = parsed_items(self.item_count)
        return self._items


# ------------------------------------------------------------------------------ (1) in memory
def bench_memory(run: Run, repeat: int) -> None:
    import polars as pl

    from huiqi.rules.polars_eval import evaluate_items

    frame, items = run.frame, run.items
    print(f"\n## (1) All against all, in memory: {frame.height:,} enterprises x {len(items)} items")
    print(f"polars {pl.__version__}, threads {pl.thread_pool_size()}, RSS before {_rss_mb():.0f} MB")
    print("| run | wall | CPU (all threads) | result rows | eligible | needs_info | load 1/5 min |")
    print("|---|---|---|---|---|---|---|")
    walls = []
    out = None
    for index in range(repeat):
        load = _load()
        out, wall, cpu = _timed(lambda: evaluate_items(frame, items, id_column="enterprise_id", as_of=AS_OF))
        counts = dict(out.group_by("status").len().iter_rows())
        walls.append(wall)
        print(
            f"| {index + 1} | {wall:.2f} s | {cpu:.2f} s | {out.height:,} | {counts.get('eligible', 0):,} | "
            f"{counts.get('needs_info', 0):,} | {load} |"
        )
        del out
    run.bulk_seconds = min(walls)
    print(
        f"best {min(walls):.2f} s, median {statistics.median(walls):.2f} s; peak RSS of the process {_peak_mb():.0f} MB"
    )


# ----------------------------------------------------------------------- (3) single enterprise
def bench_single(run: Run, enterprises: int) -> None:
    from huiqi.rules import derived
    from huiqi.rules.evaluate import evaluate
    from huiqi.rules.profile import Profile

    items = list(run.items.values())
    rows = run.frame.sample(enterprises, seed=3).to_dicts()

    def profile(row: dict[str, Any]) -> Profile:
        facts = dict(row)
        established = row["established_on"]
        facts["age_years"] = derived.age_years(established, AS_OF) if established else None
        facts["rd_ratio"] = derived.rd_ratio(row["rd_expense"], row["revenue"])
        return Profile(facts)

    def shown(results: list[Any]) -> None:
        # What a page shows: the reasons of the eligible and needs_info items.
        for result in results:
            if result.status != "ineligible":
                result.trace.reasons  # noqa: B018

    def every_reason(results: list[Any]) -> None:
        for result in results:
            result.trace.leaves  # noqa: B018
            result.trace.reasons  # noqa: B018

    variants: list[tuple[str, Callable[[list[Any]], None] | None]] = [
        ("evaluate all items, explanation on demand", None),
        ("+ reasons of the eligible / needs_info items", shown),
        ("+ every leaf and reason of all items", every_reason),
    ]
    print(
        f"\n## (3) One enterprise against all {len(items)} items, with explanations ({enterprises} enterprises)"
    )
    print("| variant | p50 | p95 | p99 | p95 thread CPU | load 1/5 min |")
    print("|---|---|---|---|---|---|")
    for row in rows[:20]:  # warm the per-item caches (compiled trees), as a running server has them
        [evaluate(item, profile(row)) for item in items]
    for name, extra in variants:
        walls: list[float] = []
        cpus: list[float] = []
        load = _load()
        for row in rows:
            started, cpu = time.perf_counter(), time.thread_time()
            facts = profile(row)
            results = [evaluate(item, facts) for item in items]
            if extra is not None:
                extra(results)
            walls.append(time.perf_counter() - started)
            cpus.append(time.thread_time() - cpu)
        walls.sort()
        cpus.sort()

        def pct(values: list[float], q: float) -> str:
            return f"{1000 * values[min(len(values) - 1, int(q * len(values)))]:.2f} ms"

        print(
            f"| {name} | {pct(walls, 0.5)} | {pct(walls, 0.95)} | {pct(walls, 0.99)} | {pct(cpus, 0.95)} | {load} |"
        )


# --------------------------------------------------------------------- (4) per-row engines
def bench_engines(run: Run, zen_sample: int, rule_engine_sample: int) -> None:
    import rule_engines

    from huiqi.rules import derived
    from huiqi.rules.evaluate import evaluate
    from huiqi.rules.polars_eval import evaluate_items
    from huiqi.rules.profile import Profile

    items = run.items
    if run.bulk_seconds is None:
        _out, wall, _cpu = _timed(
            lambda: evaluate_items(run.frame, items, id_column="enterprise_id", as_of=AS_OF)
        )
        del _out
        run.bulk_seconds = wall
    sample = run.frame.sample(max(zen_sample, rule_engine_sample), seed=11)
    facts_rows = []
    for row in sample.to_dicts():
        facts = {key: value for key, value in row.items() if key != "enterprise_id"}
        established = row["established_on"]
        facts["age_years"] = derived.age_years(established, AS_OF) if established else None
        facts["rd_ratio"] = derived.rd_ratio(row["rd_expense"], row["revenue"])
        facts_rows.append(facts)
    # Ours, on the sample: the bulk evaluator (reference results) and the per-row Python evaluator.
    reference = evaluate_items(sample, items, id_column="enterprise_id", as_of=AS_OF, statuses=None)
    expected: dict[tuple[int, str], tuple[str, str | None]] = {
        (enterprise_id, code): (status, None if amount is None else f"{amount:.2f}")
        for enterprise_id, code, status, amount in reference.iter_rows()
    }
    ids = sample.get_column("enterprise_id").to_list()
    print(
        f"\n## (4) Per-row engines on a sample, extrapolated to {run.frame.height:,} x {len(items)}, "
        f"against the bulk evaluator ({run.bulk_seconds:.2f} s in this run)"
    )
    print(
        "| engine | sample | evaluations | wall | per evaluation | extrapolated | bulk is faster by | agrees with ours (status / status and amount) | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|")

    def python_engine(rows: list[dict[str, Any]]) -> list[dict[str, tuple[str, str | None]]]:
        out = []
        for facts in rows:
            profile = Profile(facts)
            results = {}
            for code, rules in items.items():
                result = evaluate(rules, profile, explain_result=False)
                amount = None if result.amount is None else f"{result.amount:.2f}"
                results[code] = (result.status.value, amount)
            out.append(results)
        return out

    def engine(
        make: Callable[[Any], Any], context: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> Callable[[list[dict[str, Any]]], Any]:
        evaluators = make(items)

        def evaluate_rows(rows: list[dict[str, Any]]) -> list[dict[str, tuple[str, str | None]]]:
            out = []
            for facts in rows:
                values = context(facts)
                out.append({code: function(values) for code, function in evaluators.items()})
            return out

        return evaluate_rows

    engines = [
        ("huiqi.rules.evaluate (ours, per row, Python)", lambda: python_engine, zen_sample),
        (
            "zen-engine 2.1 (compiled expressions)",
            lambda: engine(rule_engines.zen_evaluators, rule_engines.zen_context),
            zen_sample,
        ),
        (
            "rule-engine 5.1",
            lambda: engine(rule_engines.rule_engine_evaluators, rule_engines.rule_engine_context),
            rule_engine_sample,
        ),
    ]
    total = run.frame.height * len(items)
    for name, build, size in engines:
        evaluate_rows = build()
        rows = facts_rows[:size]
        load = _load()
        results, wall, _cpu = _timed(lambda evaluate_rows=evaluate_rows, rows=rows: evaluate_rows(rows))
        evaluations = len(rows) * len(items)
        per = wall / evaluations
        extrapolated = per * total
        agree_status = agree_both = 0
        for enterprise_id, got in zip(ids, results, strict=False):
            for code, value in got.items():
                want = expected[(enterprise_id, code)]
                agree_status += value[0] == want[0]
                agree_both += value == want
        print(
            f"| {name} | {len(rows):,} | {evaluations:,} | {wall:.1f} s | {per * 1e6:.1f} µs | "
            f"{extrapolated / 3600:.1f} h | {extrapolated / run.bulk_seconds:,.0f}x | "
            f"{agree_status / evaluations:.4%} / {agree_both / evaluations:.4%} | {load} |"
        )


# ------------------------------------------------------------------------------ (2) PostgreSQL
def bench_postgres(as_of: date, lean_table: bool) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiqi.settings")
    django.setup()
    from django.db import connection

    from huiqi.policies import matching, result_copy, services
    from huiqi.rules import polars_eval

    phases: Counter[str] = Counter()
    cpu_phases: Counter[str] = Counter()
    captured: dict[str, Any] = {}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.process_time()
            result = function(*args, **kwargs)
            phases[name] += time.perf_counter() - started
            cpu_phases[name] += time.process_time() - cpu
            if name == "evaluate (Polars)":
                captured["frame"] = result
            return result

        return wrapper

    matching.registry_frame = timed("read registry (COPY to Polars)", matching.registry_frame)
    polars_eval.evaluate_items = timed("evaluate (Polars)", polars_eval.evaluate_items)
    result_copy.copy_match_results = timed(
        "write MatchResult (COPY, bulk load)", result_copy.copy_match_results
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM enterprises_enterprise")
        (enterprises,) = cursor.fetchone()
    print(f"\n## (2) End to end from PostgreSQL: {enterprises:,} enterprises, items in force on {as_of}")
    load = _load()
    run_result, wall, cpu = _timed(lambda: services.record_match_results(as_of=as_of))
    print("| step | wall | CPU of this process |")
    print("|---|---|---|")
    for name in phases:
        print(f"| {name} | {phases[name]:.1f} s | {cpu_phases[name]:.1f} s |")
    print(
        f"| **services.record_match_results, total** ({run_result.item_count} items, "
        f"{run_result.stored_count:,} rows stored) | **{wall:.1f} s** | {cpu:.1f} s |"
    )
    print(f"load before: {load}, after: {_load()}; peak RSS {_peak_mb():.0f} MB")
    if lean_table:
        import io

        frame = captured["frame"]
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_match_results")
            cursor.execute(
                "CREATE TABLE bench_match_results (enterprise_id bigint, item_code text, status text, amount numeric(16,2))"
            )
            with cursor.cursor.copy("COPY bench_match_results FROM STDIN (FORMAT csv)") as copy:
                for start in range(0, frame.height, 2_000_000):
                    buffer = io.BytesIO()
                    frame.slice(start, 2_000_000).write_csv(buffer, include_header=False)
                    copy.write(buffer.getvalue())
        lean = time.perf_counter() - started
        print(
            f"| the same rows COPYed to a table without indexes or keys (bench_match_results) | {lean:.1f} s | |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="+", choices=["memory", "single", "engines", "postgres"])
    parser.add_argument("--count", type=int, default=1_500_000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--enterprises", type=int, default=1000, help="(3): how many single evaluations")
    parser.add_argument("--zen-sample", type=int, default=2000)
    parser.add_argument("--rule-engine-sample", type=int, default=200)
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF, help="(2): evaluation date")
    parser.add_argument("--lean-table", action="store_true", help="(2): also COPY to a table without indexes")
    args = parser.parse_args()
    print(f"load average (1 / 5 min) at start: {_load()}; {os.cpu_count()} CPUs")
    run = Run(args.count, args.items)
    for what in args.what:
        if what == "memory":
            bench_memory(run, args.repeat)
        elif what == "single":
            bench_single(run, args.enterprises)
        elif what == "engines":
            bench_engines(run, args.zen_sample, args.rule_engine_sample)
        else:
            bench_postgres(args.as_of, args.lean_table)


if __name__ == "__main__":
    main()
