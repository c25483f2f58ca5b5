"""Label-noise detection over an organization's validated examples, stored per example."""

import numpy as np
import pytest

from aiops.exceptions import InvalidInput
from tests.factories import categories
from training import services
from training.importers import ParsedRow
from training.models import TrainingExample
from training.tasks import label_noise_detect_task

pytestmark = pytest.mark.django_db

TOPICS = {
    "card_arrival": ["card", "arrive", "delivery", "post", "mail", "waiting", "courier"],
    "refund": ["refund", "money", "back", "return", "merchant", "reimburse", "charge"],
    "pin": ["pin", "code", "forgot", "reset", "blocked", "digits", "unlock"],
}
FILLER = ["please", "my", "the", "is", "why", "how", "i", "can", "help", "still"]


def _load(org, n_per_class=30, flips=(0, 31, 62), approve=True):
    rng = np.random.default_rng(0)
    rows, truth = [], []
    for label, words in TOPICS.items():
        for _ in range(n_per_class):
            picked = list(rng.choice(words, 3)) + list(rng.choice(FILLER, 3))
            rng.shuffle(picked)
            rows.append(ParsedRow(line=len(rows) + 1, text=" ".join(picked), label=label))
            truth.append(label)
    classes = sorted(TOPICS)
    for i in flips:
        wrong = classes[(classes.index(truth[i]) + 1) % len(classes)]
        rows[i] = ParsedRow(line=rows[i].line, text=rows[i].text, label=wrong)
    categories(org, *TOPICS)
    services.examples_import(organization=org, task="category", rows=rows, approve=approve)
    by_text = {r.text: (r.label, truth[i]) for i, r in enumerate(rows)}
    return by_text


def test_flags_flipped_labels_and_stores_evidence(org):
    by_text = _load(org)
    summary = services.label_noise_detect(organization=org, task="category", n_folds=3)
    assert summary.examples == TrainingExample.objects.count()
    assert summary.evaluated == summary.examples
    flagged = list(TrainingExample.objects.filter(noise_flag=True))
    assert summary.flagged == len(flagged) >= 2
    for example in flagged:
        given, true = by_text[example.input_text]
        assert given != true  # only planted flips are flagged here
        assert example.suggested_label == true
        assert example.label_quality < 0.5
        assert example.quality_parts["label_quality"] == pytest.approx(
            example.label_quality, abs=1e-4
        )
    clean = TrainingExample.objects.filter(noise_flag=False).first()
    assert clean.noise_checked_at is not None and clean.label_quality > 0.5
    # flagged examples lose quality against clean ones of the same source
    assert max(e.quality_score for e in flagged) < clean.quality_score


def test_only_validated_examples_unless_pending_is_asked_for(org):
    _load(org, approve=False)
    assert services.label_noise_detect(organization=org, task="category").examples == 0
    summary = services.label_noise_detect(
        organization=org, task="category", include_pending=True, n_folds=3
    )
    assert summary.examples == TrainingExample.objects.count()


def test_task_runs_the_service(org):
    _load(org)
    flagged = label_noise_detect_task.delay(org.pk, "category").get()
    assert flagged == TrainingExample.objects.filter(noise_flag=True).count() > 0


def test_review_queue_puts_suspected_noise_first(org):
    from training.selectors import training_example_review_queue

    _load(org)
    services.label_noise_detect(organization=org, task="category", n_folds=3)
    queue = list(training_example_review_queue(organization=org))
    n_flagged = TrainingExample.objects.filter(noise_flag=True).count()
    assert all(e.noise_flag for e in queue[:n_flagged])
    qualities = [e.label_quality for e in queue[:n_flagged]]
    assert qualities == sorted(qualities)
    rest = [e.label_quality for e in queue[n_flagged:]]
    assert rest == sorted(rest)
    services.training_example_reject(example=queue[0])
    assert queue[0].pk not in {e.pk for e in training_example_review_queue(organization=org)}
    everything = training_example_review_queue(organization=org, include_rejected=True)
    assert everything[0].pk == queue[0].pk


def test_needs_a_classification_task(org):
    with pytest.raises(InvalidInput):
        services.label_noise_detect(organization=org, task="suggestion")
