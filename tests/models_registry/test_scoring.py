"""The direct scorer gives predict_proba's probabilities, and serving uses it."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from models_registry import serving
from models_registry.scoring import scorer_for
from training.estimators import TemperatureScaledClassifier, build_fast_estimator

BANKING77 = Path(__file__).resolve().parents[3] / "shared/data/banking77"
EDGE_TEXTS = [
    "",  # no feature at all: the intercepts alone
    "!!! ???",
    "zzqx vvkk",  # only unseen words, but seen character n-grams
    "card card card card card",  # repeated terms: sublinear tf
    "Ça a été débité DEUX fois, 12,50 €",
    "\N{GRINNING FACE} refund",
]


@pytest.fixture(scope="module")
def banking77():
    if not (BANKING77 / "train.csv").exists():
        pytest.skip("BANKING77 not available")
    train = pd.read_csv(BANKING77 / "train.csv").sample(1500, random_state=0)
    test = pd.read_csv(BANKING77 / "test.csv").sample(400, random_state=0)
    return train, test


@pytest.fixture(scope="module")
def fast_model(banking77):
    train, _ = banking77
    return build_fast_estimator().fit(train["text"].tolist(), train["category"].to_numpy())


def assert_same_as_predict_proba(model, texts):
    score = scorer_for(model)
    assert score is not None
    expected = model.predict_proba(texts)
    got = np.vstack([score(text) for text in texts])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()


def test_the_fast_profile_scores_as_predict_proba(banking77, fast_model):
    _, test = banking77
    assert_same_as_predict_proba(fast_model, test["text"].tolist() + EDGE_TEXTS)


@pytest.mark.parametrize(
    "options",
    [
        {"sublinear_tf": False},
        {"binary": True},
        {"use_idf": False},
        {"norm": None},
        {"analyzer": "char", "ngram_range": (1, 3), "lowercase": False},
        {"strip_accents": "unicode", "stop_words": "english", "min_df": 2},
    ],
)
def test_vectorizer_options_score_as_predict_proba(banking77, options):
    train, test = banking77
    model = Pipeline(
        [
            ("features", TfidfVectorizer(**options)),
            ("classifier", TemperatureScaledClassifier(LinearSVC(C=0.5), cv=2)),
        ]
    ).fit(train["text"].tolist(), train["category"].to_numpy())
    assert_same_as_predict_proba(model, test["text"].tolist()[:100] + EDGE_TEXTS)


def other_shapes():
    texts = ["a refund please", "my card is late", "card arrival", "refund my money"] * 5
    labels = ["refund", "card", "card", "refund"] * 5
    three = labels[:-1] + ["pin"]

    def svc():
        return TemperatureScaledClassifier(LinearSVC(), cv=2)

    yield "binary", Pipeline([("f", TfidfVectorizer()), ("c", svc())]).fit(texts, labels)
    yield (
        "count vectorizer",
        Pipeline([("f", CountVectorizer()), ("c", svc())]).fit(texts, three),
    )
    yield (
        "weighted union",
        Pipeline(
            [
                ("f", FeatureUnion([("w", TfidfVectorizer())], transformer_weights={"w": 2.0})),
                ("c", svc()),
            ]
        ).fit(texts, three),
    )
    yield (
        "logistic regression",
        Pipeline([("f", TfidfVectorizer()), ("c", LogisticRegression())]).fit(texts, three),
    )
    yield "not a pipeline", TfidfVectorizer().fit(texts)
    yield "not fitted", build_fast_estimator()


@pytest.mark.parametrize("name,model", list(other_shapes()), ids=lambda v: str(v)[:20])
def test_other_shapes_have_no_scorer_and_keep_predict_proba(name, model):
    assert scorer_for(model) is None
    if hasattr(model, "classes_"):
        label, confidence = serving.predict_label(model, "a refund please")
        proba = model.predict_proba(["a refund please"])[0]
        assert (label, confidence) == (str(model.classes_[proba.argmax()]), proba.max())


def test_serving_predicts_through_the_scorer(fast_model, monkeypatch):
    text = "I still have not received my new card"
    expected = fast_model.predict_proba([text])[0]
    monkeypatch.setattr(fast_model, "predict_proba", None)  # serving must not call it
    label, confidence = serving.predict_label(fast_model, text)
    assert label == fast_model.classes_[expected.argmax()]
    assert confidence == pytest.approx(expected.max(), abs=1e-12)
    assert serving.scorer(fast_model) is serving.scorer(fast_model)  # built once per model


def test_a_model_the_scorer_cannot_read_still_serves_through_predict_proba(monkeypatch, caplog):
    texts = ["a refund please", "my card is late", "card arrival", "pin reset"] * 5
    labels = ["refund", "card", "card", "pin"] * 5
    model = build_fast_estimator().fit(texts, labels)

    def broken(model):
        raise AttributeError("an attribute this version of scikit-learn renamed")

    monkeypatch.setattr(serving, "scorer_for", broken)
    label, confidence = serving.predict_label(model, "a refund please")
    proba = model.predict_proba(["a refund please"])[0]
    assert (label, confidence) == (str(model.classes_[proba.argmax()]), proba.max())
    assert serving.scorer(model) is None
    assert "No direct scorer" in caplog.text


def test_the_scorer_shares_the_classifiers_coefficients(fast_model):
    """No second copy of the coefficients per loaded model (the cache holds up to 64)."""
    import tracemalloc

    coef = fast_model.named_steps["classifier"].estimator_.coef_
    tracemalloc.start()
    try:
        score = scorer_for(fast_model)
        allocated = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert score is not None
    assert allocated < coef.nbytes / 10, (allocated, coef.nbytes)
