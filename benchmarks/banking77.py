"""BANKING77 through the product: import → train (service) → accuracy on test.csv through the
serving path the API uses → single-classification latency through the API (in process).

Run: .venv/bin/python benchmarks/banking77.py [--estimator fast] [--requests 300]
Data: ../shared/data/banking77 (CC BY 4.0, Casanueva et al. 2020)."""

import argparse
import csv
import statistics
import time

from _django import DATA, percentile, setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--estimator", default="fast")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    setup()

    from rest_framework.test import APIClient
    from sklearn.metrics import accuracy_score, f1_score

    from aiops.models import Category
    from aiops.services.tenancy import api_token_issue, membership_ensure, organization_ensure
    from models_registry.serving import classify_text
    from training import importers
    from training.services import examples_import, training_run_create, training_run_execute

    org = organization_ensure(slug="banking77")
    started = time.perf_counter()
    parsed = importers.parse_file(
        (DATA / "train.csv").read_bytes(), fmt="csv", text_column="text", label_column="category"
    )
    # A category label must be one of the organization's categories: create the 77 first.
    Category.objects.bulk_create(
        [Category(organization=org, name=name) for name in sorted({r.label for r in parsed.rows})],
        ignore_conflicts=True,
    )
    summary = examples_import(organization=org, task="category", rows=parsed.rows, approve=True)
    import_s = time.perf_counter() - started

    run = training_run_create(
        organization=org, task="category", enqueue=False, params={"estimator": args.estimator}
    )
    run = training_run_execute(run_id=run.pk)
    assert run.status == "succeeded", run.error
    version = run.model_version

    with open(DATA / "test.csv", newline="", encoding="utf-8") as handle:
        test = list(csv.DictReader(handle))
    texts = [row["text"] for row in test]
    truth = [row["category"] for row in test]
    started = time.perf_counter()
    predicted = [classify_text(version=version, text=text)[0] for text in texts]
    predict_s = time.perf_counter() - started

    membership = membership_ensure(organization=org, username="bench", role="agent")
    _, key = api_token_issue(membership=membership)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    api_ms, service_ms = [], []
    for text in texts[: args.requests]:
        t0 = time.perf_counter()
        classify_text(version=version, text=text)
        service_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        response = client.post("/api/ai/classify", {"subject": text}, format="json")
        api_ms.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 201, response.content[:500]

    print(
        f"BANKING77 ({len(parsed.rows)} train rows, {len(texts)} test rows), "
        f"estimator={args.estimator}, version {version.version}"
    )
    print(
        f"  import: {import_s:.2f} s ({summary.created} examples, "
        f"{summary.merged_in_file} duplicates merged)"
    )
    print(
        f"  training run: {run.duration_s:.2f} s (holdout fit + evaluation + refit on all); "
        f"holdout accuracy {run.metrics['accuracy']:.4f}, ECE {run.metrics.get('ece')}"
    )
    print(f"  test accuracy: {accuracy_score(truth, predicted):.4f}")
    print(f"  test macro-F1: {f1_score(truth, predicted, average='macro'):.4f}")
    print(f"  predict path: {predict_s / len(texts) * 1000:.2f} ms per text (sequential)")
    print(
        f"  model only, one text: p50 {statistics.median(service_ms):.2f} ms, "
        f"p95 {percentile(service_ms, 95):.2f} ms"
    )
    ratio = statistics.median(api_ms) / statistics.median(service_ms)
    print(
        f"  POST /api/ai/classify (in process, {len(api_ms)} requests): "
        f"p50 {statistics.median(api_ms):.2f} ms, p95 {percentile(api_ms, 95):.2f} ms "
        f"(ratio to model only: {ratio:.1f}x)"
    )


if __name__ == "__main__":
    main()
