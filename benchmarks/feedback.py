"""POST /api/ai/feedback through gunicorn on PostgreSQL, with 1M inference logs and 100k
classifications already stored: p50 / p95 with one client (the service time), then throughput
and p95 with 16 concurrent clients. A Celery worker runs beside gunicorn, applying the
training examples the posts queue, as in service; the CPU each spends per POST is printed.
Before each, the same server's cheapest authenticated request (GET /api/categories) with as
many clients: the machine's ceiling for any DRF request, to read the feedback figures against.
Every loop is bounded; the server listens on 127.0.0.1.

Run (needs PostgreSQL; Redis if REDIS_URL is set, else production settings cannot start):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aiops_bench_feedback \
    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python benchmarks/feedback.py

The database named in DATABASE_URL is dropped and recreated, and the Redis database in
REDIS_URL (cache and Celery queue) is flushed: never point either at real data.
Rows are bulk-inserted with INSERT ... SELECT generate_series (a few seconds for 1M).
"""

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def load(*, logs: int, classifications: int) -> tuple[str, list[tuple[int, str]]]:
    """Migrate, then store an organization, categories, a deployed category version, `logs`
    inference logs and `classifications` classifications (each with its own log)."""
    import django
    from django.core.management import call_command

    django.setup()
    from django.core.cache import cache

    cache.clear()  # the cache and the Celery queue: nothing left from an earlier run
    call_command("migrate", verbosity=0)
    from django.db import connection

    from aiops.models import Category, Classification
    from aiops.services.tenancy import api_token_issue, membership_ensure, organization_ensure
    from models_registry.models import ModelVersion

    org = organization_ensure(slug="bench")
    names = ["Account", "Billing", "Shipping", "Technical Issue", "Refunds"]
    categories = [Category.objects.create(organization=org, name=n) for n in names]
    version = ModelVersion.objects.create(
        organization=org, task="category", major=1, minor=0, patch=0, status="active"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ai_inference_logs (organization_id, task, model_version_id, arm, unit_id,
                predicted_label, confidence, latency_ms, success, error, tokens_in, tokens_out,
                cost_usd, outcome, true_label, created_at)
            SELECT %s, 'category', %s, CASE WHEN g %% 2 = 0 THEN 'A' ELSE 'B' END, g::text,
                (%s::text[])[1 + g %% 5], 0.5 + (g %% 50) / 100.0, 2 + (g %% 30), true, '',
                20, 0, 0, 'unknown', '', now() - make_interval(secs => g * 2.5)
            FROM generate_series(1, %s) AS g
            """,
            [org.pk, version.pk, names, logs],
        )
        cursor.execute(
            """
            INSERT INTO ai_classifications (organization_id, input_text, confidence,
                processing_time_ms, tokens_used, model_version_id, inference_log_id,
                feedback_comment, created_at, updated_at, category_id)
            SELECT l.organization_id,
                'Ticket ' || l.id || ': the app fails when I try to ' ||
                (ARRAY['log in', 'pay an invoice', 'track a parcel', 'reset my password'])
                    [1 + l.id %% 4] || ' from my account',
                l.confidence, l.latency_ms, 20, l.model_version_id, l.id, '', l.created_at,
                l.created_at, (%s::bigint[])[1 + l.id %% 5]
            FROM ai_inference_logs l
            ORDER BY l.id DESC
            LIMIT %s
            """,
            [[c.pk for c in categories], classifications],
        )
        cursor.execute("VACUUM ANALYZE ai_inference_logs")
        cursor.execute("VACUUM ANALYZE ai_classifications")
    print(
        f"stored {logs:,} inference logs and {classifications:,} classifications "
        f"in {time.perf_counter() - started:.1f} s"
    )
    rows = (
        Classification.objects.filter(organization=org)
        .order_by("pk")
        .values_list("pk", "inference_log__predicted_label")
    )
    # Each operation's correction: another category than the predicted one.
    operations = [(pk, names[(names.index(name) + 1) % len(names)]) for pk, name in rows]
    membership = membership_ensure(organization=org, username="bench-agent", role="agent")
    _, key = api_token_issue(membership=membership, name="bench")
    return key, operations


def analyze() -> None:
    """Refresh the planner's statistics, as autovacuum would have on a database in service:
    the tables the warm-up just filled from empty are otherwise planned as if still empty."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def start_worker(env: dict) -> subprocess.Popen:
    """The Celery worker that runs the examples sweep the feedback posts queue: it shares the
    machine with gunicorn, so its CPU counts against the figures, as it would in service."""
    command = [
        str(ROOT / ".venv" / "bin" / "celery"),
        "-A",
        "config",
        "--quiet",
        "worker",
        "--pool=solo",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children, read from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) for child in children)


def drain_sweep(timeout: float = 120) -> float:
    """Seconds until the worker has applied every feedback row (bounded by `timeout`)."""
    from feedback.models import Feedback

    started = time.perf_counter()
    while Feedback.objects.filter(training_pending=True).exists():
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"feedback rows still pending after {timeout:.0f} s")
        time.sleep(0.2)
    return time.perf_counter() - started


def start_gunicorn(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/api/ai/feedback")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start within 30 s")


class Client:
    """One keep-alive connection posting feedback on the operations it is given."""

    def __init__(self, port: int, key: str):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.errors: list[str] = []

    def post(self, operation: tuple[int, str], rng: random.Random) -> float:
        operation_id, correction = operation
        body = {"operationType": "classification", "operationId": operation_id}
        if rng.random() < 0.3:
            body.update(feedback="negative", correctedCategory=correction)
        else:
            body["feedback"] = "positive"
        payload = json.dumps(body)
        started = time.perf_counter()
        self.conn.request("POST", "/api/ai/feedback", body=payload, headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status not in (200, 201):
            self.errors.append(f"{response.status} {data[:200]!r}")
        return elapsed


def reference_latencies(port: int, key: str, requests: int) -> list[float]:
    """The same server's cheapest authenticated request (GET /api/categories, 5 rows): what
    this machine's load does to any request, to read the feedback figures against."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Authorization": f"Bearer {key}"}
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        conn.request("GET", "/api/categories", headers=headers)
        conn.getresponse().read()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def run_clients(port, key, operation_ids, clients: int, *, reference: bool = False):
    """Each client posts its share of `operation_ids` (bounded; with `reference`, it makes as
    many reference GETs instead); returns latencies, wall seconds and errors."""
    shares = [operation_ids[i::clients] for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[int] = [0] * clients
    barrier = threading.Barrier(clients)

    def work(i: int) -> None:
        client, rng = Client(port, key), random.Random(i)
        barrier.wait(timeout=30)
        if reference:
            latencies[i] = reference_latencies(port, key, len(shares[i]))
            return
        for operation in shares[i]:
            latencies[i].append(client.post(operation, rng))
        errors[i] = len(client.errors)
        if client.errors:
            print(f"client {i}: {client.errors[0]}", file=sys.stderr)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    wall = time.perf_counter() - started
    return [x for per in latencies for x in per], wall, sum(errors)


def report(label: str, latencies: list[float], wall: float, errors: int | None = None) -> None:
    line = (
        f"{label}: {len(latencies)} requests, {len(latencies) / wall:.0f} req/s, "
        f"p50 {percentile(latencies, 50):.2f} ms, p95 {percentile(latencies, 95):.2f} ms, "
        f"p99 {percentile(latencies, 99):.2f} ms"
    )
    print(line + ("" if errors is None else f", errors {errors}"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logs", type=int, default=1_000_000)
    parser.add_argument("--classifications", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=2000, help="requests with 1 client")
    parser.add_argument("--concurrent", type=int, default=8000, help="requests, 16 clients")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a throwaway PostgreSQL database.")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", f"{HOST},localhost")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    sys.path.insert(0, str(ROOT))
    needed = args.warmup * 2 + args.single + args.concurrent
    if needed > args.classifications:
        raise SystemExit(f"Need at least {needed} classifications for distinct operations.")

    recreate_database(url)
    key, ids = load(logs=args.logs, classifications=args.classifications)
    rng = random.Random(0)
    rng.shuffle(ids)
    warm1, ids = ids[: args.warmup], ids[args.warmup :]
    single, ids = ids[: args.single], ids[args.single :]
    warm16, ids = ids[: args.warmup], ids[args.warmup :]
    concurrent = ids[: args.concurrent]

    server = start_gunicorn(dict(os.environ), args.port, args.workers, args.threads)
    worker = start_worker(dict(os.environ))
    processes = {"gunicorn": server, "Celery worker": worker}
    try:
        run_clients(args.port, key, warm1, 1)
        if worker.poll() is not None:
            raise SystemExit("the Celery worker exited: see its output above")
        analyze()
        print(f"load average before measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        latencies, wall, _ = run_clients(args.port, key, single[:500], 1, reference=True)
        report("reference GET /api/categories, 1 client", latencies, wall)
        latencies, wall, errors = run_clients(args.port, key, single, 1)
        report("feedback POST, 1 client", latencies, wall, errors)
        run_clients(args.port, key, warm16, args.clients)
        analyze()
        latencies, wall, _ = run_clients(
            args.port, key, concurrent[:2000], args.clients, reference=True
        )
        report(f"reference GET /api/categories, {args.clients} clients", latencies, wall)
        before = {name: cpu_seconds(p.pid) for name, p in processes.items()}
        latencies, wall, errors = run_clients(args.port, key, concurrent, args.clients)
        report(f"feedback POST, {args.clients} clients", latencies, wall, errors)
        drained = drain_sweep()
        per_post = {
            name: 1000 * (cpu_seconds(p.pid) - before[name]) / len(latencies)
            for name, p in processes.items()
        }
        print(
            f"examples sweep drained {drained:.1f} s after the last response; CPU per POST: "
            + ", ".join(f"{name} {ms:.2f} ms" for name, ms in per_post.items())
        )
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    from feedback.models import Feedback
    from training.models import TrainingExample

    print(
        f"stored {Feedback.objects.count():,} feedback rows, "
        f"{TrainingExample.objects.count():,} training examples "
        f"(gunicorn: {args.workers} gthread workers x {args.threads} threads; "
        "one Celery worker running the examples sweep)"
    )


if __name__ == "__main__":
    main()
