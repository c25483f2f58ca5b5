"""The `fast` estimator and label-noise detection on BANKING77, without Django.

1. Fit time (median of 3), test accuracy, macro-F1, ECE (15 bins), single-text latency
   (p50 / p95 over 500 test texts, in process).
2. Flip 5% of the train labels uniformly at random to another class (seed 0), run
   `find_label_issues` in a fresh process, and score its flags against the flipped rows;
   also every cleanlab `filter_by` rule on the same out-of-fold probabilities.

Run: .venv/bin/python benchmarks/estimators.py [--fits 3] [--latency 500]
Data: ../shared/data/banking77 (CC BY 4.0, Casanueva et al. 2020).
"""

import argparse
import contextlib
import multiprocessing
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.special import softmax  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, log_loss  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from training.estimators import build_estimator, expected_calibration_error  # noqa: E402
from training.noise import (  # noqa: E402
    DEFAULT_FILTER_BY,
    find_label_issues,
    label_issues_from_pred_probs,
)

DATA = ROOT.parent / "shared" / "data" / "banking77"
NOISE_RATE = 0.05
NOISE_SEED = 0
FILTERS = (
    "low_self_confidence",
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "low_normalized_margin",
    "predicted_neq_given",
)


def load(split: str) -> tuple[list[str], np.ndarray]:
    frame = pd.read_csv(DATA / f"{split}.csv")
    return frame["text"].tolist(), frame["category"].to_numpy(dtype=object)


def flip_labels(labels: np.ndarray, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    flipped = np.sort(rng.choice(labels.size, int(round(rate * labels.size)), replace=False))
    noisy = labels.copy()
    for i in flipped:
        noisy[i] = rng.choice(classes[classes != labels[i]])
    return noisy, flipped


def rss_peak_mib() -> float:
    """Peak resident set size of this process (VmHWM; ru_maxrss survives exec on Linux)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_peak_reset() -> None:
    """Start a new peak from the current RSS (Linux >= 4.0); a no-op elsewhere."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def noise_job() -> dict:
    """Runs in a fresh process so its peak RSS is the noise detection's own."""
    texts, labels = load("train")
    noisy, flipped = flip_labels(labels, NOISE_RATE, NOISE_SEED)
    rss_peak_reset()
    baseline = rss_peak_mib()
    started = time.perf_counter()
    report = find_label_issues(texts, noisy, profile="fast", n_folds=5, random_state=0)
    elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "rss_baseline_mib": baseline,
        "rss_peak_mib": rss_peak_mib(),
        "noisy": noisy,
        "flipped": flipped,
        "is_issue": report.is_issue,
        "pred_probs": report.pred_probs,
        "classes": report.classes,
        "n_folds": report.n_folds,
    }


def precision_recall(flags: np.ndarray, flipped: np.ndarray) -> tuple[float, float]:
    truth = np.zeros(flags.size, dtype=bool)
    truth[flipped] = True
    hits = int((flags & truth).sum())
    return hits / max(int(flags.sum()), 1), hits / max(int(truth.sum()), 1)


def row(name: str, value: str) -> None:
    print(f"  {name:<50} {value}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fits", type=int, default=3)
    parser.add_argument("--latency", type=int, default=500)
    args = parser.parse_args()

    train_x, train_y = load("train")
    test_x, test_y = load("test")
    print(
        f"BANKING77: {len(train_x)} train / {len(test_x)} test, {np.unique(train_y).size} classes"
    )

    # Plain LinearSVC on the same features: the reference the calibration cost is measured on.
    plain_times = []
    for _ in range(args.fits):
        plain = build_estimator("fast", random_state=0)
        plain.steps[-1] = ("classifier", LinearSVC(C=0.5, random_state=0))
        started = time.perf_counter()
        plain.fit(train_x, train_y)
        plain_times.append(time.perf_counter() - started)
    plain_acc = accuracy_score(test_y, plain.predict(test_x))

    fit_times = []
    for _ in range(args.fits):
        model = build_estimator("fast", random_state=0)
        started = time.perf_counter()
        model.fit(train_x, train_y)
        fit_times.append(time.perf_counter() - started)

    predicted = model.predict(test_x)
    proba = model.predict_proba(test_x)
    classifier = model.named_steps["classifier"]
    raw_scores = model[:-1].transform(test_x)
    unscaled = softmax(classifier.decision_function(raw_scores), axis=1)

    lat_predict, lat_proba = [], []
    for text in test_x[: args.latency]:
        started = time.perf_counter()
        model.predict([text])
        lat_predict.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        model.predict_proba([text])
        lat_proba.append((time.perf_counter() - started) * 1000)

    def pct(values: list[float], q: float) -> float:
        return float(np.percentile(values, q))

    print("\nfast profile (TF-IDF word 1-2 + char_wb 2-5 -> LinearSVC, temperature-scaled)")
    row(f"fit time, median of {args.fits} (s)", f"{statistics.median(fit_times):.2f}")
    row(
        "  plain LinearSVC fit, same features (s)",
        f"{statistics.median(plain_times):.2f}  (acc {plain_acc:.4f})",
    )
    row(
        "  calibration cost (x plain)",
        f"{statistics.median(fit_times) / statistics.median(plain_times):.2f}",
    )
    row("temperature T (3-fold out-of-fold NLL)", f"{classifier.temperature_:.4f}")
    row("test accuracy", f"{accuracy_score(test_y, predicted):.4f}")
    row("test macro-F1", f"{f1_score(test_y, predicted, average='macro'):.4f}")
    ece = expected_calibration_error(test_y, proba, model.classes_)
    ece_unscaled = expected_calibration_error(test_y, unscaled, model.classes_)
    row("test ECE, 15 bins (temperature-scaled)", f"{ece:.4f}")
    row("test ECE, 15 bins (softmax of raw scores)", f"{ece_unscaled:.4f}")
    row("test NLL (temperature-scaled)", f"{log_loss(test_y, proba, labels=model.classes_):.4f}")
    row(
        f"predict([text]) p50 / p95, {len(lat_predict)} texts (ms)",
        f"{pct(lat_predict, 50):.2f} / {pct(lat_predict, 95):.2f}",
    )
    row(
        f"predict_proba([text]) p50 / p95, {len(lat_proba)} texts (ms)",
        f"{pct(lat_proba, 50):.2f} / {pct(lat_proba, 95):.2f}",
    )

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        result = pool.apply(noise_job)
    flipped = result["flipped"]
    precision, recall = precision_recall(result["is_issue"], flipped)
    print(
        f"\nlabel noise: {flipped.size} of {len(train_x)} train labels flipped "
        f"({NOISE_RATE:.0%}, seed {NOISE_SEED}); {result['n_folds']}-fold out-of-fold probabilities"
    )
    row(f"find_label_issues, filter_by={DEFAULT_FILTER_BY}", "")
    row("  flagged", f"{int(result['is_issue'].sum())}")
    row("  precision / recall vs flipped rows", f"{precision:.3f} / {recall:.3f}")
    row("  time (s)", f"{result['seconds']:.1f}")
    row(
        "  peak RSS of its process (MiB)",
        f"{result['rss_peak_mib']:.0f}  (before detection: {result['rss_baseline_mib']:.0f})",
    )
    print("\n  same out-of-fold probabilities, each cleanlab filter_by:")
    print(f"  {'filter_by':<24} {'flagged':>8} {'precision':>10} {'recall':>8}")
    for filter_by in FILTERS:
        report = label_issues_from_pred_probs(
            result["noisy"], result["pred_probs"], classes=result["classes"], filter_by=filter_by
        )
        p, r = precision_recall(report.is_issue, flipped)
        print(f"  {filter_by:<24} {report.n_issues:>8} {p:>10.3f} {r:>8.3f}")


if __name__ == "__main__":
    main()
