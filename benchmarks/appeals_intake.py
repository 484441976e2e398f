"""Benchmark: appeal intake through the API (POST /api/v1/appeals/) on PostgreSQL under gunicorn.

Target (issue 3, "Done means"): at least 200 appeals/s with p99 under 250 ms on the 2-core machine.

What it does:
1. starts a throw-away PostgreSQL 15 cluster under --work-dir (as the postgres user when run as root;
   listening on a Unix socket only), migrates it, and seeds it: the category tree and rules of the
   demo (appeals.demo.reference), --enterprises synthetic enterprises, and --accounts system accounts
   of the 12345 platform (role agent, appeals.api) with their API tokens;
2. starts gunicorn, from the environment of the Python running this script, serving the platform on
   127.0.0.1 only (default 4 sync workers: on 2 cores they did better than threads, whose GIL
   hand-offs stretch the registrations' critical section, and than 5 or more workers, which spend
   more on switching);
3. runs a load generator on loopback: --concurrency Python threads, each with a plain-socket HTTP
   client (RawClient; gunicorn's sync workers close the connection after each answer), POSTing appeals (texts from the
   demo's phrases, an enterprise USCC, a unique external id; composed before the run) with a token;
   bounded by --requests and --seconds; a warm-up first;
4. reports appeals/s and latency percentiles, checks every appeal got a number and the audit chain
   is intact (`verify_audit_chain`), and stops gunicorn and PostgreSQL;
5. with --drain, then runs the registrations' queued follow-up work (the after_registration task:
   notices, metrics fact, classification and automatic dispatch; --classifier trains a classifier
   first) with one `huiqi db_worker --batch`, and reports its rate.

    .venv/bin/python benchmarks/appeals_intake.py                    # defaults below
    .venv/bin/python benchmarks/appeals_intake.py --requests 3000 --drain --classifier
    .venv/bin/python benchmarks/appeals_intake.py --worker-class gthread --workers 3 --threads 6
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# gunicorn and the worker come from the environment that runs this script (.venv, or one made from
# another Python build: see benchmarks/README.md, "Appeal intake throughput").
VENV = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "Huiqi@2026bench"


# --- PostgreSQL -------------------------------------------------------------------------------------------


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def start_postgres(folder: Path, port: int, settings: list[str]) -> str:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    subprocess.run(
        [*_as_postgres(), str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
         "--encoding=UTF8", "--locale=C.UTF-8"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses='' " + " ".join(f"-c {s}" for s in settings)
    subprocess.run(
        [*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
         options, "start"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return f"postgresql://postgres@/postgres?host={folder}&port={port}"


def stop_postgres(folder: Path) -> None:
    subprocess.run(
        [*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"],
        check=False, stdout=subprocess.DEVNULL,
    )  # fmt: skip


# --- seeding (in this process, against the benchmark database) ----------------------------------------------


def seed(*, enterprises: int, accounts: int, work: Path) -> tuple[list[str], list[str], list[str]]:
    """(tokens, enterprise USCCs, category codes)."""
    import django

    django.setup()
    from django.core.management import call_command

    from huiqi.accounts import services as account_services
    from huiqi.accounts.enums import DepartmentLevel, Role
    from huiqi.appeals.demo import DemoAppealsSummary, load_reference
    from huiqi.appeals.demo.texts import LEAVES
    from huiqi.enterprises import services as enterprise_services
    from huiqi.enterprises.synthetic import write_enterprises_csv

    call_command("migrate", verbosity=0)
    centre = account_services.create_department(
        actor=None, code="370100-RXZX", name="济南市12345市民服务热线中心", level=DepartmentLevel.CITY,
        parent=None, region_code="370100", short_name="12345热线", sort_order=1,
    )  # fmt: skip
    load_reference(
        DemoAppealsSummary()
    )  # categories, time limits, routing rules (departments absent: skipped)
    path = work / "enterprises.csv"
    write_enterprises_csv(path, enterprises, seed=7, region_prefix="3701")
    enterprise_services.import_enterprises(path=path, file_name="bench.csv", actor=None)
    tokens = []
    for n in range(accounts):
        user = account_services.create_staff_user(
            actor=None, username=f"12345-platform-{n}", password=PASSWORD, role=Role.AGENT, department=centre,
            full_name=f"12345 平台接口 {n}",
        )  # fmt: skip
        tokens.append(account_services.issue_api_token(user=user).key)
    from django.apps import apps

    usccs = list(apps.get_model("enterprises", "Enterprise").objects.values_list("uscc", flat=True))
    return tokens, usccs, list(LEAVES)


# --- load -------------------------------------------------------------------------------------------------


class RawClient:
    """The load generator's HTTP/1.1 client: a prepared request written to a socket, the answer read by
    its Content-Length. It keeps the connection while the server does (gthread workers) and connects
    again when the server closes it (sync workers close after every answer). Leaner than http.client,
    so the generator takes less of the CPU it shares with the server under test."""

    def __init__(self, port: int) -> None:
        self.port, self.sock = port, None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""

    def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
        length = int(headers.get(b"content-length", b"0"))
        while len(rest) < length:
            rest += self._read(into_buffer=False)
        payload, self.buffer = rest[:length], rest[length:]
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, payload

    def _read(self, into_buffer: bool = True) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection before the whole answer")
        if into_buffer:
            self.buffer += chunk
        return chunk


class Load:
    def __init__(
        self, *, port: int, tokens: list[str], usccs: list[str], codes: list[str], seed: int
    ) -> None:
        self.port, self.tokens, self.usccs, self.codes = port, tokens, usccs, codes
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counter = 0
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []
        self.bodies: dict[int, bytes] = {}  # composed before a run, so the run measures the server

    def body(self, n: int) -> bytes:
        from huiqi.appeals.demo.simulation import compose_text

        with self.lock:
            code = self.rng.choice(self.codes)
            kind = self.rng.choice(["consultation", "help", "complaint", "suggestion"])
            title, content = compose_text(rng=self.rng, code=code, kind=kind, department="")
            uscc = self.rng.choice(self.usccs)
            channel = self.rng.choice(["hotline", "web", "app"])
        payload = {
            "channel": channel, "kind": kind, "title": title, "content": content, "enterprise_uscc": uscc,
            "caller_name": "王经理", "caller_phone": "13912345678", "external_id": f"BENCH-{n:08d}",
        }  # fmt: skip
        return json.dumps(payload, ensure_ascii=False).encode()

    def next_number(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def worker(self, index: int, until: float, limit: int, record: bool) -> None:
        token = self.tokens[index % len(self.tokens)]
        head = (
            f"POST /api/v1/appeals/ HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: Token {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()
        client = RawClient(self.port)
        while time.monotonic() < until:
            n = self.next_number()
            if n > limit:
                break
            body = self.bodies.pop(n, None) or self.body(n)
            started = time.perf_counter()
            try:
                status, payload = client.request(head + f"{len(body)}\r\n\r\n".encode() + body)
            except OSError as exc:
                client.close()
                client = RawClient(self.port)
                status, payload = 0, str(exc).encode()
            elapsed = time.perf_counter() - started
            with self.lock:
                if record:
                    self.latencies.append(elapsed)
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                if status != 201 and len(self.errors) < 5:
                    self.errors.append(f"{status}: {payload[:300]!r}")
        client.close()

    def run(self, *, concurrency: int, requests: int, seconds: float, record: bool) -> float:
        limit = self.counter + requests
        self.bodies = {n: self.body(n) for n in range(self.counter + 1, limit + 1)}
        until = time.monotonic() + seconds
        threads = [
            threading.Thread(target=self.worker, args=(i, until, limit, record), daemon=True)
            for i in range(concurrency)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def tree_cpu_seconds(root: int) -> float:
    """CPU (user + system) used so far by a process and its live children (gunicorn workers,
    PostgreSQL backends); children's CPU is read while they live, so take it before they exit."""
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: int | str) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    total = sum(int(x) for x in fields(root)[11:13])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != root:
            try:
                child = fields(entry.name)
            except OSError:
                continue
            if int(child[1]) == root:
                total += int(child[11]) + int(child[12])
    return total / tick


def postmaster_pid(cluster: Path) -> int:
    return int((cluster / "data" / "postmaster.pid").read_text().split()[0])


class WaitSampler(threading.Thread):
    """Samples pg_stat_activity every 100 ms while the load runs: what the benchmark's backends are
    doing (running, waiting for the audit chain's advisory lock, for a row lock such as the day's
    number counter, for the WAL flush, or idle in a transaction while the application computes)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.samples, self.stop = url, 0, threading.Event()
        self.counts: dict[str, int] = {}

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            while not self.stop.is_set():
                rows = connection.execute(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'running'), state, count(*) "
                    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state <> 'idle' GROUP BY 1, 2"
                ).fetchall()
                self.samples += 1
                for event, state, n in rows:
                    key = f"{state} / {event}"
                    self.counts[key] = self.counts.get(key, 0) + n
                time.sleep(0.1)

    def report(self) -> dict[str, float]:
        """Average number of backends in each state per sample."""
        return {
            k: round(v / max(1, self.samples), 2) for k, v in sorted(self.counts.items(), key=lambda x: -x[1])
        }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/open311/v2/services.json")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def train_bench_classifier(codes: list[str]) -> None:
    """A classifier trained on texts composed like the load's (60 per category, three folds)."""
    from huiqi.appeals import classification
    from huiqi.appeals.demo.simulation import compose_text

    rng = random.Random(5)
    texts, labels = [], []
    for code in codes:
        for _ in range(60):
            kind = rng.choice(["consultation", "help", "complaint", "suggestion"])
            title, content = compose_text(rng=rng, code=code, kind=kind, department="")
            texts.append(f"{title} {content}")
            labels.append(code)
    started = time.perf_counter()
    version = classification.train_classifier(
        actor=None, texts=texts, labels=labels, source="benchmark", config=classification.fast_config()
    )
    print(
        f"classifier {version.version}: {len(texts)} texts, macro-F1 {version.macro_f1}, "
        f"trained in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def drain(*, env: dict[str, str], codes: list[str], classifier: bool) -> None:
    """Runs the queued follow-up work of the registrations (one after_registration task each: the
    enterprise told its number, the metrics' fact, classification and automatic dispatch when a
    classifier is active) with one `huiqi db_worker --batch`, and reports its rate and CPU."""
    import resource

    from django.db import models
    from django_tasks_db.models import DBTaskResult

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    if classifier:
        train_bench_classifier(codes)
    follow_ups = DBTaskResult.objects.filter(task_path="huiqi.appeals.tasks.after_registration")
    queued = follow_ups.filter(status="READY").count()
    worker_before = children_cpu()
    started = time.perf_counter()
    worker = subprocess.run(
        [str(VENV / "huiqi"), "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*"],
        env={**env, "LOG_LEVEL": "ERROR"}, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    worker_cpu = children_cpu() - worker_before
    done = dict(follow_ups.values_list("status").annotate(n=models.Count("id")).values_list("status", "n"))
    from huiqi.appeals.models import Appeal

    print(
        json.dumps(
            {
                "follow_up_tasks_queued": queued, "statuses": done, "seconds": round(elapsed, 1),
                "tasks_per_second": round(done.get("SUCCESSFUL", 0) / elapsed, 1),
                "worker_exit": worker.returncode,
                "classified": Appeal.objects.exclude(classifier_version="").count(),
                "dispatched_automatically": Appeal.objects.filter(ticket__lead_department__isnull=False).count(),
                # PostgreSQL's share is not given: the worker's backend has exited by now.
                "db_worker_cpu_ms_per_task": round(worker_cpu * 1000 / max(queued, 1), 2),
            },
            ensure_ascii=False,
        ),
        flush=True,
    )  # fmt: skip
    if worker.returncode:
        print(worker.stderr[-2000:], file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/huiqi-bench-intake"))
    parser.add_argument("--pg-port", type=int, default=55432)
    parser.add_argument("--pg-setting", action="append", default=[], help="e.g. shared_buffers=256MB")
    parser.add_argument("--port", type=int, default=18431, help="gunicorn port on 127.0.0.1")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--worker-class", default="sync", help="sync (default) or gthread")
    parser.add_argument(
        "--server-side-binding",
        action="store_true",
        help="psycopg server-side parameter binding (prepared statements) via DATABASE_URL",
    )
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="sys.setswitchinterval in each worker, seconds (Python's default 0.005)",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=90, help="upper bound of the measured run")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--tasks-backend", default="django_tasks_db.DatabaseBackend")
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument(
        "--drain",
        action="store_true",
        help="afterwards, run the follow-up tasks (after_registration) with `huiqi db_worker --batch`",
    )
    parser.add_argument(
        "--classifier",
        action="store_true",
        help="with --drain: train a classifier first, so the follow-up classifies and may dispatch",
    )
    options = parser.parse_args()

    work = options.work_dir
    cluster = work / "pg"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    server = start_postgres(cluster, options.pg_port, ["max_connections=100", *options.pg_setting])
    url = server.replace("/postgres?", "/huiqi_bench?")
    if options.server_side_binding:
        url += "&server_side_binding=true"
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute("CREATE DATABASE huiqi_bench")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "huiqi.settings",
        "HUIQI_VAR_DIR": str(work / "var"),
        # The production default: registration enqueues its background work (the metrics fact
        # refresh, classification) as database rows; no worker runs, so only the enqueueing is measured.
        "HUIQI_TASKS_BACKEND": options.tasks_backend,
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    gunicorn = None
    failed = False
    try:
        print(
            f"seeding: {options.enterprises} enterprises, {options.accounts} platform accounts ...",
            flush=True,
        )
        tokens, usccs, codes = seed(enterprises=options.enterprises, accounts=options.accounts, work=work)
        config = work / "gunicorn.conf.py"
        config.write_text(
            "import sys\n\n\ndef post_fork(server, worker):\n"
            + (
                f"    sys.setswitchinterval({options.switch_interval})\n"
                if options.switch_interval
                else "    pass\n"
            )
        )
        gunicorn = subprocess.Popen(
            [str(VENV / "gunicorn"), "huiqi.wsgi", "--config", str(config), "--bind", f"127.0.0.1:{options.port}",
             "--worker-class", options.worker_class, "--workers", str(options.workers),
             "--threads", str(options.threads),
             "--keep-alive", "30", "--log-level", "warning"],
            env=env, cwd=ROOT,
        )  # fmt: skip
        wait_for(options.port)
        load = Load(port=options.port, tokens=tokens, usccs=usccs, codes=codes, seed=11)
        load.run(concurrency=options.concurrency, requests=options.warmup, seconds=60, record=False)
        load_before = os.getloadavg()[0]
        sampler = WaitSampler(url)
        sampler.start()
        cpu_before = (
            tree_cpu_seconds(gunicorn.pid),
            tree_cpu_seconds(postmaster_pid(cluster)),
            time.process_time(),
        )
        elapsed = load.run(
            concurrency=options.concurrency, requests=options.requests, seconds=options.seconds, record=True
        )
        cpu_after = (
            tree_cpu_seconds(gunicorn.pid),
            tree_cpu_seconds(postmaster_pid(cluster)),
            time.process_time(),
        )
        sampler.stop.set()
        load_after = os.getloadavg()[0]
        ok = load.statuses.get(201, 0)
        latencies = [x * 1000 for x in load.latencies]
        print(
            json.dumps(
                {
                    "worker_class": options.worker_class, "workers": options.workers, "threads": options.threads,
                    "switch_interval": options.switch_interval, "concurrency": options.concurrency,
                    "requests": len(latencies), "created_201": ok, "statuses": load.statuses,
                    "seconds": round(elapsed, 2), "appeals_per_second": round(ok / elapsed, 1),
                    "p50_ms": round(statistics.median(latencies), 1),
                    "p95_ms": round(percentile(latencies, 0.95), 1),
                    "p99_ms": round(percentile(latencies, 0.99), 1),
                    "max_ms": round(max(latencies), 1), "load_average": [round(load_before, 1), round(load_after, 1)],
                    "cpu_ms_per_appeal": {
                        name: round((after - before) * 1000 / max(ok, 1), 2)
                        for name, before, after in zip(
                            ("gunicorn", "postgresql", "load_generator"), cpu_before, cpu_after, strict=True
                        )
                    },
                },
                ensure_ascii=False,
            ),
            flush=True,
        )  # fmt: skip
        print("backends per sample (state / wait):", json.dumps(sampler.report(), ensure_ascii=False))
        for error in load.errors:
            print("error:", error, file=sys.stderr)
        from huiqi.appeals.models import Appeal
        from huiqi.core.audit import verify_audit_chain

        numbers = Appeal.objects.filter(external_id__startswith="BENCH-").values_list("number", flat=True)
        print(f"appeals in the database: {len(numbers)}, distinct numbers: {len(set(numbers))}")
        report = verify_audit_chain()
        print(f"audit chain: {'intact' if report.is_intact else 'BROKEN ' + report.problem} "
              f"({report.event_count} events)")  # fmt: skip
        if len(set(numbers)) != len(numbers) or not report.is_intact or load.errors:
            failed = True  # a fast run that loses numbers, breaks the chain or answers errors is no result
        if options.drain:
            drain(env=env, codes=codes, classifier=options.classifier)
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        stop_postgres(cluster)
    if failed:
        raise SystemExit("the run failed its checks (above): its figures do not count")


if __name__ == "__main__":
    main()
