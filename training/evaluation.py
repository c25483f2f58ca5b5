"""The evaluation split, the holdout split and classification metrics (pure)."""

import hashlib
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import train_test_split


def evaluation_bucket(content_hash: str) -> float:
    """0..1 from an example's content hash, salted so it owes nothing to other uses of the
    hash; the same text always lands in the same bucket, in every run and organization."""
    digest = hashlib.sha1(f"evaluation.{content_hash}".encode()).hexdigest()
    return int(digest[:15], 16) / 0xFFFFFFFFFFFFFFF


@dataclass(frozen=True)
class EvaluationSplit:
    fit: list[int]  # indices the model is fit on
    evaluation: list[int]  # indices it is scored on (never fit)
    excluded: list[int]  # indices left out of the fit on request (suspected label noise)


def evaluation_split(
    content_hashes: Sequence[str],
    labels: Sequence[str],
    *,
    share: float,
    exclude: Collection[int] = (),
) -> EvaluationSplit:
    """The stable evaluation split: an example is held out when its bucket is below `share`,
    so it stays held out across runs (and a larger share holds out a superset). `exclude`
    (indices) leaves examples out of the fit, not out of the evaluation. A label that would
    be left with no fit example gets its excluded examples back, or else its evaluation
    examples: every label of the data is one the model can predict."""
    evaluation = {i for i, digest in enumerate(content_hashes) if evaluation_bucket(digest) < share}
    excluded = set(exclude) - evaluation
    left_out = evaluation | excluded
    fit_labels = {label for i, label in enumerate(labels) if i not in left_out}
    for label in set(labels) - fit_labels:
        members = {i for i, other in enumerate(labels) if other == label}
        if members & excluded:
            excluded -= members
        else:
            evaluation -= members
    return EvaluationSplit(
        fit=[i for i in range(len(labels)) if i not in evaluation and i not in excluded],
        evaluation=sorted(evaluation),
        excluded=sorted(excluded),
    )


def holdout_split(labels: list[str], *, test_size: float = 0.2, random_state: int = 0):
    """Stratified train/holdout indices; classes with < 2 examples stay in training."""
    counts = Counter(labels)
    indices = np.arange(len(labels))
    rare = np.array([counts[label] < 2 for label in labels], dtype=bool)
    common = indices[~rare]
    common_labels = [labels[i] for i in common]
    n_classes = len(set(common_labels))
    n_test = max(int(round(len(common) * test_size)), n_classes)
    if len(common) - n_test < n_classes:
        return indices, np.array([], dtype=int)
    train, test = train_test_split(
        common, test_size=n_test, stratify=common_labels, random_state=random_state
    )
    return np.sort(np.concatenate([train, indices[rare]])), np.sort(test)


def classification_metrics(y_true, y_pred, *, labels: list[str]) -> dict:
    if len(y_true) == 0:
        return {}
    metrics = {"accuracy": round(float(accuracy_score(y_true, y_pred)), 6), "n": len(y_true)}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        metrics[f"precision_{average}"] = round(float(p), 6)
        metrics[f"recall_{average}"] = round(float(r), 6)
        metrics[f"f1_{average}"] = round(float(f), 6)
    p, r, f, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    metrics["per_class"] = {
        label: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    metrics["confusion_matrix"] = {
        "labels": labels,
        "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    return metrics


def drift_reference(fit_labels, holdout_confidences, holdout_correct=None, *, bins: int = 10):
    """What monitoring compares live traffic with: the fit labels' distribution, and the
    holdout's confidences (probability of the predicted class) in `bins` quantile bins (the
    inner edges, strictly increasing, and the holdout's count in each: ties can merge bins),
    with the holdout's accuracy in each bin when `holdout_correct` is given (None where a bin
    is empty): the label-free accuracy estimate calibrates live confidences with it."""
    confidences = np.asarray(holdout_confidences, dtype=float)
    reference = {"label_distribution": dict(Counter(fit_labels))}
    if len(confidences):
        quantiles = np.quantile(confidences, np.linspace(0, 1, bins + 1)[1:-1])
        edges = np.unique(np.round(quantiles, 6))
        index = np.searchsorted(edges, confidences, side="right")
        counts = np.bincount(index, minlength=len(edges) + 1)
        reference["confidence_edges"] = edges.tolist()
        reference["confidence_counts"] = counts.tolist()
        if holdout_correct is not None:
            correct = np.bincount(
                index, weights=np.asarray(holdout_correct, dtype=float), minlength=len(counts)
            )
            reference["confidence_accuracy"] = [
                round(float(c / n), 6) if n else None for c, n in zip(correct, counts, strict=True)
            ]
            reference["n"] = int(len(confidences))
    return reference
