"""Holdout split and classification metrics (pure)."""

from collections import Counter

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import train_test_split


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
