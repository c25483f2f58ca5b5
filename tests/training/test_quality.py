import math

import pytest

from training.quality import PART_WEIGHTS, SOURCE_TRUST, QualityScore, score_example

GOOD_TEXT = "My card still has not arrived after two weeks, what should I do?"
TRUST_ORDER = ["expert", "reviewer", "user_correction", "user_acceptance", "import", "automated"]


def test_source_trust_order():
    assert list(SOURCE_TRUST) == TRUST_ORDER
    totals = [score_example(source=s, text=GOOD_TEXT).total for s in TRUST_ORDER]
    assert totals == sorted(totals, reverse=True)
    assert len(set(totals)) == len(totals)


def test_parts_present_only_when_known():
    base = score_example(source="reviewer", text=GOOD_TEXT)
    assert set(base.parts) == {"source", "text"}
    full = score_example(source="reviewer", text=GOOD_TEXT, agreement=1.0, label_quality=0.9)
    assert set(full.parts) == {"source", "text", "agreement", "label_quality"}
    assert set(full.text_parts) == {"length", "alphabetic", "repeats", "caps"}
    assert full.as_dict() == {"total": full.total, "parts": full.parts, "text": full.text_parts}


def test_total_is_weighted_mean_of_known_parts():
    score = score_example(source="expert", text=GOOD_TEXT, agreement=0.5)
    expected = (
        PART_WEIGHTS["source"] * 1.0
        + PART_WEIGHTS["text"] * score.parts["text"]
        + PART_WEIGHTS["agreement"] * 0.5
    ) / (PART_WEIGHTS["source"] + PART_WEIGHTS["text"] + PART_WEIGHTS["agreement"])
    assert score.total == pytest.approx(expected, abs=1e-4)
    assert math.isclose(sum(PART_WEIGHTS.values()), 1.0)


def test_evidence_moves_the_score():
    neutral = score_example(source="user_acceptance", text=GOOD_TEXT)
    agreed = score_example(source="user_acceptance", text=GOOD_TEXT, agreement=1.0)
    disputed = score_example(source="user_acceptance", text=GOOD_TEXT, agreement=0.0)
    suspect = score_example(source="user_acceptance", text=GOOD_TEXT, label_quality=0.02)
    assert disputed.total < neutral.total < agreed.total
    assert suspect.total < neutral.total


@pytest.mark.parametrize(
    "text",
    [
        "",
        "help",
        "!!!!!!!!!!!!!!!!!!!!!!",
        "1234 5678 9999 0000 #### $$$$",
        "WHY HAS MY CARD NOT ARRIVED YET I NEED IT",
        "my caaaaaaaaaaaaaard is late",
    ],
)
def test_poor_text_scores_lower_than_good_text(text):
    good = score_example(source="import", text=GOOD_TEXT)
    poor = score_example(source="import", text=text)
    assert good.parts["text"] == 1.0
    assert poor.parts["text"] < good.parts["text"]
    assert poor.total < good.total


@pytest.mark.parametrize("source", TRUST_ORDER)
@pytest.mark.parametrize("text", ["", GOOD_TEXT, "$$$$$$$$$$$$$$$$$$$$"])
@pytest.mark.parametrize("evidence", [None, 0.0, 1.0])
def test_bounds(source, text, evidence):
    score = score_example(source=source, text=text, agreement=evidence, label_quality=evidence)
    assert isinstance(score, QualityScore)
    assert 0.0 <= score.total <= 1.0
    assert all(0.0 <= v <= 1.0 for v in score.parts.values())
    assert all(0.0 <= v <= 1.0 for v in score.text_parts.values())


def test_input_checks_and_normalisation():
    assert score_example(source="User-Correction", text=GOOD_TEXT).parts["source"] == 0.75
    with pytest.raises(ValueError, match="unknown source"):
        score_example(source="gossip", text=GOOD_TEXT)
    with pytest.raises(ValueError, match="agreement"):
        score_example(source="expert", text=GOOD_TEXT, agreement=1.5)
    nan = score_example(source="expert", text=GOOD_TEXT, label_quality=float("nan"))
    assert "label_quality" not in nan.parts


def test_frozen():
    score = score_example(source="expert", text=GOOD_TEXT)
    with pytest.raises(AttributeError):
        score.total = 0.0
