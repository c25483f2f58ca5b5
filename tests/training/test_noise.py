import numpy as np
import pytest

from training.noise import (
    DEFAULT_FILTER_BY,
    NoiseReport,
    find_label_issues,
    label_issues_from_pred_probs,
)

TOPICS = {
    "card_arrival": ["card", "arrive", "delivery", "post", "mail", "waiting", "courier"],
    "refund": ["refund", "money", "back", "return", "merchant", "reimburse", "charge"],
    "pin": ["pin", "code", "forgot", "reset", "blocked", "digits", "unlock"],
    "transfer": ["transfer", "account", "sent", "recipient", "pending", "bank", "iban"],
}
FILLER = ["please", "my", "the", "is", "why", "how", "i", "can", "help", "still"]


def synthetic(n_per_class: int = 40, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label, words in TOPICS.items():
        for _ in range(n_per_class):
            picked = list(rng.choice(words, 3)) + list(rng.choice(FILLER, 3))
            rng.shuffle(picked)
            texts.append(" ".join(picked))
            labels.append(label)
    return texts, np.array(labels, dtype=object)


def plant_flips(labels: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    flipped = rng.choice(len(labels), n, replace=False)
    noisy = labels.copy()
    classes = sorted(TOPICS)
    for i in flipped:
        noisy[i] = classes[(classes.index(labels[i]) + 1) % len(classes)]
    return noisy, np.sort(flipped)


def test_from_pred_probs_flags_the_planted_flips():
    rng = np.random.default_rng(0)
    n, k = 300, 3
    true = rng.integers(0, k, n)
    probs = rng.dirichlet(np.ones(k), n) * 0.2
    probs[np.arange(n), true] += 0.8
    noisy, flipped = true.copy(), rng.choice(n, 15, replace=False)
    noisy[flipped] = (true[flipped] + 1) % k

    report = label_issues_from_pred_probs(noisy, probs)

    assert isinstance(report, NoiseReport)
    assert report.filter_by == DEFAULT_FILTER_BY
    found = set(np.flatnonzero(report.is_issue))
    assert found <= set(flipped)  # no false alarm
    assert len(found) >= 12  # cleanlab's count estimate is conservative here
    np.testing.assert_allclose(report.label_quality, probs[np.arange(n), noisy])
    np.testing.assert_allclose(report.given_label_probability, probs[np.arange(n), noisy])
    assert (report.suggested_labels[flipped] == true[flipped]).all()
    ranked = report.issue_indices()
    assert list(report.label_quality[ranked]) == sorted(report.label_quality[ranked])

    every_disagreement = label_issues_from_pred_probs(noisy, probs, filter_by="predicted_neq_given")
    assert set(np.flatnonzero(every_disagreement.is_issue)) == set(flipped)


def test_from_pred_probs_with_string_labels_and_unused_class_column():
    labels = np.array(["a", "a", "b", "b", "b", "a"])
    probs = np.array(
        [
            [0.90, 0.05, 0.05],
            [0.80, 0.15, 0.05],
            [0.05, 0.90, 0.05],
            [0.10, 0.85, 0.05],
            [0.85, 0.10, 0.05],  # labelled b, looks like a
            [0.10, 0.85, 0.05],  # labelled a, looks like b
        ]
    )
    report = label_issues_from_pred_probs(labels, probs, classes=["a", "b", "long_class_name"])
    assert report.classes == ("a", "b", "long_class_name")
    assert list(np.flatnonzero(report.is_issue)) == [4, 5]
    assert list(report.suggested_labels[[4, 5]]) == ["a", "b"]
    row = report.rows()[4]
    assert row == {
        "index": 4,
        "given_label": "b",
        "is_issue": True,
        "label_quality": pytest.approx(0.10 / 0.95),
        "suggested_label": "a",
        "given_label_probability": pytest.approx(0.10),
        "evaluated": True,
    }


def test_from_pred_probs_rejects_bad_input():
    with pytest.raises(ValueError, match="shape"):
        label_issues_from_pred_probs([0, 1], np.ones((3, 2)) / 2)
    with pytest.raises(ValueError, match="not one of the classes"):
        label_issues_from_pred_probs(["a", "z"], np.ones((2, 2)) / 2, classes=["a", "b"])


def test_find_label_issues_on_texts_finds_planted_flips():
    texts, labels = synthetic()
    noisy, flipped = plant_flips(labels, 8)

    report = find_label_issues(texts, noisy, n_folds=5, random_state=0)

    assert report.n_folds == 5
    assert report.evaluated.all()
    found = set(np.flatnonzero(report.is_issue))
    assert len(found & set(flipped)) >= 7  # recall
    assert len(found - set(flipped)) <= 2  # precision
    assert (report.suggested_labels[flipped] == labels[flipped]).sum() >= 7
    assert report.pred_probs.shape == (len(texts), len(TOPICS))
    np.testing.assert_allclose(report.pred_probs.sum(axis=1), 1.0)
    assert np.nanmax(report.label_quality[flipped]) < np.nanmedian(report.label_quality)


def test_find_label_issues_handles_classes_smaller_than_folds():
    texts, labels = synthetic(n_per_class=12)
    texts = texts + ["lost wallet abroad", "wallet stolen abroad", "odd one out"]
    labels = np.concatenate([labels, ["lost_wallet", "lost_wallet", "singleton"]])

    report = find_label_issues(texts, labels, n_folds=5)

    singleton = len(texts) - 1
    assert not report.evaluated[singleton]
    assert not report.is_issue[singleton]
    assert np.isnan(report.label_quality[singleton])
    assert report.suggested_labels[singleton] == "singleton"
    assert report.evaluated[:-1].all()
    assert not np.isnan(report.label_quality[:-1]).any()
    assert "singleton" in report.classes
    assert report.rows()[singleton]["label_quality"] is None


def test_find_label_issues_deterministic():
    texts, labels = synthetic(n_per_class=15)
    noisy, _ = plant_flips(labels, 4)
    a = find_label_issues(texts, noisy, n_folds=3, random_state=1)
    b = find_label_issues(texts, noisy, n_folds=3, random_state=1)
    np.testing.assert_array_equal(a.is_issue, b.is_issue)
    np.testing.assert_array_equal(a.label_quality, b.label_quality)
