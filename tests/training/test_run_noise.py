"""Label-noise detection at the start of every classifier run, acted on per policy."""

import numpy as np
import pytest

from tests.factories import categories
from tests.training.test_noise_service import FILLER, TOPICS
from training import services
from training.importers import ParsedRow
from training.models import TrainingExample

pytestmark = pytest.mark.django_db


def _load_with_flips(org, n_per_class=30) -> list[str]:
    """Clean topics with one planted wrong label per class, each outside the evaluation
    split (so a fit would use it); returns the planted texts."""
    from training.evaluation import evaluation_bucket

    rng = np.random.default_rng(0)
    rows = []
    for label, words in TOPICS.items():
        for _ in range(n_per_class):
            picked = list(rng.choice(words, 3)) + list(rng.choice(FILLER, 3))
            rng.shuffle(picked)
            rows.append(ParsedRow(line=len(rows) + 1, text=" ".join(picked), label=label))
    classes = sorted(TOPICS)
    truth = [row.label for row in rows]
    planted = []
    for label in classes:
        i = next(
            i
            for i, row in enumerate(rows)
            if truth[i] == label and evaluation_bucket(services.content_hash(row.text)) >= 0.2
        )
        wrong = classes[(classes.index(label) + 1) % len(classes)]
        rows[i] = ParsedRow(line=rows[i].line, text=rows[i].text, label=wrong)
        planted.append(rows[i].text)
    categories(org, *classes)
    services.examples_import(organization=org, task="category", rows=rows, approve=True)
    return planted


def _train(org):
    run = services.training_run_create(organization=org, task="category", enqueue=False)
    return services.training_run_execute(run_id=run.pk)


def _ids(org, texts):
    return set(
        TrainingExample.objects.filter(organization=org, input_text__in=texts).values_list(
            "pk", flat=True
        )
    )


def test_flagged_examples_are_left_out_of_the_fit_and_recorded(org):
    planted = _ids(org, _load_with_flips(org))
    run = _train(org)
    assert run.status == "succeeded", run.error
    noise = run.label_noise
    assert noise["action"] == "exclude" and run.params["label_noise_action"] == "exclude"
    assert noise["checked"] == noise["evaluated"] == len(run.example_ids)
    assert planted <= set(noise["flagged_ids"]) and noise["flagged"] == len(noise["flagged_ids"])
    assert planted <= set(noise["excluded_ids"]) and noise["excluded"] >= len(planted)
    assert not planted & set(run.fit_example_ids)
    assert noise["seconds"] > 0 and noise["reviewed_kept_ids"] == []
    # the same detection as the nightly check: the evidence is on the examples too
    flagged = TrainingExample.objects.filter(pk__in=planted)
    assert all(e.noise_flag and e.suggested_label != e.expected_output for e in flagged)


def test_a_reviewers_decision_is_not_overruled_by_suspicion(org):
    planted = _ids(org, _load_with_flips(org))
    kept = min(planted)
    services.training_example_approve(example=TrainingExample.objects.get(pk=kept))
    run = _train(org)
    assert kept in run.label_noise["flagged_ids"] and run.label_noise["reviewed_kept_ids"] == [kept]
    assert kept not in run.label_noise["excluded_ids"] and kept in run.fit_example_ids
    assert planted - {kept} <= set(run.label_noise["excluded_ids"])


def test_report_trains_on_all_and_reports(org):
    planted = _ids(org, _load_with_flips(org))
    services.retrain_policy_update(organization=org, task="category", label_noise_action="report")
    run = _train(org)
    assert run.params["label_noise_action"] == "report"
    assert run.label_noise["action"] == "report" and planted <= set(run.label_noise["flagged_ids"])
    assert run.label_noise["excluded_ids"] == [] and planted <= set(run.fit_example_ids)


def test_the_noise_action_is_a_policy_field_in_the_api(org, make_client):
    admin = make_client(org, "admin")
    response = admin.patch(
        "/api/retrain-policies/category", {"labelNoiseAction": "report"}, format="json"
    )
    assert response.status_code == 200 and response.json()["labelNoiseAction"] == "report"
    bad = admin.patch("/api/retrain-policies/category", {"labelNoiseAction": "x"}, format="json")
    assert bad.status_code == 400 and "labelNoiseAction" in bad.json()["fields"]
    assert (
        make_client(org, "reviewer")
        .get("/api/retrain-policies/category")
        .json()["labelNoiseAction"]
        == "report"
    )
