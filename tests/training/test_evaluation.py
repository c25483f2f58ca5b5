"""The stable evaluation split (pure)."""

import hashlib

from training.evaluation import evaluation_bucket, evaluation_split


def _hashes(n, offset=0):
    return [hashlib.sha256(f"text {i}".encode()).hexdigest() for i in range(offset, offset + n)]


def test_an_example_keeps_its_side_whatever_else_is_in_the_data():
    hashes, labels = _hashes(1000), ["a", "b"] * 500
    split = evaluation_split(hashes, labels, share=0.2)
    assert 150 < len(split.evaluation) < 250 and not set(split.fit) & set(split.evaluation)
    assert sorted(split.fit + split.evaluation) == list(range(1000))
    held = {hashes[i] for i in split.evaluation}
    # more data, in another order: the same texts are held out
    grown = _hashes(500, offset=1000) + hashes[::-1]
    later = evaluation_split(grown, ["a", "b"] * 750, share=0.2)
    assert {grown[i] for i in later.evaluation} & set(hashes) == held
    # a larger share holds out a superset
    wider = evaluation_split(hashes, labels, share=0.3)
    assert set(split.evaluation) < set(wider.evaluation)
    assert all(0 <= evaluation_bucket(h) < 1 for h in hashes)


def test_exclusion_leaves_the_fit_not_the_evaluation():
    hashes, labels = _hashes(100), ["a", "b"] * 50
    plain = evaluation_split(hashes, labels, share=0.2)
    exclude = {plain.fit[0], plain.evaluation[0]}
    split = evaluation_split(hashes, labels, share=0.2, exclude=exclude)
    assert split.evaluation == plain.evaluation
    assert split.excluded == [plain.fit[0]] and plain.fit[0] not in split.fit


def test_every_label_keeps_a_fit_example():
    hashes = _hashes(100)
    labels = ["a", "b"] * 50
    held = evaluation_split(hashes, labels, share=0.2).evaluation
    labels[held[0]] = "only-held-out"
    split = evaluation_split(hashes, labels, share=0.2)
    assert held[0] in split.fit and held[0] not in split.evaluation
    fit_only = next(i for i in range(100) if i not in held)
    labels[fit_only] = "only-excluded"
    split = evaluation_split(hashes, labels, share=0.2, exclude={fit_only})
    assert fit_only in split.fit and split.excluded == []


def test_drift_reference_bins_the_holdout_confidences_by_its_deciles():
    from training.evaluation import drift_reference

    confidences = [i / 1000 for i in range(1000)]
    reference = drift_reference(["a", "a", "b"], confidences)
    assert reference["label_distribution"] == {"a": 2, "b": 1}
    assert len(reference["confidence_edges"]) == 9
    assert reference["confidence_counts"] == [100] * 10
    tied = drift_reference(["a"], [0.9] * 50 + [0.5] * 50)
    assert tied["confidence_edges"] == sorted(set(tied["confidence_edges"]))
    assert sum(tied["confidence_counts"]) == 100
