"""The `accurate` profile (optional extra): skipped cleanly where it is not installed."""

import zipfile

import numpy as np
import pytest
import skops.io as sio

from training import estimators

pytestmark = pytest.mark.skipif(
    not estimators.accurate_available(), reason="the accurate extra is not installed"
)

TEXTS = {
    "card": ["my card has not arrived", "where is my new card", "card delivery is late"],
    "refund": ["I want my money back", "refund for this purchase", "merchant refund missing"],
    "pin": ["I forgot my PIN", "reset my pin code", "pin is blocked after three tries"],
}


def _data():
    texts = [t for ts in TEXTS.values() for t in ts]
    labels = [label for label, ts in TEXTS.items() for _ in ts]
    return texts, labels


def test_embeddings_are_normalised_and_weighted():
    embedder = estimators.SentenceEmbedder(weight=2.0).fit(["a"])
    vectors = embedder.transform(["hello there", "card lost"])
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 2.0, rtol=1e-5)


def test_accurate_fits_predicts_with_probabilities_and_round_trips_through_skops():
    texts, labels = _data()
    model = estimators.build_estimator("accurate").fit(texts, labels)
    # embeddings carry meaning the words alone do not share with the training texts
    assert model.predict(["the courier never delivered it"])[0] == "card"
    proba = model.predict_proba(["give me a reimbursement"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    described = estimators.estimator_description(model)
    assert described["profile"] == "accurate"
    assert described["features"]["embedding"]["model"] == "all-MiniLM-L6-v2"
    data = sio.dumps(model, compression=zipfile.ZIP_DEFLATED)
    assert set(sio.get_untrusted_types(data=data)) <= set(estimators.SKOPS_TRUSTED_TYPES)
    loaded = sio.loads(data, trusted=estimators.SKOPS_TRUSTED_TYPES)
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts))
