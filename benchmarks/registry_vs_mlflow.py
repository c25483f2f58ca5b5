"""aiops's model registry side by side with MLflow's, both on gunicorn and PostgreSQL.

Both servers run in the same layout (gunicorn, 2 gthread workers x 4 threads, 127.0.0.1, a
throwaway PostgreSQL database each, created here and dropped after) and are driven by the same
client: raw http.client keep-alive connections, TCP_NODELAY set, one connection per client
thread. Three operations and the three in a loop:

- register. aiops: POST /api/ai/models {action: register, task: category}, a new version
  record (next semver, event logged) with no artifact, as benchmarks/registry.py registers
  (the API takes no artifact). MLflow: POST /api/2.0/mlflow/model-versions/create {name,
  source}, a new version record whose source is an s3:// URI under the server's artifact
  root (never read: nothing is uploaded).
- deploy. aiops: {action: deploy, task, version} (strategy full): the version is checked
  servable (its artifact loads, cached per worker), the organization is locked, the active
  deployment is replaced, statuses and an event are written. MLflow: POST
  /api/2.0/mlflow/registered-models/alias {name, alias: champion, version}.
- read. aiops: GET /api/ai/models?view=active&task=category. MLflow: GET
  /api/2.0/mlflow/registered-models/alias?name=...&alias=champion.

A version registered through aiops's API has no artifact and cannot be deployed (a deploy of
it answers 409), so aiops's deploys alternate between two versions registered with a small
fitted model at setup; MLflow's alternate between versions 1 and 2 likewise, and in the loop
(register, deploy, read) MLflow's alias moves to the version just created.

Phases, each with its own fresh organizations / registered models: one client (--iterations
of each operation, then as many loops); --clients clients x --per-client, each on its own
organization (aiops, an admin token each) / registered model (MLflow); then all of them on one
organization and task / one registered model. Each client first runs two untimed loops (warm
connections, artifact loads). After every phase: the error count (non-2xx or no answer),
exactly one active deployment per organization and task (aiops, from the database) and the
alias resolving (MLflow). Server CPU per request is the utime + stime (from /proc, sampled
per process every 0.5 s, so connections Django recycles still count) of the server's process
tree (gunicorn master and workers), and separately of the PostgreSQL backends connected to its
database, over the phase, divided by its requests. Both servers run at once (the idle one
costs nothing) and the sides are interleaved: each operation of each phase is measured on one
side and straight after on the other, so that both meet the machine at the same minute (on a
shared machine its speed drifts within a run). The whole run happens in both orders (aiops
measured first, then MLflow first, each time with fresh servers and databases); ratios are
aiops / MLflow.

MLflow goes into its own venv (/tmp/aiops-mlflow-venv, kept for reruns; --skip-install uses it
as it is): mlflow 3.17.2 (or the newest 3.17.x the index has) with psycopg2-binary, served by
`mlflow server --workers 2 --gunicorn-opts "--threads 4 --worker-class gthread"` (MLflow's CLI
creates its tables, then runs gunicorn on its Flask app), with job execution and telemetry off.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/registry_vs_mlflow.py [--quick] [--order aiops-first]

DATABASE_URL names the server (its database is only used to create and drop throwaway ones).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

from _gunicorn import (
    ROOT,
    Client,
    CpuMeter,
    aiops_env,
    create_db,
    drop_db,
    free_port,
    gunicorn_version,
    interrupt_on_sigterm,
    measure,
    server_url,
    start_aiops,
    stop,
    wait_for_port,
    with_db,
)

MLFLOW_VENV = Path("/tmp/aiops-mlflow-venv")
MLFLOW_SERIES = "3.17"
MLFLOW_WANTED = "3.17.2"
MLFLOW_ARTIFACT_ROOT = "s3://aiops-bench-artifacts"
TASK = "category"
ALIAS = "champion"
OPERATIONS = ("register", "deploy", "read", "loop")
LABELS = {
    "register": "register vs create model version",
    "deploy": "deploy (full) vs set alias",
    "read": "view=active vs get alias",
    "loop": "the three in a loop",
}
PHASES = ("solo", "own", "shared")
WARMUP_LOOPS = 2


# --- the two sides --------------------------------------------------------------------------


class Side:
    name = ""

    def __init__(self, server_url: str, workdir: Path, clients: int):
        self.server_url = server_url
        self.workdir = workdir
        self.clients = clients
        self.dbname: str | None = None
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.log = workdir / f"{self.name}-server.log"
        # tenant name -> what a client of it needs (headers, the two deployable versions, ...)
        self.tenants: dict[str, dict] = {}

    def tenant_names(self, phase: str) -> list[str]:
        if phase == "solo":
            return ["solo"]
        if phase == "own":
            return [f"own-{i:02d}" for i in range(self.clients)]
        return ["shared"] * self.clients

    def all_tenants(self) -> list[str]:
        return ["warm", "solo", "shared", *self.tenant_names("own")]

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        try:
            stop(self.proc)
        finally:
            if self.dbname:
                drop_db(self.server_url, self.dbname)
                self.dbname = None

    def cpu_meter(self) -> CpuMeter:
        return CpuMeter(self.proc.pid, self.dbname)

    def client(self, tenant: str) -> Client:
        return Client(self.port, self.tenants[tenant]["headers"])

    # Each returns (status, ms, the version it registered or None).
    def register(self, client: Client, tenant: str):
        raise NotImplementedError

    def deploy(self, client: Client, tenant: str, version: str):
        raise NotImplementedError

    def read(self, client: Client, tenant: str):
        raise NotImplementedError

    def loop_target(self, tenant: str, registered: str | None, k: int) -> str:
        raise NotImplementedError

    def check(self, tenants: list[str]) -> str:
        raise NotImplementedError


class Aiops(Side):
    name = "aiops"

    def start(self) -> None:
        self.dbname = create_db(self.server_url, "aiops_vs_mlflow")
        env = aiops_env(with_db(self.server_url, self.dbname), self.workdir)
        out = self.workdir / "aiops-tenants.json"
        prepare = [sys.executable, __file__, "--prepare-aiops", str(out)]
        prepare += ["--clients", str(self.clients)]
        subprocess.run(prepare, cwd=ROOT, env=env, check=True)
        tenants = json.loads(out.read_text())
        for name, tenant in tenants.items():
            tenant["headers"] = {"Authorization": f"Bearer {tenant.pop('token')}"}
            self.tenants[name] = tenant
        self.proc, self.port = start_aiops(env, self.log)

    def register(self, client, tenant):
        body = {"action": "register", "task": TASK}
        status, ms, answer = client.call("POST", "/api/ai/models", body)
        return status, ms, (answer or {}).get("version")

    def deploy(self, client, tenant, version):
        body = {"action": "deploy", "task": TASK, "version": version}
        status, ms, _ = client.call("POST", "/api/ai/models", body)
        return status, ms, None

    def read(self, client, tenant):
        status, ms, _ = client.call("GET", f"/api/ai/models?view=active&task={TASK}")
        return status, ms, None

    def loop_target(self, tenant, registered, k):
        # What the API registers has no artifact and cannot serve: deploy the fitted ones.
        return self.tenants[tenant]["versions"][(k + 1) % 2]

    def check(self, tenants):
        import psycopg

        ids = {self.tenants[t]["org_id"] for t in tenants}
        with psycopg.connect(with_db(self.server_url, self.dbname)) as conn:
            rows = conn.execute(
                "SELECT organization_id, count(*) FROM ai_model_deployments "
                "WHERE status = 'active' AND task = %s AND organization_id = ANY(%s) "
                "GROUP BY organization_id",
                [TASK, list(ids)],
            ).fetchall()
        counts = {org: n for org, n in rows}
        bad = {org: counts.get(org, 0) for org in ids if counts.get(org, 0) != 1}
        if bad:
            return f"NOT exactly one active deployment: {bad}"
        return f"exactly one active deployment in each of {len(ids)} org+task"


class Mlflow(Side):
    name = "MLflow"

    def start(self) -> None:
        self.dbname = create_db(self.server_url, "mlflow_vs_aiops")
        self.port = free_port()
        env = {
            **os.environ,
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
        }
        env.pop("DATABASE_URL", None)
        command = [
            str(MLFLOW_VENV / "bin" / "mlflow"),
            "server",
            "--backend-store-uri",
            # SQLAlchemy 2.1 maps postgresql:// to psycopg 3: name the installed driver.
            with_db(self.server_url, self.dbname, scheme="postgresql+psycopg2"),
            "--default-artifact-root",
            MLFLOW_ARTIFACT_ROOT,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "2",
            "--gunicorn-opts",
            "--threads 4 --worker-class gthread --log-level warning",
        ]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                command, cwd=self.workdir, env=env, stdout=log, stderr=log, start_new_session=True
            )
        wait_for_port(self.port, self.proc, self.log)
        client = Client(self.port, {})
        try:
            for name in dict.fromkeys(self.all_tenants()):
                self._setup_model(client, name)
        finally:
            client.close()

    def _setup_model(self, client: Client, name: str) -> None:
        api = "/api/2.0/mlflow"
        status, _, answer = client.call("POST", f"{api}/registered-models/create", {"name": name})
        if status != 200:
            raise RuntimeError(f"MLflow registered-models/create {name}: {status} {answer}")
        versions = []
        for _ in range(2):
            status, _, answer = self.register(client, name)
            if status != 200 or not answer:
                raise RuntimeError(f"MLflow model-versions/create {name}: {status}")
            versions.append(answer)
        status, _, _ = self.deploy(client, name, versions[0])
        if status != 200:
            raise RuntimeError(f"MLflow registered-models/alias {name}: {status}")
        self.tenants[name] = {"headers": {}, "versions": versions}

    def register(self, client, tenant):
        body = {"name": tenant, "source": f"{MLFLOW_ARTIFACT_ROOT}/{tenant}/model"}
        status, ms, answer = client.call("POST", "/api/2.0/mlflow/model-versions/create", body)
        return status, ms, ((answer or {}).get("model_version") or {}).get("version")

    def deploy(self, client, tenant, version):
        body = {"name": tenant, "alias": ALIAS, "version": version}
        status, ms, _ = client.call("POST", "/api/2.0/mlflow/registered-models/alias", body)
        return status, ms, None

    def read(self, client, tenant):
        path = f"/api/2.0/mlflow/registered-models/alias?name={tenant}&alias={ALIAS}"
        status, ms, _ = client.call("GET", path)
        return status, ms, None

    def loop_target(self, tenant, registered, k):
        return registered or self.tenants[tenant]["versions"][(k + 1) % 2]

    def check(self, tenants):
        client = Client(self.port, {})
        bad = []
        try:
            for name in dict.fromkeys(tenants):
                path = f"/api/2.0/mlflow/registered-models/alias?name={name}&alias={ALIAS}"
                status, _, answer = client.call("GET", path)
                version = ((answer or {}).get("model_version") or {}).get("version")
                if status != 200 or not version:
                    bad.append(f"{name}: {status}")
        finally:
            client.close()
        if bad:
            return f"alias NOT resolving: {bad}"
        return f"alias '{ALIAS}' resolves on each of {len(set(tenants))} registered models"


# --- measuring ------------------------------------------------------------------------------


def _work(side: Side, operation: str, tenant: str, client: Client, n: int, out: dict) -> None:
    versions = side.tenants[tenant]["versions"]
    for k in range(n):
        if operation == "register":
            status, ms, _ = side.register(client, tenant)
            out["ms"].append(ms)
            out["status"].append(status)
        elif operation == "deploy":
            status, ms, _ = side.deploy(client, tenant, versions[(k + 1) % 2])
            out["ms"].append(ms)
            out["status"].append(status)
        elif operation == "read":
            status, ms, _ = side.read(client, tenant)
            out["ms"].append(ms)
            out["status"].append(status)
        else:
            s1, ms1, registered = side.register(client, tenant)
            s2, ms2, _ = side.deploy(client, tenant, side.loop_target(tenant, registered, k))
            s3, ms3, _ = side.read(client, tenant)
            out["ms"].append(ms1 + ms2 + ms3)
            out["status"].extend((s1, s2, s3))


def _measure(side: Side, operation: str, tenants: list[str], n: int) -> dict:
    """`len(tenants)` clients, one per tenant entry, `n` times `operation` each."""

    def work(i: int, client: Client, out: dict) -> None:
        _work(side, operation, tenants[i], client, n, out)

    return measure([side.client(t) for t in tenants], work, side.cpu_meter)


def _run_pair(sides: list[Side], args) -> dict[str, dict]:
    """Start both servers, then run the three phases with the two sides interleaved: each
    operation is measured on one side, then at once on the other, so both see the machine
    as it is at that minute (on a shared machine its speed drifts over a run). Check after
    each phase; stop and drop both."""
    results = {side.name: {"phases": {}, "checks": {}} for side in sides}
    try:
        for side in sides:
            print(f"\n== {side.name}: starting (throwaway database, gunicorn 2 gthread x 4)")
            started = time.perf_counter()
            side.start()
            print(f"   ready on 127.0.0.1:{side.port} in {time.perf_counter() - started:.0f} s")
        warmups = {side.name: [_measure(side, "loop", ["warm"] * 8, 3)] for side in sides}
        print(f"\n== {' then '.join(side.name for side in sides)}, operation by operation")
        for phase in PHASES:
            for side in sides:
                tenants = side.tenant_names(phase)
                warmups[side.name].append(_measure(side, "loop", tenants, WARMUP_LOOPS))
                if bad := sum(w["errors"] for w in warmups[side.name]):
                    print(f"   {side.name} warm-up loops so far: {bad} errors", flush=True)
                results[side.name]["phases"][phase] = {}
            n = args.iterations if phase == "solo" else args.per_client
            for operation in OPERATIONS:
                for side in sides:
                    tenants = side.tenant_names(phase)
                    res = _measure(side, operation, tenants, n)
                    results[side.name]["phases"][phase][operation] = res
                    unit = "loops" if operation == "loop" else "req"
                    codes = f" {res['codes']}" if res["codes"] else ""
                    print(
                        f"   {side.name:<6} {phase:<6} {len(tenants):>2} client(s) "
                        f"{operation:<8} n={res['n']:<5} p50 {res['p50']:7.1f} ms  "
                        f"p95 {res['p95']:7.1f} ms  {res['throughput']:7.1f} {unit}/s  "
                        f"CPU/req app {res['app_cpu_ms']:5.2f} db {res['db_cpu_ms']:5.2f} ms  "
                        f"errors {res['errors']}{codes}",
                        flush=True,
                    )
            for side in sides:
                check = side.check(side.tenant_names(phase))
                results[side.name]["checks"][phase] = check
                print(f"   {side.name:<6} {phase:<6} after: {check}", flush=True)
    finally:
        for side in sides:
            side.close()
    return results


# --- the report -----------------------------------------------------------------------------


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def _table(order: list[str], results: dict[str, dict], clients: int) -> list[dict]:
    """Print one order's table; return its ratios."""
    a, m = results["aiops"]["phases"], results["MLflow"]["phases"]
    print(f"\n### Order: {' then '.join(order)}  (p50 / p95 ms; ratio = aiops / MLflow)")
    head = (
        f"| {'operation (aiops vs MLflow)':<33} | {'1 client aiops':>15} | {'1 client MLflow':>15} "
        f"| {'ratio':>13} | {f'{clients} clients own: aiops / MLflow /s, ratio':>37} "
        f"| {f'{clients} clients one: aiops / MLflow /s, ratio':>37} |"
    )
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    ratios = []
    for op in OPERATIONS:
        sa, sm = a["solo"][op], m["solo"][op]
        r50, r95 = _ratio(sa["p50"], sm["p50"]), _ratio(sa["p95"], sm["p95"])
        cells = []
        row = {"op": op, "p50": r50, "p95": r95}
        for phase in ("own", "shared"):
            ta, tm = a[phase][op]["throughput"], m[phase][op]["throughput"]
            row[phase] = _ratio(ta, tm)
            cells.append(f"{ta:7.1f} / {tm:7.1f}, {row[phase]:5.2f}")
        ratios.append(row)
        print(
            f"| {LABELS[op]:<33} | {sa['p50']:6.1f} / {sa['p95']:6.1f} "
            f"| {sm['p50']:6.1f} / {sm['p95']:6.1f} | {r50:5.2f} / {r95:5.2f} "
            f"| {cells[0]:>37} | {cells[1]:>37} |"
        )
    print("(throughput: requests/s; for the loop, loops/s of three requests)")
    print("\nServer CPU per request, ms: gunicorn processes + PostgreSQL backends of its database")
    print(
        f"| {'operation':<10} | {'phase':<22} | {'aiops app + db':>15} | {'MLflow app + db':>15} "
        f"| {'ratio (total)':>13} |"
    )
    for op in OPERATIONS:
        for phase, label in (
            ("solo", "1 client"),
            ("own", f"{clients} clients, own"),
            ("shared", f"{clients} clients, one"),
        ):
            ra, rm = a[phase][op], m[phase][op]
            ta, tm = ra["app_cpu_ms"] + ra["db_cpu_ms"], rm["app_cpu_ms"] + rm["db_cpu_ms"]
            print(
                f"| {op:<10} | {label:<22} | {ra['app_cpu_ms']:6.2f} + {ra['db_cpu_ms']:5.2f} "
                f"| {rm['app_cpu_ms']:6.2f} + {rm['db_cpu_ms']:5.2f} | {_ratio(ta, tm):13.2f} |"
            )
    for side in ("aiops", "MLflow"):
        phases = results[side]["phases"]
        errors = sum(r["errors"] for p in phases.values() for r in p.values())
        requests = sum(r["requests"] for p in phases.values() for r in p.values())
        reconnects = sum(r["reconnects"] for p in phases.values() for r in p.values())
        checks = "; ".join(f"{p}: {c}" for p, c in results[side]["checks"].items())
        print(
            f"{side}: {errors} errors in {requests} measured requests "
            f"({reconnects} keep-alive reconnects); after every phase: {checks}"
        )
    return ratios


def _summary(all_ratios: list[list[dict]], clients: int) -> None:
    if len(all_ratios) < 2:
        return
    print("\n### Both orders: ratios aiops / MLflow (geometric mean of the two orders)")
    print(
        f"| {'operation':<33} | {'1 client p50':>16} | {'1 client p95':>16} "
        f"| {f'{clients} own: throughput':>19} | {f'{clients} one: throughput':>19} |"
    )
    for i, op in enumerate(OPERATIONS):
        cells = []
        for key in ("p50", "p95", "own", "shared"):
            values = [r[i][key] for r in all_ratios]
            each = " ".join(f"{v:.2f}" for v in values)
            ok = all(math.isfinite(v) and v > 0 for v in values)
            gm = math.exp(sum(math.log(v) for v in values) / len(values)) if ok else math.nan
            cells.append(f"{gm:.2f} ({each})")
        print(
            f"| {LABELS[op]:<33} | {cells[0]:>16} | {cells[1]:>16} | {cells[2]:>19} "
            f"| {cells[3]:>19} |"
        )


# --- setup ----------------------------------------------------------------------------------


def _mlflow_install(skip: bool) -> str:
    python = MLFLOW_VENV / "bin" / "python"
    if skip and python.exists():
        print(f"Using the MLflow venv at {MLFLOW_VENV} as it is (--skip-install)")
    else:
        if skip:
            print(f"--skip-install: no venv at {MLFLOW_VENV} yet, creating it")
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        pip = [str(python), "-m", "pip"]
        listing = subprocess.run(
            [*pip, "index", "versions", "mlflow"], capture_output=True, text=True, timeout=300
        ).stdout
        found = re.search(r"Available versions: (.*)", listing)
        available = [v.strip() for v in found.group(1).split(",")] if found else []
        series = [v for v in available if v.startswith(MLFLOW_SERIES + ".")]
        wanted = MLFLOW_WANTED if MLFLOW_WANTED in available or not series else series[0]
        if wanted != MLFLOW_WANTED:
            print(f"mlflow {MLFLOW_WANTED} is not on the index: installing {wanted}")
        print(f"Installing mlflow=={wanted} psycopg2-binary into {MLFLOW_VENV} ...", flush=True)
        subprocess.run(
            [*pip, "install", "-q", f"mlflow=={wanted}", "psycopg2-binary"],
            check=True,
            stderr=subprocess.DEVNULL,
        )
    version = subprocess.run(
        [
            str(python),
            "-c",
            "import gunicorn, mlflow; print(mlflow.__version__, gunicorn.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return f"mlflow {version[0]} (gunicorn {version[1]})"


def _prepare_aiops(out: Path, clients: int) -> None:
    """In a subprocess, with DATABASE_URL naming the throwaway database: migrate, then per
    tenant an organization, an admin token and two versions with a fitted model (the first
    deployed)."""
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from aiops.services.tenancy import api_token_issue
    from models_registry import services
    from tests.factories import MembershipFactory, OrganizationFactory
    from training.estimators import build_estimator

    words = ("billing", "login", "crash", "refund")
    texts = [f"{w} issue with my account, case {i}" for i in range(10) for w in words]
    labels = [w for i in range(10) for w in words]
    model = build_estimator("fast", random_state=0).fit(texts, labels)
    names = ["warm", "solo", "shared", *(f"own-{i:02d}" for i in range(clients))]
    tenants = {}
    for name in names:
        org = OrganizationFactory(slug=f"bench-{name}")
        versions = [
            services.model_version_register(
                organization=org, task=TASK, model=model, estimator="fast", labels=list(words)
            )
            for _ in range(2)
        ]
        services.model_version_deploy(model_version=versions[0])
        _, token = api_token_issue(membership=MembershipFactory(organization=org, role="admin"))
        tenants[name] = {
            "org_id": org.pk,
            "token": token,
            "versions": [v.version for v in versions],
        }
    out.write_text(json.dumps(tenants))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300, help="one client: per operation")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=60, help="per operation and client")
    parser.add_argument("--order", choices=["both", "aiops-first", "mlflow-first"], default="both")
    parser.add_argument("--skip-install", action="store_true", help="use the cached venv as is")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20 / 4 clients x 5")
    parser.add_argument("--prepare-aiops", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare_aiops:
        _prepare_aiops(args.prepare_aiops, args.clients)
        return
    if args.quick:
        args.iterations, args.clients, args.per_client = 20, 4, 5
    server = server_url()
    interrupt_on_sigterm()
    mlflow = _mlflow_install(args.skip_install)
    print(
        f"{mlflow} vs aiops (gunicorn {gunicorn_version()}), PostgreSQL at "
        f"{urlparse(server).hostname}:{urlparse(server).port or 5432}; "
        f"1 client x {args.iterations}, {args.clients} clients x {args.per_client} "
        f"per operation; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    orders = {
        "both": [["aiops", "MLflow"], ["MLflow", "aiops"]],
        "aiops-first": [["aiops", "MLflow"]],
        "mlflow-first": [["MLflow", "aiops"]],
    }[args.order]
    all_ratios, tables = [], []
    workdir = Path(tempfile.mkdtemp(prefix="aiops-vs-mlflow-"))
    try:
        for order in orders:
            sides = []
            for name in order:
                side_class = Aiops if name == "aiops" else Mlflow
                side = side_class(server, workdir / f"{name}-{uuid.uuid4().hex[:6]}", args.clients)
                side.workdir.mkdir(parents=True)
                sides.append(side)
            tables.append((order, _run_pair(sides, args)))
        for order, results in tables:
            all_ratios.append(_table(order, results, args.clients))
        _summary(all_ratios, args.clients)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
