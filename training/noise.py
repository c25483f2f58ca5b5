"""Label-noise detection by confident learning (cleanlab) on out-of-fold probabilities.

Pure module: no Django, no database.

- :func:`find_label_issues` fits the profile's estimator ``n_folds`` times
  (``cross_val_predict`` over a stratified split) to get out-of-fold predicted probabilities,
  then asks cleanlab which given labels look wrong.
- :func:`label_issues_from_pred_probs` does the second half only, from labels and
  probabilities you already have.

Per example the report gives: whether it is flagged, its label quality (cleanlab's
self-confidence, i.e. the out-of-fold probability of the given label, 0..1, low = suspect),
the suggested label (argmax of the out-of-fold probabilities) and that given-label probability.

Classes with a single example cannot be judged out of fold (no fold would have seen the class):
those examples are reported with ``evaluated=False``, never flagged, and NaN scores.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cleanlab.filter
import cleanlab.rank
import numpy as np
from scipy.special import softmax
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC

from training.estimators import _fit_temperature, build_estimator

__all__ = [
    "DEFAULT_FILTER_BY",
    "NoiseReport",
    "find_label_issues",
    "label_issues_from_pred_probs",
]

# How many to flag comes from cleanlab's estimate of the noise (count.num_label_issues); which
# ones are the lowest self-confidence. Measured on BANKING77 train with 5% of labels flipped
# uniformly at random to another class (three draws; benchmarks/estimators.py prints seed 0):
# precision 0.78-0.80 and recall 0.93-0.96, against 0.56-0.59 / 0.81-0.86 for cleanlab's
# default 'prune_by_noise_rate' and 0.68-0.70 / 0.80-0.86 for 'both'. Uniform flips favour
# this rule; systematic confusions between similar classes may not.
DEFAULT_FILTER_BY = "low_self_confidence"

# `profile` value for out-of-fold scores of a plain LinearSVC on the `fast` features (fit once
# on all texts), temperature-scaled once on those scores (see out_of_fold_pred_probs). Fitting
# the features once instead of per fold: on the demo's 2,400 tickets 16 s against 48 s; on
# BANKING77 train with 5% of the labels flipped as benchmarks/training.py does, 96 s against
# 117 s, precision / recall 0.868 / 0.896 against 0.850 / 0.904 (a busy 2-core machine).
SVM_PROFILE = "svm"

# A class needs this many examples for its examples to be judged out of fold.
MIN_EXAMPLES_PER_CLASS = 2


@dataclass(frozen=True, eq=False)
class NoiseReport:
    """Per-example results, aligned with the input order."""

    classes: tuple[Any, ...]
    given_labels: np.ndarray
    is_issue: np.ndarray  # bool
    label_quality: np.ndarray  # self-confidence, NaN where not evaluated
    suggested_labels: (
        np.ndarray
    )  # argmax of out-of-fold probabilities (given label if not evaluated)
    given_label_probability: np.ndarray  # NaN where not evaluated
    evaluated: np.ndarray  # bool
    filter_by: str
    n_folds: int | None = None  # None when probabilities were supplied
    # Out-of-fold probabilities, columns in `classes` order; NaN rows where not evaluated.
    pred_probs: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.given_labels.shape[0])

    @property
    def n_issues(self) -> int:
        return int(self.is_issue.sum())

    def issue_indices(self) -> np.ndarray:
        """Indices of flagged examples, most suspect (lowest label quality) first."""
        idx = np.flatnonzero(self.is_issue)
        return idx[np.argsort(self.label_quality[idx], kind="stable")]

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per example, in input order."""
        return [
            {
                "index": i,
                "given_label": _plain(self.given_labels[i]),
                "is_issue": bool(self.is_issue[i]),
                "label_quality": _nan_to_none(self.label_quality[i]),
                "suggested_label": _plain(self.suggested_labels[i]),
                "given_label_probability": _nan_to_none(self.given_label_probability[i]),
                "evaluated": bool(self.evaluated[i]),
            }
            for i in range(len(self))
        ]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _nan_to_none(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def label_issues_from_pred_probs(
    labels: Sequence[Any],
    pred_probs: np.ndarray,
    *,
    classes: Sequence[Any] | None = None,
    filter_by: str = DEFAULT_FILTER_BY,
) -> NoiseReport:
    """Confident learning on given labels and (out-of-fold) predicted probabilities.

    ``pred_probs[:, k]`` is the probability of ``classes[k]``; ``classes`` defaults to the
    sorted unique labels. Every label must be one of ``classes``.
    """
    labels = np.asarray(labels)
    pred_probs = np.asarray(pred_probs, dtype=np.float64)
    classes_arr = np.unique(labels) if classes is None else np.asarray(classes)
    if pred_probs.shape != (labels.shape[0], classes_arr.shape[0]):
        raise ValueError(
            f"pred_probs has shape {pred_probs.shape}, expected "
            f"({labels.shape[0]}, {classes_arr.shape[0]})"
        )
    index = {c: k for k, c in enumerate(classes_arr.tolist())}
    try:
        y = np.array([index[c] for c in labels.tolist()], dtype=int)
    except KeyError as exc:
        raise ValueError(f"label {exc.args[0]!r} is not one of the classes") from None
    if len(index) < 2:
        raise ValueError("need at least two classes")

    # cleanlab wants every column to be a class present in the labels: drop the others.
    present = np.unique(y)
    probs = pred_probs[:, present]
    probs = probs / np.clip(probs.sum(axis=1, keepdims=True), 1e-12, None)
    y_local = np.searchsorted(present, y)
    if present.size < 2:
        is_issue = np.zeros(y.shape[0], dtype=bool)
    else:
        is_issue = cleanlab.filter.find_label_issues(y_local, probs, filter_by=filter_by, n_jobs=1)
    quality = cleanlab.rank.get_label_quality_scores(y_local, probs, method="self_confidence")
    return NoiseReport(
        classes=tuple(classes_arr.tolist()),
        given_labels=labels,
        is_issue=np.asarray(is_issue, dtype=bool),
        label_quality=np.asarray(quality, dtype=np.float64),
        suggested_labels=classes_arr[np.argmax(pred_probs, axis=1)].astype(object),
        given_label_probability=pred_probs[np.arange(y.shape[0]), y],
        evaluated=np.ones(y.shape[0], dtype=bool),
        filter_by=filter_by,
        pred_probs=pred_probs,
    )


def out_of_fold_pred_probs(
    texts: Sequence[str],
    labels: np.ndarray,
    *,
    profile: str = "fast",
    n_folds: int = 5,
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray, int]:
    """(probabilities, classes, folds used) from ``cross_val_predict`` over a stratified split.

    Every class needs at least two examples; the number of folds is reduced to the size of
    the largest class when that is smaller than ``n_folds``.
    """
    classes, counts = np.unique(labels, return_counts=True)
    if classes.size < 2 or counts.min() < MIN_EXAMPLES_PER_CLASS:
        raise ValueError("need at least two classes, each with at least two examples")
    folds = int(min(n_folds, counts.max()))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    with warnings.catch_warnings():
        # Classes smaller than n_folds still reach every training part (each has ≥ 2 members),
        # so sklearn's "least populated class" warning is expected and harmless here.
        warnings.filterwarnings("ignore", message=".*least populated class.*")
        if profile == SVM_PROFILE:
            # The `fast` features are fit once on all the texts (they use no labels, so no
            # label leaks into a fold), then one plain LinearSVC per fold (no inner
            # calibration folds); a single temperature is then fit on the out-of-fold scores
            # themselves, so the probabilities that cleanlab's noise-count estimate relies on
            # are still calibrated.
            features = build_estimator("fast", random_state=random_state).steps[0][1]
            scores = cross_val_predict(
                LinearSVC(C=0.5, random_state=random_state),
                features.fit_transform(list(texts)),
                labels,
                cv=splitter,
                method="decision_function",
            )
            if scores.ndim == 1:
                scores = np.column_stack([-scores / 2.0, scores / 2.0])
            temperature = _fit_temperature(scores, np.searchsorted(classes, labels))
            probs = softmax(scores / temperature, axis=1)
        else:
            probs = cross_val_predict(
                build_estimator(profile, random_state=random_state),
                list(texts),
                labels,
                cv=splitter,
                method="predict_proba",
            )
    return probs, classes, folds


def find_label_issues(
    texts: Sequence[str],
    labels: Sequence[Any],
    *,
    profile: str = "fast",
    n_folds: int = 5,
    random_state: int = 0,
    filter_by: str = DEFAULT_FILTER_BY,
) -> NoiseReport:
    """Flag examples whose given label disagrees confidently with out-of-fold predictions."""
    texts = list(texts)
    labels = np.asarray(labels)
    if len(texts) != labels.shape[0]:
        raise ValueError("texts and labels differ in length")
    if n_folds < 2:
        raise ValueError("n_folds must be at least 2")

    classes, counts = np.unique(labels, return_counts=True)
    judged = np.isin(labels, classes[counts >= MIN_EXAMPLES_PER_CLASS])
    idx = np.flatnonzero(judged)
    n = labels.shape[0]
    is_issue = np.zeros(n, dtype=bool)
    quality = np.full(n, np.nan)
    given_prob = np.full(n, np.nan)
    suggested = labels.astype(object)
    all_probs = np.full((n, classes.size), np.nan)
    folds_used = None
    if np.unique(labels[idx]).size >= 2:
        probs, judged_classes, folds_used = out_of_fold_pred_probs(
            [texts[i] for i in idx],
            labels[idx],
            profile=profile,
            n_folds=n_folds,
            random_state=random_state,
        )
        part = label_issues_from_pred_probs(
            labels[idx], probs, classes=judged_classes, filter_by=filter_by
        )
        is_issue[idx] = part.is_issue
        quality[idx] = part.label_quality
        given_prob[idx] = part.given_label_probability
        suggested[idx] = part.suggested_labels
        all_probs[idx] = 0.0
        all_probs[np.ix_(idx, np.searchsorted(classes, judged_classes))] = probs
    else:
        judged[:] = False
    return NoiseReport(
        classes=tuple(classes.tolist()),
        given_labels=labels,
        is_issue=is_issue,
        label_quality=quality,
        suggested_labels=suggested,
        given_label_probability=given_prob,
        evaluated=judged,
        filter_by=filter_by,
        n_folds=folds_used,
        pred_probs=all_probs,
    )
