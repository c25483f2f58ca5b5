"""GET /api/ai/metrics through gunicorn on PostgreSQL, over 1M inference logs, 100k
classifications and 50k feedback rows across 5 organizations and 30 days: p50 / p95 per period
(hour, day, week, month, all) with one client, throughput and p95 with 16 concurrent clients;
the rollup job's time for the whole backlog and for one hour; the Prometheus /metrics scrape
(AIOPS_PROMETHEUS_TOKEN is set to a benchmark token unless set), computed and cached.
Each figure is read beside the same server's cheapest authenticated request (GET
/api/categories) measured in the same run, and the ratios to it are printed with their aims.
Every loop is bounded; the server listens on 127.0.0.1 and is stopped at the end, even on error.

Run (needs PostgreSQL and Redis: production settings):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aiops_bench_metrics \
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python benchmarks/metrics.py

The database named in DATABASE_URL is dropped and recreated, and the Redis database in
REDIS_URL is flushed: never point either at real data. Rows are bulk-inserted with
INSERT ... SELECT generate_series, seeded (setseed) so every run stores the same data.

The rollup backlog is timed as of an hour ago (`rollup_pending(now=now - 1 h)`): the next
call, timed as "one hour", then closes one hour holding the usual traffic plus a few thousand
late rows, and rebuilds the hours whose predictions got outcomes since (an hour of feedback
plus `--late-outcomes` old rows judged just now): what the hourly beat job does in service.
"""

import argparse
import http.client
import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PERIODS = ("hour", "day", "week", "month", "all")
TASKS = ("category", "priority", "sentiment", "suggestion")
CATEGORIES = ["Account", "Billing", "Shipping", "Technical Issue", "Refunds", "Returns", "Orders"]
LABELS = {
    "category": CATEGORIES,
    "priority": ["low", "medium", "high"],
    "sentiment": ["negative", "neutral", "positive"],
}
REFERENCE = "/api/categories"
# Aims from the issue: one client p95 <= 10 ms and <= 2x the reference GET's; 16 clients
# >= 500 req/s with p95 <= 40 ms, and >= 0.8x the reference GET's throughput.
AIM_P95_MS, AIM_P95_RATIO = 10.0, 2.0
AIM_RPS, AIM_P95_CONCURRENT_MS, AIM_RPS_RATIO = 500.0, 40.0, 0.8


def _feedback_bench():
    """benchmarks/feedback.py under another name: `feedback` is the Django app's package."""
    spec = importlib.util.spec_from_file_location(
        "bench_feedback", Path(__file__).with_name("feedback.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _feedback_bench()
percentile, report = bench.percentile, bench.report


# --- data -------------------------------------------------------------------------------------

# One prediction per row, stored in time order as in service (ids and pages follow created_at).
# Label index k of n is drawn as floor(sqrt(u) * n), P = (2k + 1) / n^2 (a skewed mix),
# confidence = 0.3 + 0.7 * sqrt(u) (mostly confident), latency lognormal with a 10 ms median
# (Box-Muller), `failures` of them failed, outcomes on `judged` of the successes: correct with
# probability 0.6 + 0.4 * confidence (about 90%), judged within a day of the prediction.
LOGS_SQL = """
INSERT INTO ai_inference_logs (organization_id, task, model_version_id, ab_test_id, arm, unit_id,
    predicted_label, confidence, latency_ms, success, error, tokens_in, tokens_out, cost_usd,
    outcome, true_label, outcome_at, created_at)
SELECT org, task, version, NULL, '', 'ticket-' || g,
    CASE WHEN success THEN label ELSE '' END,
    CASE WHEN success THEN confidence END,
    latency, success,
    CASE WHEN success THEN '' ELSE 'TimeoutError: the model did not answer in time' END,
    tokens_in, tokens_out,
    CASE WHEN t = 3 THEN round(
        (tokens_in * %(price_in)s::numeric + tokens_out * %(price_out)s::numeric) / 1000, 6)
        ELSE 0 END,
    outcome,
    CASE outcome WHEN 'correct' THEN label WHEN 'incorrect' THEN other ELSE '' END,
    CASE WHEN outcome <> 'unknown'
        THEN created_at + r_delay * least(interval '1 day', now() - created_at) END,
    created_at
FROM (
    SELECT *,
        CASE WHEN NOT success OR r_judged >= %(judged)s THEN 'unknown'
            WHEN r_correct < 0.6 + 0.4 * confidence THEN 'correct' ELSE 'incorrect' END AS outcome,
        CASE t WHEN 0 THEN (%(category)s::text[])[1 + li] WHEN 1 THEN (%(priority)s::text[])[1 + li]
            WHEN 2 THEN (%(sentiment)s::text[])[1 + li] ELSE 'ticket:' || li END AS label,
        CASE t WHEN 0 THEN (%(category)s::text[])[1 + oi] WHEN 1 THEN (%(priority)s::text[])[1 + oi]
            WHEN 2 THEN (%(sentiment)s::text[])[1 + oi] ELSE 'ticket:' || oi END AS other
    FROM (
        SELECT *,
            (%(orgs)s::bigint[])[1 + o] AS org,
            (%(tasks)s::text[])[1 + t] AS task,
            (%(versions)s::bigint[])[1 + o * 4 + t] AS version,
            (li + 1 + floor(r_other * (n - 1))::int) %% n AS oi,
            0.3 + 0.7 * sqrt(r_conf) AS confidence,
            round(exp(ln(10) + 0.45 * sqrt(-2 * ln(u1)) * cos(2 * pi() * u2))::numeric, 2)
                AS latency,
            r_fail >= %(failures)s AS success,
            10 + floor(r_tokens * 110)::int AS tokens_in,
            CASE WHEN t = 3 THEN 40 + floor(r_tokens_out * 200)::int ELSE 0 END AS tokens_out
        FROM (
            SELECT *, least(floor(sqrt(r_label) * n)::int, n - 1) AS li
            FROM (
                SELECT *,
                    CASE t WHEN 0 THEN %(n_categories)s WHEN 1 THEN 3 WHEN 2 THEN 3 ELSE 5000 END
                        AS n
                FROM (
                    SELECT *,
                        CASE WHEN r_task < 0.60 THEN 0 WHEN r_task < 0.75 THEN 1
                            WHEN r_task < 0.90 THEN 2 ELSE 3 END AS t
                    FROM (
                        SELECT g, floor(random() * %(n_orgs)s)::int AS o, random() AS r_task,
                            %(start)s::timestamptz + random() * %(span)s::interval AS created_at,
                            random() AS r_label, random() AS r_other, random() AS r_conf,
                            1 - random() AS u1, random() AS u2, random() AS r_fail,
                            random() AS r_judged, random() AS r_correct, random() AS r_delay,
                            random() AS r_tokens, random() AS r_tokens_out
                        FROM generate_series(1, %(count)s) AS g
                    ) AS draws
                ) AS tasked
            ) AS sized
        ) AS indexed
    ) AS rows_
) AS judged
ORDER BY created_at
"""

# Operation records on a random sample of one task's successful predictions, one per log.
OPERATIONS_SQL = {
    "ai_classifications": """
INSERT INTO ai_classifications (organization_id, ticket_id, input_text, confidence,
    processing_time_ms, tokens_used, model_version_id, inference_log_id, feedback_comment,
    created_at, updated_at, category_id, was_accepted, corrected_category_id)
SELECT l.organization_id, NULL,
    'Ticket ' || l.id || ': the app fails when I try to ' ||
        (ARRAY['log in', 'pay an invoice', 'track a parcel', 'reset my password'])[1 + l.id %% 4]
        || ' from my account',
    l.confidence, l.latency_ms, l.tokens_in, l.model_version_id, l.id, '', l.created_at,
    coalesce(l.outcome_at, l.created_at), c.id,
    CASE l.outcome WHEN 'correct' THEN true WHEN 'incorrect' THEN false END, cc.id
FROM (SELECT * FROM ai_inference_logs WHERE task = 'category' AND success
      ORDER BY random() LIMIT %(count)s) AS l
LEFT JOIN categories c ON c.organization_id = l.organization_id AND c.name = l.predicted_label
LEFT JOIN categories cc ON cc.organization_id = l.organization_id AND cc.name = l.true_label
    AND l.outcome = 'incorrect'
""",
    "ai_sentiments": """
INSERT INTO ai_sentiments (organization_id, ticket_id, input_text, confidence,
    processing_time_ms, tokens_used, model_version_id, inference_log_id, feedback_comment,
    created_at, updated_at, sentiment, was_accepted, corrected_sentiment)
SELECT l.organization_id, NULL, 'Ticket ' || l.id || ': still waiting for an answer',
    l.confidence, l.latency_ms, l.tokens_in, l.model_version_id, l.id, '', l.created_at,
    coalesce(l.outcome_at, l.created_at), l.predicted_label,
    CASE l.outcome WHEN 'correct' THEN true WHEN 'incorrect' THEN false END,
    CASE WHEN l.outcome = 'incorrect' THEN l.true_label ELSE '' END
FROM (SELECT * FROM ai_inference_logs WHERE task = 'sentiment' AND success
      ORDER BY random() LIMIT %(count)s) AS l
""",
    "ai_suggestions": """
INSERT INTO ai_suggestions (organization_id, ticket_id, input_text, confidence,
    processing_time_ms, tokens_used, model_version_id, inference_log_id, feedback_comment,
    created_at, updated_at, suggestion_type, content, source_references, was_used, was_helpful)
SELECT l.organization_id, NULL, 'Ticket ' || l.id || ': how do I reset my password?',
    l.confidence, l.latency_ms, l.tokens_in, l.model_version_id, l.id, '', l.created_at,
    coalesce(l.outcome_at, l.created_at), 'resolution',
    'Send the reset link from Settings > Security, then sign in again.',
    jsonb_build_array(jsonb_build_object('ticket_id', substr(l.predicted_label, 8)::int,
        'score', l.confidence)),
    CASE l.outcome WHEN 'correct' THEN true WHEN 'incorrect' THEN false END,
    CASE l.outcome WHEN 'correct' THEN true WHEN 'incorrect' THEN false END
FROM (SELECT * FROM ai_inference_logs WHERE task = 'suggestion' AND success
      ORDER BY random() LIMIT %(count)s) AS l
""",
}

# Feedback on operations of one type, judged operations first: positive where the log's outcome
# is correct, negative (with the correction) where incorrect, neutral where not judged.
FEEDBACK_SQL = """
INSERT INTO ai_feedback (organization_id, user_id, operation_type, operation_id, feedback,
    corrected_category, corrected_sentiment, was_used, was_helpful, comment, model_version_id,
    arm, training_pending, created_at, updated_at)
SELECT l.organization_id,
    (%(users)s::bigint[])[array_position(%(orgs)s::bigint[], l.organization_id::bigint)],
    %(operation_type)s::text, op.id,
    CASE l.outcome WHEN 'correct' THEN 'positive' WHEN 'incorrect' THEN 'negative'
        ELSE 'neutral' END,
    CASE WHEN %(operation_type)s::text = 'classification' AND l.outcome = 'incorrect'
        THEN l.true_label ELSE '' END,
    CASE WHEN %(operation_type)s::text = 'sentiment' AND l.outcome = 'incorrect'
        THEN l.true_label ELSE '' END,
    op.was_used, op.was_helpful, '', l.model_version_id, '', false,
    coalesce(l.outcome_at, least(now(), l.created_at + interval '10 minutes')),
    coalesce(l.outcome_at, least(now(), l.created_at + interval '10 minutes'))
FROM (SELECT id, inference_log_id, {used} AS was_used, {helpful} AS was_helpful
      FROM {table}) AS op
JOIN ai_inference_logs l ON l.id = op.inference_log_id
ORDER BY l.outcome = 'unknown', random()
LIMIT %(count)s
"""
FEEDBACK_TYPES = {  # operation type: (table, share of the feedback rows, was_used, was_helpful)
    "classification": ("ai_classifications", 0.7, "NULL::boolean", "NULL::boolean"),
    "sentiment": ("ai_sentiments", 0.2, "NULL::boolean", "NULL::boolean"),
    "suggestion": ("ai_suggestions", 0.1, "was_used", "was_helpful"),
}
TABLES = (
    "ai_inference_logs",
    "ai_classifications",
    "ai_sentiments",
    "ai_suggestions",
    "ai_feedback",
    "categories",
    "ai_model_versions",
)


def drift_reference(labels: list[str], holdout: int = 10_000) -> dict:
    """What the generator draws, as a training set would have shown it: labels with the
    skewed mix, confidence deciles of 0.3 + 0.7 * sqrt(u)."""
    n = len(labels)
    shares = [(2 * k + 1) / n**2 for k in range(n)]
    return {
        "label_distribution": {
            label: round(holdout * s) for label, s in zip(labels, shares, strict=True)
        },
        "confidence_edges": [round(0.3 + 0.7 * math.sqrt(q / 10), 4) for q in range(1, 10)],
        "confidence_counts": [holdout // 10] * 10,
    }


def load(args) -> tuple[list[str], dict]:
    """Migrate, then store the organizations (each with an agent, categories and a deployed
    version per task) and the rows; returns one agent token per organization and the ids the
    later inserts need."""
    import django
    from django.core.management import call_command

    django.setup()
    from django.core.cache import cache

    cache.clear()  # the Redis database in REDIS_URL: nothing cached from an earlier run
    call_command("migrate", verbosity=0)
    from django.db import connection

    from aiops.models import Category
    from aiops.services.tenancy import api_token_issue, membership_ensure, organization_ensure
    from models_registry.models import Deployment, ModelVersion

    orgs, users, versions, keys = [], [], [], []
    for i in range(1, args.organizations + 1):
        org = organization_ensure(slug=f"bench-{i}", name=f"Bench {i}")
        Category.objects.bulk_create(Category(organization=org, name=n) for n in CATEGORIES)
        for task in TASKS:
            fields = {"labels": LABELS.get(task, [])}
            if task in LABELS:
                fields["metrics"] = {
                    "accuracy": 0.93,
                    "drift_reference": drift_reference(LABELS[task]),
                }
            if task == "suggestion":
                fields.update(
                    kind="external",
                    provider="openai",
                    external_model_id="gpt-4o-mini",
                    input_price_per_1k=args.price_in,
                    output_price_per_1k=args.price_out,
                )
            version = ModelVersion.objects.create(
                organization=org, task=task, major=1, minor=0, patch=0, status="active", **fields
            )
            Deployment.objects.create(organization=org, task=task, model_version=version)
            versions.append(version.pk)
        membership = membership_ensure(organization=org, username=f"agent-{i}", role="agent")
        keys.append(api_token_issue(membership=membership, name="bench")[1])
        orgs.append(org.pk)
        users.append(membership.user_id)

    ids = {"orgs": orgs, "users": users, "versions": versions}
    took: dict[str, float] = {}  # seconds per table
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        insert_logs(
            cursor,
            args,
            ids,
            count=args.logs,
            start="now() - interval '30 days'",
            span="30 days",
        )
        took["ai_inference_logs"] = time.perf_counter() - started
        for table, count in (
            ("ai_classifications", args.classifications),
            ("ai_sentiments", args.sentiments),
            ("ai_suggestions", args.suggestions),
        ):
            step = time.perf_counter()
            cursor.execute(OPERATIONS_SQL[table], {"count": count})
            took[table] = time.perf_counter() - step
        step = time.perf_counter()
        for operation_type, (table, share, used, helpful) in FEEDBACK_TYPES.items():
            sql = FEEDBACK_SQL.format(table=table, used=used, helpful=helpful)
            params = {**ids, "operation_type": operation_type}
            cursor.execute(sql, {**params, "count": round(args.feedback * share)})
        took["ai_feedback"] = time.perf_counter() - step
    loaded = time.perf_counter() - started
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
        vacuumed = time.perf_counter() - started - loaded
        counts = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FILTER (WHERE outcome <> 'unknown'), "
            "count(*) FILTER (WHERE outcome = 'correct'), count(*) FILTER (WHERE NOT success), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms), "
            "min(created_at), max(created_at) FROM ai_inference_logs"
        )
        judged, correct, failed, p50, p95, first, last = cursor.fetchone()
    print(
        f"loaded in {loaded:.1f} s (+ {vacuumed:.1f} s VACUUM ANALYZE) across "
        f"{len(orgs)} organizations and 30 days:"
    )
    for table, count in counts.items():
        print(f"  {table}: {count:,} rows" + (f" in {took[table]:.1f} s" if table in took else ""))
    print(
        f"  inference logs: {judged / counts['ai_inference_logs']:.0%} judged, "
        f"{correct / max(judged, 1):.1%} of those correct, {failed:,} failures, latency p50 "
        f"{p50:.1f} ms / p95 {p95:.1f} ms, {first:%Y-%m-%d %H:%M} .. {last:%Y-%m-%d %H:%M} UTC"
    )
    return keys, ids


def insert_logs(cursor, args, ids: dict, *, count: int, start: str, span: str) -> None:
    """`count` inference logs created uniformly in [start, start + span); `start` is SQL."""
    params = {
        **ids,
        "count": count,
        "start": None,
        "span": span,
        "tasks": list(TASKS),
        "category": CATEGORIES,
        "priority": LABELS["priority"],
        "sentiment": LABELS["sentiment"],
        "n_categories": len(CATEGORIES),
        "n_orgs": len(ids["orgs"]),
        "judged": args.judged,
        "failures": args.failures,
        "price_in": args.price_in,
        "price_out": args.price_out,
    }
    cursor.execute(f"SELECT {start}")
    params["start"] = cursor.fetchone()[0]
    cursor.execute(LOGS_SQL, params)


# --- rollups ----------------------------------------------------------------------------------


def time_rollups(args, ids: dict) -> None:
    """The backlog as of an hour ago, then the hour since: a few thousand late rows in the hour
    it closes, and old rows judged just now (the hours they fall in are rebuilt)."""
    from django.db import connection
    from django.utils import timezone

    from metrics.services import closed_before, rollup_pending

    now = timezone.now()
    started = time.perf_counter()
    result = rollup_pending(now=now - timedelta(hours=1))
    print(f"rollup, whole backlog: {time.perf_counter() - started:.2f} s, {result}")

    hour_end = closed_before(now)
    with connection.cursor() as cursor:
        insert_logs(
            cursor,
            args,
            ids,
            count=args.hour_logs,
            start=f"'{(hour_end - timedelta(hours=1)).isoformat()}'::timestamptz",
            span="1 hour",
        )
        cursor.execute(
            """
            UPDATE ai_inference_logs SET outcome = 'correct', true_label = predicted_label,
                outcome_at = now()
            WHERE id IN (SELECT id FROM ai_inference_logs
                         WHERE success AND outcome = 'unknown'
                             AND created_at < now() - interval '1 day'
                         ORDER BY random() LIMIT %s)
            """,
            [args.late_outcomes],
        )
        cursor.execute(
            "SELECT count(*) FROM ai_inference_logs WHERE created_at >= %s AND created_at < %s",
            [hour_end - timedelta(hours=1), hour_end],
        )
        in_hour = cursor.fetchone()[0]
    started = time.perf_counter()
    result = rollup_pending(now=now)
    print(
        f"rollup, one hour ({in_hour:,} rows in the hour it closes, {args.hour_logs:,} of them "
        f"late, + {args.late_outcomes} old rows judged now): "
        f"{time.perf_counter() - started:.2f} s, {result}"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ai_metric_rollups")
        cursor.execute("SELECT count(*) FROM ai_metric_rollups")
        print(f"  ai_metric_rollups: {cursor.fetchone()[0]:,} rows")


# --- HTTP -------------------------------------------------------------------------------------


def get_loop(port: int, key: str | None, path: str, requests: int, errors: list[str]):
    """`requests` GETs of `path` on one keep-alive connection (http.client sets TCP_NODELAY);
    returns (latencies in ms, start, end); non-200 answers go to `errors`."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    latencies = []
    first = time.perf_counter()
    for _ in range(requests):
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            errors.append(f"{response.status} {body[:300]!r}")
    conn.close()
    return latencies, first, time.perf_counter()


def run_clients(port: int, keys: list[str], path: str, clients: int, per_client: int):
    """`clients` threads, client i with organization i's token (round robin), each making
    `per_client` GETs after a common start; returns latencies, wall seconds and errors."""
    results: list = [None] * clients
    errors: list[list[str]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients)

    def work(i: int) -> None:
        barrier.wait(timeout=30)
        results[i] = get_loop(port, keys[i % len(keys)], path, per_client, errors[i])

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    done = [r for r in results if r is not None]
    if len(done) < clients:
        errors[0].append(f"{clients - len(done)} clients did not finish within 600 s")
    latencies = [x for r in done for x in r[0]]
    wall = max(r[2] for r in done) - min(r[1] for r in done) if done else 1.0
    flat = [e for per in errors for e in per]
    if flat:
        print(f"  {path}: {len(flat)} errors, first: {flat[0]}", file=sys.stderr)
    return latencies, wall, len(flat)


def metrics_path(period: str, details: bool = False) -> str:
    return f"/api/ai/metrics?period={period}&includeDetails={'true' if details else 'false'}"


def get_once(port: int, key: str | None, path: str) -> tuple[int, bytes, float]:
    """One GET on a new connection: status, body and milliseconds."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return response.status, body, elapsed


def describe(port: int, key: str, period: str) -> str:
    """The figures the dashboard shows, from one answer: a check the API answers in full."""
    status, body, _ = get_once(port, key, metrics_path(period))
    if status != 200:
        return f"HTTP {status}: {body[:300]!r}"
    data = json.loads(body)
    metrics = data.get("metrics") or {}
    cost = metrics.get("cost") or {}
    cost_usd = cost.get("totalCostUSD", cost.get("totalCostUsd"))
    return (
        f"accuracy {(metrics.get('classification') or {}).get('accuracy')}, "
        f"cost {cost_usd} USD, health {(data.get('systemHealth') or {}).get('status')}, "
        f"{len(body):,} bytes"
    )


def scrape(port: int, args, reference_p50: float) -> None:
    """The Prometheus endpoint with its bearer token: `--cold-scrapes` computed ones (each
    after the server's cache expired: Prometheus scrapes less often than it caches), then
    `--scrapes` back to back (served from the cache)."""
    from django.conf import settings

    token, ttl = settings.AIOPS_PROMETHEUS_TOKEN, settings.AIOPS_PROMETHEUS_CACHE_SECONDS
    status, body, elapsed = get_once(port, token, "/metrics")
    if status == 404:
        print("prometheus /metrics: not available")
        return
    if status != 200:
        print(f"prometheus /metrics: HTTP {status} {body[:200]!r}")
        return
    cold = [elapsed]
    for _ in range(args.cold_scrapes - 1):
        time.sleep(ttl + 0.5)
        status, body, elapsed = get_once(port, token, "/metrics")
        cold.append(elapsed)
    samples = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    print(
        f"prometheus /metrics scrape, computed: {len(cold)} scrapes, p50 "
        f"{percentile(cold, 50):.2f} ms, max {max(cold):.2f} ms = "
        f"{percentile(cold, 50) / reference_p50:.1f}x GET p50 ({len(body):,} bytes, "
        f"{samples:,} samples; status {status})"
    )
    errors: list[str] = []
    latencies, start, end = get_loop(port, token, "/metrics", args.scrapes, errors)
    if errors:
        print(f"  /metrics: {len(errors)} errors, first: {errors[0]}", file=sys.stderr)
    report(f"prometheus /metrics scrape, cached ({ttl} s)", latencies, end - start, len(errors))


def start_gunicorn(args, log: Path):
    """benchmarks/feedback.py's gunicorn, its stderr (Django's log) to `log`: the version
    warm-up errors of versions without artifacts stay out of the figures, tracebacks are kept."""
    saved = os.dup(2)
    with log.open("w") as out:
        os.dup2(out.fileno(), 2)
        try:
            return bench.start_gunicorn(dict(os.environ), args.port, args.workers, args.threads)
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def print_log_errors(log: Path) -> None:
    lines = log.read_text(errors="replace").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
    served = [line for line in lines if line.startswith(("Internal Server Error", "Bad Request"))]
    print(f"gunicorn log: {log} ({len(lines)} lines, {len(starts)} tracebacks)")
    for line in served[:5]:
        print(f"  {line}")
    if starts:
        end = next(
            (i for i in range(starts[0] + 1, len(lines)) if not lines[i].startswith(" ")), None
        )
        print("\n".join(lines[starts[0] : (end + 1 if end is not None else starts[0] + 40)]))


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organizations", type=int, default=5)
    parser.add_argument("--logs", type=int, default=1_000_000)
    parser.add_argument("--classifications", type=int, default=100_000)
    parser.add_argument("--sentiments", type=int, default=30_000)
    parser.add_argument("--suggestions", type=int, default=20_000)
    parser.add_argument("--feedback", type=int, default=50_000)
    parser.add_argument("--judged", type=float, default=0.3, help="share of logs judged")
    parser.add_argument("--failures", type=float, default=0.005, help="share of failed logs")
    parser.add_argument("--price-in", type=float, default=0.15, help="USD per 1k tokens in")
    parser.add_argument("--price-out", type=float, default=0.6, help="USD per 1k tokens out")
    parser.add_argument("--hour-logs", type=int, default=3000, help="late rows in one hour")
    parser.add_argument("--late-outcomes", type=int, default=300, help="old rows judged now")
    parser.add_argument("--single", type=int, default=300, help="requests per period, 1 client")
    parser.add_argument("--per-client", type=int, default=60, help="requests per client")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=30, help="requests per path before")
    parser.add_argument("--scrapes", type=int, default=50, help="cached /metrics scrapes")
    parser.add_argument("--cold-scrapes", type=int, default=3, help="computed /metrics scrapes")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-api", action="store_true", help="load and reference GET only")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a throwaway PostgreSQL database.")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL to a throwaway Redis database (it is flushed).")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", f"{HOST},localhost")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("AIOPS_PROMETHEUS_TOKEN", "benchmark-only-prometheus-token")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    sys.path.insert(0, str(ROOT))  # before benchmarks/: `metrics` is the Django app

    bench.recreate_database(url)
    keys, ids = load(args)
    if not args.no_api:
        time_rollups(args, ids)

    log = Path(tempfile.gettempdir()) / f"aiops-bench-metrics-gunicorn-{args.port}.log"
    server = start_gunicorn(args, log)
    try:
        paths = [REFERENCE] if args.no_api else [REFERENCE, *map(metrics_path, PERIODS)]
        for path in paths:  # warm every worker thread's connection and caches
            run_clients(args.port, keys, path, args.workers * args.threads, args.warmup)
        if not args.no_api:
            for period in PERIODS:
                print(
                    f"GET /api/ai/metrics period={period}: {describe(args.port, keys[0], period)}"
                )
        print(f"load average before measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

        single: dict[str, list[float]] = {}
        latencies, wall, errors = run_clients(args.port, keys, REFERENCE, 1, args.single)
        report(f"reference GET {REFERENCE}, 1 client", latencies, wall, errors)
        reference_p50, reference_p95 = percentile(latencies, 50), percentile(latencies, 95)
        for period in [] if args.no_api else PERIODS:
            for details in (False, True):
                path = metrics_path(period, details)
                latencies, wall, errors = run_clients(args.port, keys, path, 1, args.single)
                report(
                    f"metrics {period:5} details={details!s:5}, 1 client", latencies, wall, errors
                )
                if not details:
                    single[period] = latencies

        concurrent: dict[str, tuple[list[float], float]] = {}
        latencies, wall, errors = run_clients(
            args.port, keys, REFERENCE, args.clients, args.per_client
        )
        report(f"reference GET {REFERENCE}, {args.clients} clients", latencies, wall, errors)
        reference_rps = len(latencies) / wall
        for period in [] if args.no_api else PERIODS:
            latencies, wall, errors = run_clients(
                args.port, keys, metrics_path(period), args.clients, args.per_client
            )
            report(f"metrics {period:5}, {args.clients} clients", latencies, wall, errors)
            concurrent[period] = (latencies, wall)

        if not args.no_api:
            scrape(args.port, args, reference_p50)
            print(
                f"ratios to GET {REFERENCE} (aims: 1 client p95 <= {AIM_P95_MS:.0f} ms and "
                f"<= {AIM_P95_RATIO:.0f}x; {args.clients} clients >= {AIM_RPS:.0f} req/s, "
                f"p95 <= {AIM_P95_CONCURRENT_MS:.0f} ms and >= {AIM_RPS_RATIO}x):"
            )
        for period in single:
            p95 = percentile(single[period], 95)
            latencies, wall = concurrent[period]
            rps, p95_c = len(latencies) / wall, percentile(latencies, 95)
            alone = p95 <= AIM_P95_MS and p95 <= AIM_P95_RATIO * reference_p95
            loaded = (
                rps >= AIM_RPS
                and p95_c <= AIM_P95_CONCURRENT_MS
                and rps >= AIM_RPS_RATIO * reference_rps
            )
            print(
                f"  {period:5}: 1 client p95 {p95:.2f} ms = {p95 / reference_p95:.2f}x GET "
                f"({verdict(alone)}); {args.clients} clients {rps:.0f} req/s = "
                f"{rps / reference_rps:.2f}x GET, p95 {p95_c:.2f} ms ({verdict(loaded)})"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        print_log_errors(log)
    print(
        f"gunicorn: {args.workers} gthread workers x {args.threads} threads on {HOST}; "
        f"{len(keys)} organizations, client i uses organization i mod {len(keys)}"
    )


if __name__ == "__main__":
    main()
