from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from training.estimators import (
    PROFILES,
    SKOPS_TRUSTED_TYPES,
    EstimatorUnavailable,
    TemperatureScaledClassifier,
    build_estimator,
    estimator_description,
    expected_calibration_error,
)

TOPICS = {
    "card_arrival": ["card", "arrive", "delivery", "post", "mail", "waiting"],
    "refund": ["refund", "money", "back", "return", "merchant", "reimburse"],
    "pin": ["pin", "code", "forgot", "reset", "blocked", "digits"],
    "transfer": ["transfer", "account", "sent", "recipient", "pending", "bank"],
}
FILLER = ["please", "my", "the", "is", "why", "how", "i", "can", "help", "still"]


def synthetic(n_per_class: int = 30, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label, words in TOPICS.items():
        for _ in range(n_per_class):
            picked = list(rng.choice(words, 3)) + list(rng.choice(FILLER, 3))
            rng.shuffle(picked)
            texts.append(" ".join(picked))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def fitted():
    texts, labels = synthetic()
    return build_estimator("fast", random_state=0).fit(texts, labels)


def test_fast_fits_predicts_and_probabilities_sum_to_one(fitted):
    texts, labels = synthetic(seed=1)
    assert list(fitted.classes_) == sorted(TOPICS)
    proba = fitted.predict_proba(texts)
    assert proba.shape == (len(texts), len(TOPICS))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba >= 0).all()
    predicted = fitted.predict(texts)
    assert np.mean(predicted == np.array(labels)) > 0.9
    assert (fitted.classes_[proba.argmax(axis=1)] == predicted).all()


def test_temperature_is_fitted(fitted):
    clf = fitted.named_steps["classifier"]
    assert 0 < clf.temperature_ < 1e3
    assert clf.temperature_ != 1.0
    assert clf.n_calibration_samples_ == 120


def test_deterministic_for_same_seed():
    texts, labels = synthetic()
    test_texts, _ = synthetic(seed=2)
    a = build_estimator(random_state=3).fit(texts, labels)
    b = build_estimator(random_state=3).fit(texts, labels)
    assert (a.predict(test_texts) == b.predict(test_texts)).all()
    np.testing.assert_array_equal(a.predict_proba(test_texts), b.predict_proba(test_texts))


def test_skops_round_trip(fitted):
    data = sio.dumps(fitted)
    assert set(sio.get_untrusted_types(data=data)) <= set(SKOPS_TRUSTED_TYPES)
    loaded = sio.loads(data, trusted=SKOPS_TRUSTED_TYPES)
    texts, _ = synthetic(seed=4)
    assert (loaded.predict(texts) == fitted.predict(texts)).all()
    np.testing.assert_array_equal(loaded.predict_proba(texts), fitted.predict_proba(texts))


def test_rare_classes_and_binary_are_handled():
    texts, labels = synthetic(n_per_class=10)
    texts += ["unusual lost wallet abroad"]
    labels += ["lost_wallet"]  # a single example: no fold can calibrate on it
    est = build_estimator().fit(texts, labels)
    assert "lost_wallet" in est.classes_
    np.testing.assert_allclose(est.predict_proba(texts).sum(axis=1), 1.0)

    binary_texts = texts[:20]
    binary_labels = labels[:20]
    assert len(set(binary_labels)) == 2
    est = build_estimator().fit(binary_texts, binary_labels)
    proba = est.predict_proba(binary_texts)
    assert proba.shape == (20, 2)
    assert (est.classes_[proba.argmax(axis=1)] == est.predict(binary_texts)).all()


def test_too_few_samples_to_calibrate_keeps_unit_temperature():
    clf = TemperatureScaledClassifier(cv=3)
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    clf.fit(X, ["a", "b"])
    assert clf.temperature_ == 1.0
    assert clf.n_calibration_samples_ == 0
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_profiles_and_unknown_profile():
    assert PROFILES == ("fast", "accurate")
    with pytest.raises(ValueError, match="unknown profile"):
        build_estimator("huge")


def test_accurate_profile_is_unavailable_without_the_extra(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None)
    with pytest.raises(EstimatorUnavailable, match="sentence-transformers"):
        build_estimator("accurate")


def test_estimator_description(fitted):
    unfitted = estimator_description(build_estimator())
    assert unfitted["profile"] == "fast"
    assert "temperature" not in unfitted["calibration"]
    described = estimator_description(fitted)
    assert described["profile"] == "fast"
    assert described["classifier"]["type"] == "LinearSVC"
    assert described["features"]["word"]["ngram_range"] == [1, 2]
    assert described["features"]["char"]["analyzer"] == "char_wb"
    assert described["calibration"]["method"] == "temperature"
    assert described["calibration"]["temperature"] > 0
    assert described["n_classes"] == len(TOPICS)
    import json

    json.dumps(described)


def test_expected_calibration_error():
    classes = np.array(["a", "b"])
    # Confidence 0.8 everywhere and 80% right → perfectly calibrated.
    proba = np.tile([0.8, 0.2], (10, 1))
    y = np.array(["a"] * 8 + ["b"] * 2)
    assert expected_calibration_error(y, proba, classes) == pytest.approx(0.0)
    # Confidence 0.8, always wrong → ECE 0.8.
    assert expected_calibration_error(["b"] * 10, proba, classes) == pytest.approx(0.8)
    # Two bins: 0.6-confident rows all right (gap 0.4), 1.0-confident rows all right (gap 0).
    proba = np.array([[0.6, 0.4]] * 5 + [[1.0, 0.0]] * 5)
    assert expected_calibration_error(["a"] * 10, proba, classes) == pytest.approx(0.2)


BANKING77 = Path(__file__).resolve().parents[3] / "shared/data/banking77"


@pytest.mark.slow
def test_fast_profile_on_banking77():
    if not (BANKING77 / "train.csv").exists():
        pytest.skip("BANKING77 not available")
    import pandas as pd

    train = pd.read_csv(BANKING77 / "train.csv")
    test = pd.read_csv(BANKING77 / "test.csv")
    est = build_estimator("fast").fit(train["text"].tolist(), train["category"].to_numpy())
    predicted = est.predict(test["text"].tolist())
    accuracy = float(np.mean(predicted == test["category"].to_numpy()))
    assert accuracy >= 0.91
    proba = est.predict_proba(test["text"].tolist())
    assert expected_calibration_error(test["category"], proba, est.classes_) < 0.05
