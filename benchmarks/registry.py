"""Registry benchmark through gunicorn on PostgreSQL, with routing and logging on during a
running A/B test.

Creates a throwaway PostgreSQL database, a demo organization with a fast-estimator category
model in two versions under a 50/50 A/B test, starts gunicorn (2 gthread workers x 4 threads,
the layout measured best on 2 cores) and measures, over keep-alive HTTP connections:

- POST /api/ai/classify: p50 / p95 with one client; throughput and p95 with 16 clients;
- register / deploy / rollback (POST /api/ai/models) and A/B results (GET ...?view=ab-results):
  p50 / p95 with one client and under 16 concurrent clients, counting every non-2xx answer
  (concurrent deploys of one org and task must never fail on the unique active deployment).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/registry.py

DATABASE_URL names the server (its database is only used to create and drop the throwaway one).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from _gunicorn import aiops_env, create_db, drop_db, server_url, start_aiops, stop, with_db

ROOT = Path(__file__).resolve().parents[1]


def _prepare(n_tickets: int) -> dict:
    """Migrate, load the demo helpdesk, register + deploy two fast models, start the A/B test."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from aiops.models import Ticket
    from aiops.services.demo import demo_helpdesk_load
    from aiops.services.tenancy import api_token_issue
    from models_registry import services
    from tests.factories import MembershipFactory, OrganizationFactory
    from training.estimators import build_estimator

    org = OrganizationFactory(slug="bench")
    demo_helpdesk_load(organization=org, seed=3, n_tickets=n_tickets)
    tickets = list(Ticket.objects.filter(organization=org).exclude(category=None))
    texts, labels = [t.text for t in tickets], [t.category.name for t in tickets]
    versions = []
    for seed in (0, 1):
        model = build_estimator("fast", random_state=seed).fit(texts, labels)
        versions.append(
            services.model_version_register(
                organization=org,
                task="category",
                model=model,
                estimator="fast",
                labels=sorted(set(labels)),
            )
        )
    services.model_version_deploy(model_version=versions[0])
    services.ab_test_start(version_a=versions[0], version_b=versions[1], split_percentage=50)
    # A separate task for the registry operations (a running A/B test refuses deploys): two
    # servable versions the deploys alternate between (a version registered through the API
    # has no artifact, and deploying what cannot serve is a 409).
    for _ in range(2):
        last = services.model_version_register(
            organization=org, task="priority", model=model, labels=sorted(set(labels))
        )
    services.model_version_deploy(model_version=last)
    tokens = {}
    for role in ("agent", "admin"):
        _, tokens[role] = api_token_issue(membership=MembershipFactory(organization=org, role=role))
    return {"tokens": tokens, "ticket_ids": [t.pk for t in tickets]}


class Client:
    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, float]:
        status, ms, _ = self.call_json(method, path, body)
        return status, ms

    def call_json(self, method: str, path: str, body: dict | None = None):
        started = time.perf_counter()
        data = json.dumps(body) if body is not None else None
        self.conn.request(method, path, body=data, headers=self.headers)
        response = self.conn.getresponse()
        content = response.read()
        return response.status, (time.perf_counter() - started) * 1000, content


def _pct(values, q):
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else float("nan")


def _run(clients: int, work) -> tuple[dict, float]:
    """Run `work(client_index, results)` in `clients` threads; return results and wall time."""
    results: dict[str, list] = {}
    lock = threading.Lock()

    def target(i):
        local: dict[str, list] = {}
        work(i, local)
        with lock:
            for key, values in local.items():
                results.setdefault(key, []).extend(values)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=600)
    parser.add_argument("--classify", type=int, default=300, help="requests with one client")
    parser.add_argument("--per-client", type=int, default=40, help="requests per client of 16")
    parser.add_argument("--ops", type=int, default=40, help="registry cycles with one client")
    parser.add_argument("--ops-per-client", type=int, default=8)
    args = parser.parse_args()

    server = server_url()
    name = create_db(server, "aiops_bench")
    workdir = Path(tempfile.mkdtemp(prefix="aiops-bench-"))
    env = aiops_env(with_db(server, name), workdir)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    proc = None
    try:
        state = _prepare(args.tickets)
        from django.db import connections

        connections.close_all()
        proc, port = start_aiops(env, workdir / "server.log")
        tickets, tokens = state["ticket_ids"], state["tokens"]

        def classify(n, offset=0):
            def work(i, out):
                client = Client(port, tokens["agent"])
                for k in range(n):
                    ticket = tickets[(offset + i * n + k) % len(tickets)]
                    status, ms = client.call("POST", "/api/ai/classify", {"ticketId": ticket})
                    out.setdefault("ms", []).append(ms)
                    out.setdefault("status", []).append(status)

            return work

        _run(4, classify(10))  # warm both workers: models loaded, connections open
        single, _ = _run(1, classify(args.classify, 1000))
        many, wall = _run(16, classify(args.per_client, 5000))
        print("POST /api/ai/classify (A/B test running, routing + inference log on)")
        for label, res, extra in (
            ("1 client", single, ""),
            ("16 clients", many, f", throughput {len(many['ms']) / wall:.0f} req/s"),
        ):
            bad = sum(s != 201 for s in res["status"])
            print(
                f"  {label}: n={len(res['ms'])} p50 {_pct(res['ms'], 50):.1f} ms, "
                f"p95 {_pct(res['ms'], 95):.1f} ms{extra}, non-201: {bad}"
            )

        def registry(n):
            def work(i, out):
                client = Client(port, tokens["admin"])
                for _ in range(n):
                    status, ms, body = client.call_json(
                        "POST", "/api/ai/models", {"action": "register", "task": "priority"}
                    )
                    out.setdefault("register", []).append((status, ms))
                    # Deploy one of the two servable versions: concurrent clients race on the
                    # same org and task.
                    version = ("v1.0.0", "v1.1.0")[len(out.get("deploy", [])) % 2]
                    status, ms = client.call(
                        "POST",
                        "/api/ai/models",
                        {"action": "deploy", "task": "priority", "version": version},
                    )
                    out.setdefault("deploy", []).append((status, ms))
                    status, ms = client.call(
                        "POST", "/api/ai/models", {"action": "rollback", "task": "priority"}
                    )
                    out.setdefault("rollback", []).append((status, ms))
                    status, ms = client.call("GET", "/api/ai/models?view=ab-results")
                    out.setdefault("ab-results", []).append((status, ms))

            return work

        for label, clients, n in (
            ("1 client", 1, args.ops),
            ("16 clients", 16, args.ops_per_client),
        ):
            res, _ = _run(clients, registry(n))
            print(f"Registry operations, {label}")
            for op in ("register", "deploy", "rollback", "ab-results"):
                values = [ms for _, ms in res[op]]
                codes: dict[int, int] = {}
                for status, _ in res[op]:
                    codes[status] = codes.get(status, 0) + 1
                print(
                    f"  {op:<10} n={len(values)} p50 {_pct(values, 50):.1f} ms, "
                    f"p95 {_pct(values, 95):.1f} ms, status counts {dict(sorted(codes.items()))}"
                )
        from models_registry.models import Deployment

        active = Deployment.objects.filter(task="priority", status="active").count()
        print(f"active priority deployments after the concurrent run: {active}")
        connections.close_all()
    finally:
        stop(proc)
        drop_db(server, name)


if __name__ == "__main__":
    main()
