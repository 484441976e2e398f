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


PG_DATA: Path | None = None  # set when the PostgreSQL server runs here: its CPU is measured too


def server_cpu_seconds() -> float:
    """CPU used so far by a local PostgreSQL: the postmaster, its reaped children (backends that have
    exited) and its live children."""
    if PG_DATA is None:
        return 0.0
    postmaster = int((PG_DATA / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: int | str) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    ticks = sum(int(x) for x in fields(postmaster)[11:15])  # utime stime cutime cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != postmaster:
            try:
                child = fields(entry.name)
            except OSError:
                continue
            if int(child[1]) == postmaster:
                ticks += int(child[11]) + int(child[12])
    return ticks / tick


def run_measured(step: str, args: list[str], env: dict[str, str]) -> dict[str, object]:
    """Runs one `huiqi` step and measures it with wait4 (CPU seconds and peak RSS of that process)."""
    load_before = os.getloadavg()[0]
    server_before = server_cpu_seconds()
    started = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        process = subprocess.Popen(
            [str(HUIQI), *args], env=env, stdout=subprocess.PIPE, stderr=devnull, text=True
        )
        assert process.stdout is not None
        stdout = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    time.sleep(0.5)  # let the postmaster reap the backend, so its CPU is counted
    server = server_cpu_seconds() - server_before
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
        "server": server,
        "load": max(load_before, os.getloadavg()[0]),
        "out": stdout.strip().splitlines()[-1] if stdout.strip() else "",
    }


PG_BIN = Path("/usr/lib/postgresql/15/bin")


def start_postgres(folder: Path, port: int, settings: list[str]) -> str:
    """A throw-away PostgreSQL 15 cluster under `folder` (as the postgres user when run as root);
    returns its server URL. Default settings except `settings` ("name=value"), locale C.UTF-8."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    subprocess.run(
        [
            *as_postgres,
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            *as_postgres,
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "log"),
            "-w",
            "-o",
            f"-p {port} -k {folder} -c listen_addresses='' "
            + " ".join(f"-c {setting}" for setting in settings),
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return f"postgresql://postgres@/postgres?host={folder}&port={port}"


def stop_postgres(folder: Path) -> None:
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(folder, ignore_errors=True)


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


def vacuum(label: str, url: str) -> dict[str, object]:
    """VACUUM ANALYZE of the two tables an import fills: what autovacuum would otherwise do during
    the next step (and charge to it). Measured separately so each step's figures are its own."""
    import psycopg

    load_before = os.getloadavg()[0]
    server_before = server_cpu_seconds()
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as connection:
        for table in ("enterprises_enterprise", "enterprises_profilechange"):
            connection.execute(f"VACUUM (ANALYZE) {table}")
    wall = time.perf_counter() - started
    time.sleep(0.5)
    return {
        "step": f"{label}: VACUUM ANALYZE after the load",
        "wall": wall,
        "user": 0.0,
        "system": 0.0,
        "rss_mb": 0.0,
        "server": server_cpu_seconds() - server_before,
        "load": max(load_before, os.getloadavg()[0]),
        "out": "(autovacuum's work after a bulk load, done at once)",
    }


def bench_database(label: str, url: str, data: Path, work: Path, count: int, round_trip: bool) -> list[dict]:
    env = {**os.environ, "DATABASE_URL": url, "HUIQI_VAR_DIR": str(work / "var")}
    results = []
    subprocess.run([str(HUIQI), "migrate", "--noinput", "-v0"], env=env, check=True)
    first = run_measured(f"{label}: import, all new", ["import_enterprises", str(data), "--no-progress"], env)
    check(first, created=count)
    results.append(first)
    if url.startswith("postgres"):
        results.append(vacuum(label, url))
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
    parser.add_argument(
        "--start-postgres",
        action="store_true",
        help=f"start a throw-away PostgreSQL 15 cluster from {PG_BIN} for the run (stopped afterwards)",
    )
    parser.add_argument("--pg-port", type=int, default=5439)
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="server setting for --start-postgres, e.g. shared_buffers=1GB (repeatable)",
    )
    parser.add_argument(
        "--pg-data", type=Path, help="data folder of a local --postgres server: measure its CPU"
    )
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
    global PG_DATA
    cluster = work / "pg"
    if options.start_postgres:
        options.postgres = start_postgres(cluster, options.pg_port, options.pg_setting)
        PG_DATA = cluster / "data"
    elif options.pg_data:
        PG_DATA = options.pg_data
    try:
        if options.postgres:
            server, url = postgres_url(options.postgres)
            recreate_postgres_database(server)
            results += bench_database("PostgreSQL", url, data, work, options.count, options.round_trip)
    finally:
        if options.start_postgres:
            stop_postgres(cluster)
    cpus = os.cpu_count()
    print(f"\n{options.count:,} enterprises, {data.stat().st_size / 1e6:.0f} MB CSV, {cpus} CPUs")
    if options.postgres:
        settings = ", ".join(options.pg_setting) or "defaults"
        print(f"PostgreSQL server settings: {settings if options.start_postgres else 'as found'}")
    print()
    print(
        "| step | wall clock | huiqi CPU (user + system) | PostgreSQL CPU | peak RSS | load average | summary |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        server = f"{r['server']:.1f} s" if r["server"] else "–"
        print(
            f"| {r['step']} | {r['wall']:.1f} s | {r['user']:.1f} s + {r['system']:.1f} s | {server} | "
            f"{r['rss_mb']:.0f} MB | {r['load']:.1f} | {r['out']} |"
        )
    shutil.rmtree(work / "var", ignore_errors=True)


if __name__ == "__main__":
    main()
