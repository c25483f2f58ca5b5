"""Training through the product on BANKING77: full retrain time, noise-detection time and
precision / recall, peak memory of each, on a throwaway database.

1. Import train.csv (10,003 rows) approved, with 5% of the labels flipped uniformly at random
   to another class (seed 0), into one organization.
2. Label-noise detection through the service (`label_noise_detect`, which stores flags,
   suggested labels and label quality on every example), with the default out-of-fold
   estimator (plain LinearSVC + one temperature) and, with --compare, the calibrated
   `fast` pipeline; precision / recall of the stored flags against the flipped rows.
3. A full training run (`training_run_execute`: snapshot, label-noise detection on it, a fit
   on the examples outside the stable evaluation split, evaluation, artifact, registration)
   on the clean labels, then a forced retrain on the same data (v1.1.0, compared with the
   active version on the evaluation examples neither fit; unforced it would register
   nothing), then one per extra profile (--estimators fast,accurate); each version scored on
   BANKING77 test.csv (accuracy, macro-F1, ECE) and timed on single texts. The noise
   detection's share of each run's time is printed (it runs at the start of every run).

Peak memory is the process's VmHWM, reset before each stage (Linux clear_refs).
Run: .venv/bin/python benchmarks/training.py [--compare] [--estimators fast,accurate]
Data: ../shared/data/banking77 (CC BY 4.0, Casanueva et al. 2020).
"""

import argparse
import contextlib
import time
from pathlib import Path

import numpy as np
from _django import DATA, setup

NOISE_RATE = 0.05
NOISE_SEED = 0


def rss_peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_reset() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--compare", action="store_true", help="Also the calibrated pipeline.")
    parser.add_argument(
        "--estimators", default="fast", help="Comma-separated profiles to train (fast,accurate)."
    )
    parser.add_argument("--latency", type=int, default=200)
    args = parser.parse_args()
    setup()
    from sklearn.metrics import accuracy_score, f1_score

    from aiops.models import Category
    from aiops.services.tenancy import organization_ensure
    from training import importers
    from training.models import TrainingExample
    from training.noise import SVM_PROFILE
    from training.services import (
        examples_import,
        label_noise_detect,
        training_examples_review,
        training_run_create,
        training_run_execute,
    )

    parsed = importers.parse_file(
        (DATA / "train.csv").read_bytes(), fmt="csv", text_column="text", label_column="category"
    )
    rows = parsed.rows
    labels = np.array([r.label for r in rows], dtype=object)
    rng = np.random.default_rng(NOISE_SEED)
    classes = np.unique(labels)
    flipped = np.sort(rng.choice(labels.size, int(round(NOISE_RATE * labels.size)), replace=False))
    flipped_set = set(flipped.tolist())
    noisy = [
        importers.ParsedRow(
            line=r.line, text=r.text, label=str(rng.choice(classes[classes != r.label]))
        )
        if i in flipped_set
        else r
        for i, r in enumerate(rows)
    ]
    org = organization_ensure(slug="banking77-training")
    # A category label must be one of the organization's categories: create the 77 first.
    Category.objects.bulk_create(
        [Category(organization=org, name=name) for name in sorted({r.label for r in rows})],
        ignore_conflicts=True,
    )
    examples_import(organization=org, task="category", rows=noisy, approve=True)
    flipped_texts = {rows[i].text for i in flipped}
    n = TrainingExample.objects.filter(organization=org).count()
    print(
        f"BANKING77 train: {len(rows)} rows ({n} examples after merging duplicate texts), "
        f"{len(flipped)} labels flipped ({NOISE_RATE:.0%}, seed {NOISE_SEED})"
    )

    profiles = [SVM_PROFILE, "fast"] if args.compare else [SVM_PROFILE]
    for profile in profiles:
        rss_reset()
        before = rss_peak_mib()
        summary = label_noise_detect(organization=org, task="category", profile=profile)
        peak = rss_peak_mib()
        flagged = set(
            TrainingExample.objects.filter(organization=org, noise_flag=True).values_list(
                "input_text", flat=True
            )
        )
        hits = len(flagged & flipped_texts)
        name = {SVM_PROFILE: "plain LinearSVC + temperature", "fast": "fast (calibrated)"}
        print(f"\nlabel-noise detection, out-of-fold estimator: {name[profile]} (5 folds)")
        print(f"  time (service, incl. writing flags): {summary.seconds:.1f} s")
        print(f"  flagged: {summary.flagged} of {summary.evaluated} evaluated")
        print(
            f"  precision / recall vs flipped rows: {hits / max(len(flagged), 1):.3f} / "
            f"{hits / len(flipped_texts):.3f}"
        )
        print(f"  peak RSS: {peak:.0f} MiB (before: {before:.0f} MiB)")

    # Restore the true labels (a reviewer relabel per flipped row) before training.
    true_of = {r.text: r.label for r in rows}
    for example in TrainingExample.objects.filter(organization=org, input_text__in=flipped_texts):
        training_examples_review(
            organization=org,
            example_ids=[example.pk],
            decision="relabel",
            label=true_of[example.input_text],
        )

    from models_registry.serving import model_load
    from training.estimators import expected_calibration_error

    test = importers.parse_file(
        (DATA / "test.csv").read_bytes(), fmt="csv", text_column="text", label_column="category"
    ).rows
    test_x, test_y = [r.text for r in test], [r.label for r in test]
    runs = [("fast", "first training"), ("fast", "retrain")]
    runs += [(name, "retrain") for name in args.estimators.split(",") if name != "fast"]
    for estimator, attempt in runs:
        rss_reset()
        before = rss_peak_mib()
        started = time.perf_counter()
        run = training_run_create(
            organization=org,
            task="category",
            enqueue=False,
            params={"estimator": estimator},
            force=attempt == "retrain",
        )
        run = training_run_execute(run_id=run.pk)
        wall = time.perf_counter() - started
        assert run.status == "succeeded", run.error
        m = run.metrics
        print(
            f"\n{attempt}, estimator {estimator}: run {run.pk} → {run.model_version.version} "
            f"({len(run.example_ids)} examples)"
        )
        noise = run.label_noise
        print(f"  wall time: {wall:.1f} s (run duration {run.duration_s:.1f} s)")
        print(
            f"  label-noise detection in the run: {noise['seconds']:.1f} s "
            f"({noise['seconds'] / run.duration_s:.0%} of the run), {noise['flagged']} flagged, "
            f"{noise['excluded']} left out of the fit ({noise['action']}), "
            f"{len(run.fit_example_ids)} fit"
        )
        print(f"  peak RSS: {rss_peak_mib():.0f} MiB (before: {before:.0f} MiB)")
        print(
            f"  holdout ({m['n']}): accuracy {m['accuracy']:.4f}, macro-F1 {m['f1_macro']:.4f}, "
            f"ECE {m['ece']:.4f}"
        )
        c = run.comparison
        if c.get("comparable"):
            print(
                f"  vs active {c['active_version']} on {c['holdout_size']} evaluation examples "
                f"neither fit: accuracy {c['active_accuracy']:.4f} → "
                f"{c['candidate_accuracy']:.4f}, candidate action: "
                f"{c.get('candidate_action', {}).get('status')}"
            )
        elif c:
            print(f"  vs active {c['active_version']}: not comparable ({c['reason']})")
        model = model_load(version=run.model_version)
        proba = model.predict_proba(test_x)
        predicted = model.classes_[proba.argmax(axis=1)]
        latency = []
        for text in test_x[: args.latency]:
            t0 = time.perf_counter()
            model.predict_proba([text])
            latency.append((time.perf_counter() - t0) * 1000)
        print(
            f"  BANKING77 test ({len(test_x)}): accuracy {accuracy_score(test_y, predicted):.4f}, "
            f"macro-F1 {f1_score(test_y, predicted, average='macro'):.4f}, "
            f"ECE {expected_calibration_error(test_y, proba, model.classes_):.4f}"
        )
        print(
            f"  predict_proba([text]) p50 / p95 over {len(latency)} texts: "
            f"{np.percentile(latency, 50):.2f} / {np.percentile(latency, 95):.2f} ms"
        )


if __name__ == "__main__":
    main()
