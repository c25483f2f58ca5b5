"""One text through a fitted linear text classifier without scikit-learn's per-call machinery.

Pure module: numpy and the fitted estimator, no Django. `scorer_for(model)` returns a function
`text -> probabilities` (in `model.classes_` order) for the pipelines the `fast` profile
builds: TF-IDF vectorizers (one, or a FeatureUnion of them) → a linear margin classifier with
temperature-scaled probabilities. It returns None for anything else, which then goes through
`predict_proba` as before.

Why: for one short text, `predict_proba` spends most of its time around the arithmetic, not in
it: input validation on each of five estimators (with dataframe detection on every call), a
joblib `Parallel` around the union's two transforms, and sparse-matrix construction, stacking
and products of a 1-row matrix. The scorer keeps the vectorizers' own analyzers, vocabularies
and idf weights and the classifier's own coefficients, and does the same arithmetic on the
few columns the text has: counts, sublinear tf, idf, L2 norm per block, then the columns'
coefficients, the intercept and the softmax. Its probabilities equal `predict_proba`'s up to
floating-point summation order (tests/models_registry/test_scoring.py checks BANKING77 texts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

Scorer = Callable[[str], np.ndarray]


class _Block:
    """One fitted TfidfVectorizer, its columns starting at `offset` of the union."""

    def __init__(self, vectorizer: TfidfVectorizer, offset: int):
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary = vectorizer.vocabulary_
        self.binary = vectorizer.binary
        self.sublinear = vectorizer.sublinear_tf
        self.idf = vectorizer.idf_ if vectorizer.use_idf else None
        self.l2 = vectorizer.norm == "l2"
        self.offset = offset

    def columns(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        vocabulary = self.vocabulary
        counts = Counter(
            index for index in map(vocabulary.get, self.analyze(text)) if index is not None
        )
        if not counts:
            return np.empty(0, dtype=np.intp), np.empty(0)
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.binary:
            values[:] = 1.0
        elif self.sublinear:
            values = np.log(values) + 1.0
        if self.idf is not None:
            values *= self.idf[columns]
        if self.l2:
            values /= np.sqrt(np.dot(values, values))
        return columns + self.offset, values


def _blocks(features: Any) -> list[_Block] | None:
    if isinstance(features, FeatureUnion):
        if features.transformer_weights:
            return None
        vectorizers = [step for _, step in features.transformer_list]
    else:
        vectorizers = [features]
    blocks, offset = [], 0
    for vectorizer in vectorizers:
        if type(vectorizer) is not TfidfVectorizer or vectorizer.input != "content":
            return None
        if not hasattr(vectorizer, "vocabulary_") or (
            vectorizer.use_idf and not hasattr(vectorizer, "idf_")
        ):
            return None  # not fitted: predict_proba says what is wrong
        if vectorizer.norm not in ("l2", None) or vectorizer.dtype not in (np.float64, float):
            return None
        blocks.append(_Block(vectorizer, offset))
        offset += len(vectorizer.vocabulary_)
    return blocks


def _linear_parts(classifier: Any) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(coefficients as features x classes, intercepts, temperature) of a temperature-scaled
    multi-class linear classifier whose classes are the model's, else None."""
    inner = getattr(classifier, "estimator_", None)
    temperature = getattr(classifier, "temperature_", None)
    coef = getattr(inner, "coef_", None)
    if temperature is None or not isinstance(coef, np.ndarray) or coef.ndim != 2:
        return None
    if coef.shape[0] < 3 or not np.array_equal(inner.classes_, classifier.classes_):
        return None  # binary models and folds missing a class keep the general path
    intercept = np.broadcast_to(np.asarray(inner.intercept_, dtype=np.float64), coef.shape[0])
    # Rows of the transpose are a text's columns. LinearSVC's coef_ is Fortran-ordered (and
    # stays so through skops), so its transpose is already contiguous: no copy is made.
    weights = np.ascontiguousarray(coef.T, dtype=np.float64)
    return weights, intercept.copy(), float(temperature)


def scorer_for(model: Any) -> Scorer | None:
    """A function giving `model.predict_proba([text])[0]` for one text, or None when the model
    is not a shape this module knows."""
    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        return None
    blocks = _blocks(model.steps[0][1])
    parts = _linear_parts(model.steps[1][1])
    if blocks is None or parts is None:
        return None
    weights, intercept, temperature = parts
    if sum(len(block.vocabulary) for block in blocks) != weights.shape[0]:
        return None

    def score(text: str) -> np.ndarray:
        scores = intercept.copy()
        for block in blocks:
            columns, values = block.columns(text)
            if columns.size:
                scores += values @ weights[columns]
        scores /= temperature
        scores -= scores.max()
        np.exp(scores, out=scores)
        scores /= scores.sum()
        return scores

    return score
