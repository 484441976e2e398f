"""Benchmark: `huiqi import_enterprises` and `huiqi export_enterprises` on SQLite and PostgreSQL.

Generates N enterprises with `huiqi generate_enterprises`, then for each database: migrates a fresh
database, imports the file (all rows new), imports it again (all rows unchanged: idempotence),
exports the registry, and (with --round-trip) imports the export (all rows unchanged again).
Each step runs as its own `huiqi` process; the script records its wall clock, CPU and peak RSS
(from wait4), the load average, and checks the command's summary.

    .venv/bin/python benchmarks/import_export.py --count 1500000 \\
        --postgres postgresql://postgres@127.0.0.1:5433/postgres

--postgres names a server and a maintenance database: the script creates (and drops first) the
database `huiqi_bench_import` there. Results go to stdout as a Markdown table.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HUIQI = ROOT / ".venv" / "bin" / "huiqi"
BENCH_DB = "huiqi_bench_import"


def run_measured(step: str, args: list[str], env: dict[str, str]) -> dict[str, object]:
    """Runs one `huiqi` step and measures it with wait4 (CPU seconds and peak RSS of that process)."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        process = subprocess.Popen(
            [str(HUIQI), *args], env=env, stdout=subprocess.PIPE, stderr=devnull, text=True
        )
        assert process.stdout is not None
        stdout = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code
    if code != 0:
        sys.stderr.write(f"{step} failed (exit {code}):\n{stdout}\n")
        raise SystemExit(1)
    return {
        "step": step,
        "wall": wall,
        "user": usage.ru_utime,
        "system": usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "load": max(load_before, os.getloadavg()[0]),
        "out": stdout.strip().splitlines()[-1] if stdout.strip() else "",
    }


def postgres_url(server: str) -> tuple[str, str]:
    """(maintenance URL, benchmark database URL) for a server URL."""
    parts = urlsplit(server)
    return server, urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def recreate_postgres_database(server: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        connection.execute(f'CREATE DATABASE "{BENCH_DB}"')


def check(result: dict[str, object], *, created: int = 0, unchanged: int = 0) -> None:
    out = str(result["out"])
    numbers = dict(re.findall(r"(新增|更新|未变化|拒绝) (\d+)", out))
    expected = {"新增": str(created), "更新": "0", "未变化": str(unchanged), "拒绝": "0"}
    if numbers != expected:
        sys.stderr.write(f"{result['step']}: expected {expected}, got: {out}\n")
        raise SystemExit(1)


def bench_database(label: str, url: str, data: Path, work: Path, count: int, round_trip: bool) -> list[dict]:
    env = {**os.environ, "DATABASE_URL": url, "HUIQI_VAR_DIR": str(work / "var")}
    results = []
    subprocess.run([str(HUIQI), "migrate", "--noinput", "-v0"], env=env, check=True)
    first = run_measured(f"{label}: import, all new", ["import_enterprises", str(data), "--no-progress"], env)
    check(first, created=count)
    results.append(first)
    second = run_measured(
        f"{label}: import again, all unchanged", ["import_enterprises", str(data), "--no-progress"], env
    )
    check(second, unchanged=count)
    results.append(second)
    export = work / f"export-{label.lower()}.csv"
    results.append(run_measured(f"{label}: export CSV", ["export_enterprises", "--output", str(export)], env))
    if round_trip:
        back = run_measured(
            f"{label}: import the export, all unchanged",
            ["import_enterprises", str(export), "--no-progress"],
            env,
        )
        check(back, unchanged=count)
        results.append(back)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_500_000)
    parser.add_argument("--postgres", help="server URL, e.g. postgresql://postgres@127.0.0.1:5433/postgres")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--round-trip", action="store_true", help="also import the export again")
    parser.add_argument("--work", type=Path, default=Path("/tmp/huiqi-bench-import"))
    options = parser.parse_args()

    work: Path = options.work
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"enterprises-{options.count}.csv"
    results = []
    if not data.exists():
        generated = run_measured(
            "generate_enterprises",
            ["generate_enterprises", "--count", str(options.count), "--output", str(data), "--no-progress"],
            dict(os.environ),
        )
        results.append(generated)
    if not options.skip_sqlite:
        sqlite = work / "bench.sqlite3"
        for path in work.glob("bench.sqlite3*"):
            path.unlink()
        results += bench_database(
            "SQLite", f"sqlite:///{sqlite}", data, work, options.count, options.round_trip
        )
    if options.postgres:
        server, url = postgres_url(options.postgres)
        recreate_postgres_database(server)
        results += bench_database("PostgreSQL", url, data, work, options.count, options.round_trip)
    cpus = os.cpu_count()
    print(f"\n{options.count:,} enterprises, {data.stat().st_size / 1e6:.0f} MB CSV, {cpus} CPUs\n")
    print("| step | wall clock | user + system CPU (huiqi process) | peak RSS | load average | summary |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['step']} | {r['wall']:.1f} s | {r['user']:.1f} s + {r['system']:.1f} s | "
            f"{r['rss_mb']:.0f} MB | {r['load']:.1f} | {r['out']} |"
        )
    shutil.rmtree(work / "var", ignore_errors=True)


if __name__ == "__main__":
    main()
