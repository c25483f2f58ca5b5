"""What a request costs aiops beyond Django and DRF, and the classify and feedback aims of issue
14 (items 2, 4 and 5) against the cheapest authenticated GET, all measured in one run.

One gunicorn server (2 gthread workers x 4 threads, 127.0.0.1, as benchmarks/
registry_vs_mlflow.py runs aiops) on a throwaway PostgreSQL database, created here and dropped
after. Its settings (benchmarks/bench_overhead_settings.py) add two baseline views that the
product does not have: a plain Django view returning a JsonResponse (GET /bench/bare) and a plain
DRF APIView with no authentication, no permission and DRF's JSONRenderer (GET /bench/drf).
The database holds one organization with BANKING77's 77 categories and an admin token, two
`fast` category versions fitted on 2000 training rows each (different samples), A deployed
and a 50/50 A/B test of A against B running, so every classify is routed by the test and
writes its inference log; and one classification per feedback post to come (made by the
classify service beforehand, then ANALYZE), so no feedback is ever posted twice.

Measured, each after an untimed warm-up (all requests first with 8 clients: code, connections,
models; then per measurement a few requests per client):

- one client, --iterations requests each: the two baselines; the cheapest authenticated GET
  (GET /api/categories/<id>, one row); GET /api/ai/models?view=active&task=category;
  POST /api/ai/classify {body: a BANKING77 test text}; POST /api/ai/feedback on a
  classification (positive, or negative with another category 30% of the time);
- --clients clients, --per-client requests each: the cheapest GET, feedback, classify.

Each list is measured in ROUNDS (3) rounds of a third of the requests, the requests of the
list taking turns within each round, and each request's rounds are merged: requests compared
with each other meet the machine at the same minutes (on a shared machine its speed drifts).

For each: p50 / p95 ms, throughput, and CPU per request: the server's (utime + stime from /proc
of the gunicorn processes and, separately, of the PostgreSQL backends of its database), the
clients' (this process) and the rest of the machine's (/proc/stat: another's load), and the
busiest gunicorn process's share: connections opened while the server idles mostly land on one
gthread worker, which then serves all their requests on one core. Then the aims with their
figures, "reached" or "NOT reached". Any non-2xx answer is counted and printed, and makes the
script exit 1 once everything is printed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/request_overhead.py [--quick]

DATABASE_URL names the server (its database is only used to create and drop the throwaway one).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _gunicorn import (
    ROOT,
    Client,
    CpuMeter,
    aiops_env,
    create_db,
    drop_db,
    gunicorn_version,
    interrupt_on_sigterm,
    measure,
    merge,
    server_url,
    start_aiops,
    stop,
    tail,
    with_db,
)

BENCH = Path(__file__).resolve().parent
DATA = ROOT.parent / "shared" / "data" / "banking77"
TASK = "category"
TRAIN_ROWS = 2000
NEGATIVE_SHARE = 0.3
WARM_CLIENTS, WARM_EACH = 8, 2  # the first warm-up, of every request
WARMUP_PER_CLIENT = 5  # before each measurement
ROUNDS = 3  # each measurement in this many turns, interleaved with the others (_rounds)
REQUESTS = {
    "bare": ("GET", "/bench/bare"),
    "drf": ("GET", "/bench/drf"),
    "get": ("GET", "/api/categories/{category}"),
    "active": ("GET", f"/api/ai/models?view=active&task={TASK}"),
    "classify": ("POST", "/api/ai/classify"),
    "feedback": ("POST", "/api/ai/feedback"),
}
LABELS = {
    "bare": "plain Django view",
    "drf": "plain DRF view",
    "get": "cheapest GET /api/categories/<id>",
    "active": "GET models?view=active",
    "classify": "POST classify (A/B running)",
    "feedback": "POST feedback",
}
ONE_CLIENT = ("bare", "drf", "get", "active", "classify", "feedback")
MANY_CLIENTS = ("get", "feedback", "classify")


# --- preparing the database (in a subprocess) ---------------------------------------------


def _rows(name: str) -> list[tuple[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


def _feedback_body(record, labels: list[str], rng: random.Random) -> dict:
    body = {"operationType": "classification", "operationId": record.pk, "feedback": "positive"}
    if rng.random() < NEGATIVE_SHARE:
        predicted = record.inference_log.predicted_label
        other = labels[(labels.index(predicted) + 1) % len(labels)]
        body.update(feedback="negative", correctedCategory=other)
    return body


def _prepare(out: Path, targets: int) -> None:
    """With DATABASE_URL naming the throwaway database: migrate, then the organization, its
    categories, token, versions and A/B test, and `targets` classifications to post feedback
    on. Writes the token, the category's id and the request bodies to `out`."""
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection

    from aiops.models import Category
    from aiops.services import operations
    from aiops.services.tenancy import api_token_issue
    from models_registry import services
    from tests.factories import MembershipFactory, OrganizationFactory
    from training.estimators import build_estimator

    train, texts = _rows("train.csv"), [text for text, _ in _rows("test.csv")]
    labels = sorted({label for _, label in train})
    org = OrganizationFactory(slug="bench-overhead")
    categories = Category.objects.bulk_create([Category(organization=org, name=n) for n in labels])
    versions = []
    for seed in (0, 1):
        sample = random.Random(seed).sample(train, TRAIN_ROWS)
        model = build_estimator("fast", random_state=seed)
        model.fit([text for text, _ in sample], [label for _, label in sample])
        versions.append(
            services.model_version_register(
                organization=org,
                task=TASK,
                model=model,
                estimator="fast",
                labels=sorted({label for _, label in sample}),
            )
        )
    services.model_version_deploy(model_version=versions[0])
    services.ab_test_start(version_a=versions[0], version_b=versions[1], split_percentage=50)
    _, token = api_token_issue(membership=MembershipFactory(organization=org, role="admin"))
    rng, feedback = random.Random(0), []
    for k in range(targets):
        source = operations.operation_input(organization=org, body=texts[k % len(texts)])
        record = operations.classify(organization=org, source=source)
        feedback.append(_feedback_body(record, labels, rng))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have, on a database in service
    state = {
        "token": token,
        "category": categories[0].pk,
        "classify": [{"body": text} for text in texts[targets:] + texts[:targets]],
        "feedback": feedback,
    }
    out.write_text(json.dumps(state))


# --- measuring ------------------------------------------------------------------------------


class Pool:
    """Request bodies handed out in turn: once each, or round and round with `reuse`."""

    def __init__(self, bodies: list, reuse: bool):
        self.bodies, self.reuse, self.next = bodies, reuse, 0

    def take(self, n: int) -> list:
        if not self.reuse and self.next + n > len(self.bodies):
            raise RuntimeError(f"only {len(self.bodies) - self.next} bodies left, {n} needed")
        taken = [self.bodies[(self.next + k) % len(self.bodies)] for k in range(n)]
        self.next += n
        return taken


class Bench:
    """The running server, its token, what each request sends, and the warm-ups' errors."""

    def __init__(self, port: int, state: dict, cpu_meter):
        self.port, self.cpu_meter = port, cpu_meter
        self.headers = {"Authorization": f"Bearer {state['token']}"}
        self.paths = {k: path.format(**state) for k, (_, path) in REQUESTS.items()}
        self.pools = {
            "classify": Pool(state["classify"], reuse=True),
            "feedback": Pool(state["feedback"], reuse=False),
        }
        self.warmup_errors = 0

    def measure(self, kind: str, clients: int, n: int) -> dict:
        method, path = REQUESTS[kind][0], self.paths[kind]
        pool = self.pools.get(kind)
        shares = [pool.take(n) if pool else [None] * n for _ in range(clients)]

        def work(i: int, client: Client, out: dict) -> None:
            for body in shares[i]:
                status, ms, _ = client.call(method, path, body)
                out["ms"].append(ms)
                out["status"].append(status)

        connections = [Client(self.port, self.headers) for _ in range(clients)]
        return measure(connections, work, self.cpu_meter)

    def warm(self, kind: str, clients: int, n: int) -> None:
        self.warmup_errors += self.measure(kind, clients, n)["errors"]

    def run(self, kind: str, clients: int, n: int) -> dict:
        self.warm(kind, clients, WARMUP_PER_CLIENT)
        result = self.measure(kind, clients, n)
        codes = f" {result['codes']}" if result["codes"] else ""
        print(
            f"   {clients:>2} client(s) {LABELS[kind]:<34} n={result['n']:<5} "
            f"p50 {result['p50']:6.1f} ms  p95 {result['p95']:6.1f} ms  "
            f"{result['throughput']:6.0f} req/s  CPU/req app {result['app_cpu_ms']:5.2f} "
            f"db {result['db_cpu_ms']:5.2f} ms  errors {result['errors']}{codes}",
            flush=True,
        )
        return result


def _targets_needed(args) -> int:
    return (
        WARM_CLIENTS * WARM_EACH
        + ROUNDS * WARMUP_PER_CLIENT
        + args.iterations
        + args.clients * (ROUNDS * WARMUP_PER_CLIENT + args.per_client)
    )


def _rounds(bench: Bench, kinds: tuple[str, ...], clients: int, n: int) -> dict:
    """Each kind in ROUNDS rounds of about n / ROUNDS requests per client, the kinds taking
    turns within each round, merged per kind: requests compared with each other meet the
    machine at the same minutes (on a shared machine its speed drifts within a run)."""
    parts: dict[str, list] = {kind: [] for kind in kinds}
    for r in range(ROUNDS):
        share = n // ROUNDS + (1 if r < n % ROUNDS else 0)
        for kind in kinds:
            parts[kind].append(bench.run(kind, clients, share))
    return {kind: merge(results) for kind, results in parts.items()}


def _run(bench: Bench, args) -> dict:
    for kind in REQUESTS:
        bench.warm(kind, WARM_CLIENTS, WARM_EACH)
    one = _rounds(bench, ONE_CLIENT, 1, args.iterations)
    many = _rounds(bench, MANY_CLIENTS, args.clients, args.per_client)
    return {"one": one, "many": many}


# --- the report -----------------------------------------------------------------------------


def _table(results: dict, clients: int) -> None:
    head = (
        f"| {'request':<34} | {'clients':>7} | {'n':>5} | {'p50 ms':>7} | {'p95 ms':>7} "
        f"| {'req/s':>6} | {'app':>5} | {'db':>5} | {'client':>6} | {'other':>6} | {'top':>4} "
        f"| {'errors':>6} |"
    )
    print(f"\n{head}")
    print("|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|")
    for phase, n_clients in (("one", 1), ("many", clients)):
        for kind, r in results[phase].items():
            print(
                f"| {LABELS[kind]:<34} | {n_clients:>7} | {r['n']:>5} | {r['p50']:7.2f} "
                f"| {r['p95']:7.2f} | {r['throughput']:6.0f} | {r['app_cpu_ms']:5.2f} "
                f"| {r['db_cpu_ms']:5.2f} | {r['client_cpu_ms']:6.2f} | {r['other_cpu_ms']:6.2f} "
                f"| {r['busiest_app_share']:4.0%} | {r['errors']:>6} |"
            )
    print(
        "CPU ms per request: app = the gunicorn processes, db = the PostgreSQL backends of its "
        "database,\nclient = this process (the clients and the meter), other = the rest of the "
        "machine meanwhile\n(other processes, the kernel; on a shared machine, the others' load); "
        "top = the busiest gunicorn\nprocess's share of the app CPU (a gthread worker serves "
        "every request of the connections\nit accepted)."
    )


def _verdict(ok: bool) -> str:
    return "reached" if ok else "NOT reached"


def _aims(results: dict, clients: int) -> None:
    one, many = results["one"], results["many"]
    get, drf, bare = one["get"], one["drf"], one["bare"]
    print("\nAims of issue 14, from this run:")
    print(
        f"- item 2: cheapest GET's app CPU per request / the plain DRF view's: "
        f"{get['app_cpu_ms']:.2f} / {drf['app_cpu_ms']:.2f} ms = "
        f"{get['app_cpu_ms'] / drf['app_cpu_ms']:.2f}x (plain Django view "
        f"{bare['app_cpu_ms']:.2f} ms; the GET's db CPU besides: {get['db_cpu_ms']:.2f} ms)"
    )
    active = one["active"]
    print(
        f"- item 2: view=active, 1 client: p50 {active['p50']:.2f} ms, CPU per request app "
        f"{active['app_cpu_ms']:.2f} + db {active['db_cpu_ms']:.2f} ms"
    )
    ratio = one["classify"]["p95"] / get["p95"]
    print(
        f"- item 4: classify 1-client p95 / cheapest GET 1-client p95: "
        f"{one['classify']['p95']:.2f} / {get['p95']:.2f} ms = {ratio:.2f} (aim <= 3): "
        f"{_verdict(ratio <= 3)}"
    )
    feedback, many_get = many["feedback"], many["get"]
    ratio = feedback["throughput"] / many_get["throughput"]
    print(
        f"- item 5: feedback {clients}-client throughput / cheapest GET {clients}-client "
        f"throughput: {feedback['throughput']:.0f} / {many_get['throughput']:.0f} req/s = "
        f"{ratio:.2f} (aim >= 0.8): {_verdict(ratio >= 0.8)}"
    )
    print(
        f"- item 5: feedback {clients}-client p95 {feedback['p95']:.2f} ms (aim < 100 ms): "
        f"{_verdict(feedback['p95'] < 100)}"
    )


def _errors(bench: Bench, results: dict) -> int:
    measured = [r for phase in results.values() for r in phase.values()]
    errors = sum(r["errors"] for r in measured)
    requests = sum(r["requests"] for r in measured)
    reconnects = sum(r["reconnects"] for r in measured)
    print(
        f"\nErrors (non-2xx or no answer): {errors} in {requests} measured requests, "
        f"{bench.warmup_errors} in the warm-ups ({reconnects} keep-alive reconnects)"
    )
    return errors + bench.warmup_errors


def _check(database_url: str, bench: Bench) -> None:
    """What the requests wrote: inference logs by A/B arm, one feedback row per post."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        arms = conn.execute("SELECT arm, count(*) FROM ai_inference_logs GROUP BY arm ORDER BY arm")
        arms = ", ".join(f"{arm or '-'} {n}" for arm, n in arms.fetchall())
        rows = conn.execute("SELECT count(*) FROM ai_feedback").fetchone()[0]
    print(
        f"Written: inference logs by A/B arm: {arms} (the prepared classifications included); "
        f"{rows} feedback rows for {bench.pools['feedback'].next} feedback posts"
    )


# --- main -----------------------------------------------------------------------------------


def _prepare_in_subprocess(env: dict, workdir: Path, targets: int) -> dict:
    out = workdir / "state.json"
    command = [sys.executable, __file__, "--prepare", str(out), "--targets", str(targets)]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return json.loads(out.read_text())


def _bench(server: str, workdir: Path, args) -> int:
    """Create the database, prepare it, start gunicorn, measure, report; stop and drop.
    Returns the number of errors."""
    dbname = proc = None
    log = workdir / "server.log"
    try:
        dbname = create_db(server, "aiops_overhead")
        env = aiops_env(with_db(server, dbname), workdir)
        state = _prepare_in_subprocess(env, workdir, _targets_needed(args))
        env["DJANGO_SETTINGS_MODULE"] = "bench_overhead_settings"
        proc, port = start_aiops(env, log, f"--pythonpath={BENCH}")
        print(f"   ready on 127.0.0.1:{port}", flush=True)
        bench = Bench(port, state, lambda: CpuMeter(proc.pid, dbname))
        results = _run(bench, args)
        _table(results, args.clients)
        _aims(results, args.clients)
        errors = _errors(bench, results)
        _check(with_db(server, dbname), bench)
        if errors:
            print(f"\nThe server's log, last lines:\n{tail(log)}")
        return errors
    finally:
        stop(proc)
        if dbname:
            drop_db(server, dbname)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=600, help="one client: per request")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=60, help="per request and client")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 30 / 4 clients x 5")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--targets", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        _prepare(args.prepare, args.targets)
        return
    if args.quick:
        args.iterations, args.clients, args.per_client = 30, 4, 5
    server = server_url()
    interrupt_on_sigterm()
    print(
        f"aiops request overhead: gunicorn {gunicorn_version()} (2 gthread workers x 4 threads) "
        f"on PostgreSQL; 1 client x {args.iterations}, {args.clients} clients x "
        f"{args.per_client} per request; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="aiops-overhead-"))
    try:
        errors = _bench(server, workdir, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
