"""Tests for the pure demo-helpdesk generator (no Django needed).

Run with: .venv/bin/python -m pytest -p no:django tests/aiops/test_demo_data.py
"""

import random
import re
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from aiops import demo_vocabulary as vocab
from aiops.demo_data import DemoHelpdesk, DemoTicket, generate_helpdesk

RESOLVED = {"resolved", "closed"}
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def helpdesk() -> DemoHelpdesk:
    return generate_helpdesk()


def test_same_seed_gives_identical_output():
    assert generate_helpdesk(seed=3, n_tickets=300) == generate_helpdesk(seed=3, n_tickets=300)


def test_different_seed_gives_different_output():
    a = generate_helpdesk(seed=3, n_tickets=300)
    b = generate_helpdesk(seed=4, n_tickets=300)
    assert a.categories == b.categories
    assert a.tickets != b.tickets
    assert [t.body for t in a.tickets[:20]] != [t.body for t in b.tickets[:20]]


def test_n_tickets_is_respected():
    assert len(generate_helpdesk(n_tickets=50).tickets) == 50


def test_default_size():
    # Speed is for benchmarks, not for tests that fail on a loaded machine.
    assert len(generate_helpdesk().tickets) >= 2000


def test_results_are_frozen(helpdesk):
    ticket = helpdesk.tickets[0]
    assert isinstance(ticket, DemoTicket)
    with pytest.raises(AttributeError):
        ticket.subject = "changed"  # type: ignore[misc]


def test_categories(helpdesk):
    names = [c.name for c in helpdesk.categories]
    assert len(names) >= 8
    assert len(set(names)) == len(names)
    assert "Technical Issue" in names
    assert all(c.description for c in helpdesk.categories)
    assert all(len(name) <= 100 for name in names)
    used = Counter(t.category for t in helpdesk.tickets)
    assert set(used) == set(names)
    assert min(used.values()) / len(helpdesk.tickets) >= 0.04


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("priority", {"low", "medium", "high"}),
        ("sentiment", {"negative", "neutral", "positive"}),
    ],
)
def test_labels_present_and_balanced(helpdesk, field, values):
    counts = Counter(getattr(t, field) for t in helpdesk.tickets)
    assert set(counts) == values
    for value in values:
        assert counts[value] / len(helpdesk.tickets) >= 0.05, (value, counts)


def test_field_values(helpdesk):
    for t in helpdesk.tickets:
        assert t.channel in {"email", "chat", "phone", "web"}
        assert t.status in {"open", "pending", "resolved", "closed"}
        assert re.fullmatch(r"CUST-\d{5}", t.customer_ref)
        assert t.subject.strip() and len(t.subject) <= 300
        assert t.body.strip()
        assert "{" not in t.subject + t.body + t.resolution  # every slot was filled
    assert {t.channel for t in helpdesk.tickets} == {"email", "chat", "phone", "web"}


def test_created_times_spread_over_about_90_days(helpdesk):
    minutes = [t.created_minutes_ago for t in helpdesk.tickets]
    day = 24 * 60
    assert all(isinstance(m, int) and 0 <= m < 91 * day for m in minutes)
    assert min(minutes) < 2 * day
    assert max(minutes) > 80 * day


def test_wording_is_varied(helpdesk):
    n = len(helpdesk.tickets)
    assert len({t.subject for t in helpdesk.tickets}) / n >= 0.6
    assert len({t.body for t in helpdesk.tickets}) / n >= 0.95
    resolutions = [t.resolution for t in helpdesk.tickets if t.resolution]
    assert len(set(resolutions)) / len(resolutions) >= 0.6


def test_resolutions_exactly_for_resolved_tickets(helpdesk):
    for t in helpdesk.tickets:
        if t.status in RESOLVED:
            assert t.resolution.strip(), t
        else:
            assert t.resolution == "", t
    share = sum(t.status in RESOLVED for t in helpdesk.tickets) / len(helpdesk.tickets)
    assert 0.55 <= share <= 0.75


def test_templates_only_use_known_slots():
    from aiops.demo_data import _make_customers, _ticket_slots

    rng = random.Random(0)
    slots = set(_ticket_slots(rng, _make_customers(rng, 1)[0]))
    formatter = string.Formatter()

    def templates():
        for name in dir(vocab):
            value = getattr(vocab, name)
            if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
                yield from value
            elif isinstance(value, dict) and "intents" not in value:
                for item in value.values():
                    if isinstance(item, tuple):
                        yield from (v for v in item if isinstance(v, str))
        for category in vocab.CATEGORIES:
            for intent in category["intents"]:
                for key in ("subjects", "leads", "details", "resolutions"):
                    assert len(intent[key]) >= 3, (intent["key"], key)
                    yield from intent[key]

    for template in templates():
        for _, field, _, _ in formatter.parse(template):
            assert field is None or field in slots, (field, template)


def test_module_is_pure():
    code = "import sys, aiops.demo_data; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)


def test_labels_are_learnable_but_not_trivial(helpdesk):
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    tickets = helpdesk.tickets
    texts = [f"{t.subject}\n{t.body}" for t in tickets]
    cut = int(len(tickets) * 0.8)
    accuracy = {}
    for field in ("category", "priority", "sentiment"):
        labels = [getattr(t, field) for t in tickets]
        vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
        model = LogisticRegression(max_iter=1000)
        model.fit(vectorizer.fit_transform(texts[:cut]), labels[:cut])
        predicted = model.predict(vectorizer.transform(texts[cut:]))
        accuracy[field] = sum(p == y for p, y in zip(predicted, labels[cut:], strict=True)) / (
            len(labels) - cut
        )
    assert 0.80 <= accuracy["category"] <= 0.98, accuracy
    assert accuracy["priority"] > 0.55, accuracy
    assert accuracy["sentiment"] > 0.55, accuracy
