"""Label-free accuracy estimate (CBPE) against the truth, on a run where the labels are known.

BANKING77 through the product: import the train split as approved examples → training run
(synchronous, deploys its version) → POST /api/ai/classify for every test text (agent token,
in process) → POST /api/ai/feedback for a seeded random half, with the true category (positive
when the prediction is right, negative with correctedCategory when not) → GET
/api/ai/metrics?period=day. Printed beside the API's figures: the true accuracy of the half
left without feedback (the one the estimate is about), computed from the known labels.

Run: .venv/bin/python benchmarks/metrics_estimate.py [--train-limit N] [--limit N] [--seed 7]
Throwaway SQLite database and artifacts in a temporary directory (removed at the end); no
Redis, no PostgreSQL; Celery messages go to an in-memory broker (nothing consumes them).
Data: ../shared/data/banking77 (CC BY 4.0, Casanueva et al. 2020), read in place.
"""

import argparse
import csv
import json
import math
import os
import random
import shutil
import time
from datetime import datetime

PROGRESS_EVERY = 500


def _read_test(data_dir, limit: int) -> list[dict]:
    with open(data_dir / "test.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return rows[:limit] if limit else rows


def _ece(confidences: list[float], correct: list[bool], n_bins: int = 15) -> float:
    """Top-label ECE, bins (k/n, (k+1)/n] as training.estimators.expected_calibration_error."""
    bins: dict[int, list[tuple[float, bool]]] = {}
    for confidence, hit in zip(confidences, correct, strict=True):
        k = min(max(math.ceil(confidence * n_bins) - 1, 0), n_bins - 1)
        bins.setdefault(k, []).append((confidence, hit))
    return sum(
        len(rows)
        / len(confidences)
        * abs(sum(h for _, h in rows) / len(rows) - sum(c for c, _ in rows) / len(rows))
        for rows in bins.values()
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--estimator", default="fast")
    parser.add_argument("--train-limit", type=int, default=0, help="first N train rows (0: all)")
    parser.add_argument("--limit", type=int, default=0, help="first N test rows (0: all)")
    parser.add_argument("--judged-fraction", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    # Always the embedded default: a throwaway SQLite file, per-process cache, no broker server.
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ["CELERY_BROKER_URL"] = "memory://localhost//"
    os.environ.setdefault("DJANGO_DEBUG", "false")
    from _django import DATA, setup

    workdir = setup()
    try:
        run(args, DATA)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, data_dir) -> None:
    from rest_framework.test import APIClient

    from aiops.models import Category
    from aiops.services.tenancy import api_token_issue, membership_ensure, organization_ensure
    from models_registry.selectors import deployment_get_active
    from models_registry.services import model_version_deploy
    from training import importers
    from training.services import examples_import, training_run_create, training_run_execute

    org = organization_ensure(slug="banking77")
    categories = json.loads((data_dir / "categories.json").read_text(encoding="utf-8"))
    Category.objects.bulk_create(
        [Category(organization=org, name=name) for name in categories], ignore_conflicts=True
    )

    # 1. Train split → approved examples → synchronous training run → deployed version.
    started = time.perf_counter()
    train = (data_dir / "train.csv").read_bytes()
    parsed = importers.parse_file(train, fmt="csv", text_column="text", label_column="category")
    rows = parsed.rows[: args.train_limit] if args.train_limit else parsed.rows
    summary = examples_import(organization=org, task="category", rows=rows, approve=True)
    import_s = time.perf_counter() - started
    run_ = training_run_create(
        organization=org, task="category", enqueue=False, params={"estimator": args.estimator}
    )
    run_ = training_run_execute(run_id=run_.pk)
    assert run_.status == "succeeded", run_.error
    version = run_.model_version
    active = deployment_get_active(organization=org, task="category")
    if active is None or active.model_version_id != version.pk:
        model_version_deploy(model_version=version, reason="metrics_estimate benchmark")
    version.refresh_from_db()
    print(
        f"BANKING77: {len(rows)} train rows{' (--train-limit)' if args.train_limit else ''}, "
        f"estimator={args.estimator}; import {import_s:.1f} s ({summary.created} examples), "
        f"training run {run_.duration_s:.1f} s → version {version.version} (deployed)"
    )

    membership = membership_ensure(organization=org, username="bench-agent", role="agent")
    _, key = api_token_issue(membership=membership)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    # 2. Every test text through POST /api/ai/classify.
    test = _read_test(data_dir, args.limit)
    predictions = []  # (operation id, predicted category, confidence, created hour)
    started = time.perf_counter()
    for i, row in enumerate(test, 1):
        response = client.post("/api/ai/classify", {"body": row["text"]}, format="json")
        assert response.status_code == 201, response.content[:500]
        body = response.json()
        hour = datetime.fromisoformat(body["createdAt"]).replace(minute=0, second=0, microsecond=0)
        predictions.append((body["operationId"], body["category"], body["confidence"], hour))
        if i % PROGRESS_EVERY == 0 or i == len(test):
            elapsed = time.perf_counter() - started
            print(f"  classified {i}/{len(test)} ({elapsed:.1f} s)", flush=True)
    classify_s = time.perf_counter() - started
    print(
        f"classify: {len(test)} POST /api/ai/classify in {classify_s:.1f} s "
        f"({classify_s / len(test) * 1000:.2f} ms per request, in process, sequential)"
    )

    # 3. Feedback with the true category on a seeded random half.
    rng = random.Random(args.seed)
    judged = set(rng.sample(range(len(test)), round(len(test) * args.judged_fraction)))
    started = time.perf_counter()
    for n, i in enumerate(sorted(judged), 1):
        operation_id, predicted, _, _ = predictions[i]
        truth = test[i]["category"]
        payload = {"operationType": "classification", "operationId": operation_id}
        if predicted == truth:
            payload["feedback"] = "positive"
        else:
            payload |= {"feedback": "negative", "correctedCategory": truth}
        response = client.post("/api/ai/feedback", payload, format="json")
        assert response.status_code == 201, response.content[:500]
        if n % PROGRESS_EVERY == 0 or n == len(judged):
            print(f"  feedback {n}/{len(judged)} ({time.perf_counter() - started:.1f} s)")
    feedback_s = time.perf_counter() - started
    print(f"feedback: {len(judged)} POST /api/ai/feedback in {feedback_s:.1f} s")

    # 4. The metrics API, beside figures computed directly from the known labels.
    started = time.perf_counter()
    response = client.get("/api/ai/metrics", {"period": "day"})
    assert response.status_code == 200, response.content[:500]
    report = response.json()
    metrics_ms = (time.perf_counter() - started) * 1000
    classification = report["metrics"]["classification"]
    unjudged = [i for i in range(len(test)) if i not in judged]

    def accuracy(indices) -> float:
        return sum(predictions[i][1] == test[i]["category"] for i in indices) / len(indices)

    def mean_confidence(indices) -> float:
        return sum(predictions[i][2] for i in indices) / len(indices)

    true_unjudged = accuracy(unjudged)
    estimate = classification["estimatedAccuracy"]
    print(f"GET /api/ai/metrics?period=day ({metrics_ms:.0f} ms):")
    print(
        f"  realized accuracy (judged half): {classification['accuracy']} on "
        f"{classification['judged']} judged of {classification['total']}  "
        f"[from labels: {accuracy(sorted(judged)):.6f} on {len(judged)}]"
    )
    print(
        f"  CBPE estimate (unjudged half): estimatedAccuracy {estimate} on "
        f"estimatedOn {classification['estimatedOn']}  "
        f"[mean confidence from the responses: {mean_confidence(unjudged):.6f} on "
        f"{len(unjudged)}]"
    )
    print(f"  TRUE accuracy of the unjudged half (from labels): {true_unjudged:.6f}")
    if estimate is not None:
        print(
            f"  |estimate − truth| = {abs(estimate - true_unjudged):.6f} "
            f"({(estimate - true_unjudged) * 100:+.2f} points)"
        )
    print(
        f"  judged half for reference: mean confidence {mean_confidence(sorted(judged)):.6f}, "
        f"accuracy {accuracy(sorted(judged)):.6f}; whole test set accuracy "
        f"{accuracy(range(len(test))):.6f}, mean confidence "
        f"{mean_confidence(range(len(test))):.6f}"
    )
    everything = range(len(test))
    test_ece = _ece(
        [predictions[i][2] for i in everything],
        [predictions[i][1] == test[i]["category"] for i in everything],
    )
    print(f"  test-set ECE of the served confidences (15 bins, from labels): {test_ece:.6f}")
    print(
        f"  version {version.version}: holdout accuracy {version.metrics.get('accuracy')}, "
        f"ECE {version.metrics.get('ece')}"
    )
    for entry in report["metrics"]["monitoring"]:
        estimation = entry["accuracyEstimation"]
        print(
            f"  monitoring {entry['task']} {entry['version']} ({entry['inferences']} "
            f"inferences): referenceAccuracy {estimation['referenceAccuracy']}, "
            f"conceptDrift {estimation['conceptDrift']}"
        )
        for period in estimation["periods"]:
            band = period["band"]
            start = datetime.fromisoformat(period["periodStart"])
            in_period = [i for i in unjudged if predictions[i][3] == start]
            truth = accuracy(in_period) if in_period else None
            true_inside = None if truth is None or band is None else band[0] <= truth <= band[1]
            print(
                f"    period {period['periodStart']}: estimated {period['estimated']} on "
                f"{period['estimatedOn']}, realized {period['realized']} on "
                f"{period['realizedOn']}, band {band}, outsideBand {period['outsideBand']}; "
                f"true accuracy of its unjudged {len(in_period)}: "
                f"{'n/a' if truth is None else f'{truth:.6f}'}, inside band: {true_inside}"
            )


if __name__ == "__main__":
    main()
