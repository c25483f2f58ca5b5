"""TrainingRun: progress and snapshot, reproducibility, the failure path, candidate actions."""

import numpy as np
import pytest

from aiops.exceptions import Conflict, InvalidInput
from models_registry.models import ModelVersion
from tests.factories import categories
from training import estimators, services
from training.importers import ParsedRow
from training.models import TrainingExample, TrainingRun
from training.services import runs as run_services

pytestmark = pytest.mark.django_db

TOPICS = {
    "card": ["card", "arrive", "delivery", "post", "mail", "waiting", "courier"],
    "refund": ["refund", "money", "back", "return", "merchant", "reimburse", "charge"],
    "pin": ["pin", "code", "forgot", "reset", "blocked", "digits", "unlock"],
}
FILLER = ["please", "my", "the", "is", "why", "how", "i", "can", "help", "still"]


def _load(org, n_per_class=20, seed=0, topics=TOPICS):
    rng = np.random.default_rng(seed)
    rows = []
    for label, words in topics.items():
        for _ in range(n_per_class):
            picked = list(rng.choice(words, 3)) + list(rng.choice(FILLER, 3))
            rng.shuffle(picked)
            rows.append(ParsedRow(line=len(rows) + 1, text=" ".join(picked), label=label))
    categories(org, *topics)
    services.examples_import(organization=org, task="category", rows=rows, approve=True)


def _train(org, **params):
    run = services.training_run_create(
        organization=org, task="category", params=params or None, enqueue=False
    )
    return services.training_run_execute(run_id=run.pk)


def test_a_run_records_snapshot_metrics_and_progress(org):
    _load(org)
    run = _train(org)
    assert run.status == "succeeded" and run.progress == 1.0
    ids = list(
        TrainingExample.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True)
    )
    assert run.example_ids == ids and len(run.dataset_hash) == 64
    assert run.model_version.dataset_hash == run.dataset_hash
    metrics = run.metrics
    for key in ("accuracy", "f1_macro", "f1_weighted", "precision_macro", "recall_weighted"):
        assert 0 <= metrics[key] <= 1
    assert set(metrics["per_class"]) == set(TOPICS)
    assert metrics["confusion_matrix"]["labels"] == sorted(TOPICS)
    assert 0 <= metrics["ece"] <= 1
    assert run.duration_s > 0 and run.finished_at >= run.started_at


def test_same_snapshot_and_seed_give_the_same_metrics(org):
    _load(org)
    first = _train(org, random_state=3)
    # the data moves on: a relabel and more examples; the reproduction uses the snapshot
    _load(org, n_per_class=5, seed=9)
    again = services.training_run_reproduce(run=first, enqueue=False)
    again = services.training_run_execute(run_id=again.pk)
    assert again.status == "succeeded", again.error
    assert again.example_ids == first.example_ids
    assert again.dataset_hash == first.dataset_hash
    assert again.metrics == first.metrics
    assert again.params["reproduces_run"] == first.pk and again.params["random_state"] == 3
    current = _train(org, random_state=3)
    assert current.dataset_hash != first.dataset_hash  # the current data differ


def test_a_changed_snapshot_cannot_be_reproduced(org):
    _load(org)
    first = _train(org)
    example = TrainingExample.objects.get(pk=first.example_ids[0])
    other = "refund" if example.expected_output == "pin" else "pin"
    services.training_example_relabel(example=example, label=other)
    run = services.training_run_reproduce(run=first, enqueue=False)
    run = services.training_run_execute(run_id=run.pk)
    assert run.status == "failed" and "cannot be reproduced" in run.error


def test_reproduce_needs_a_snapshot(org):
    run = TrainingRun.objects.create(organization=org, task="category", status="failed")
    with pytest.raises(InvalidInput):
        services.training_run_reproduce(run=run)


class _Exploding:
    def fit(self, texts, labels):
        raise RuntimeError("the estimator exploded")


def test_a_training_that_raises_fails_the_run_and_registers_nothing(org, monkeypatch):
    _load(org)
    monkeypatch.setattr(estimators, "build_estimator", lambda *a, **kw: _Exploding())
    run = _train(org)
    assert run.status == "failed"
    assert run.error == "RuntimeError: the estimator exploded"
    assert run.model_version is None and run.finished_at is not None
    assert len(run.example_ids) == 60 and run.dataset_hash  # the snapshot is kept
    assert not ModelVersion.objects.exists()
    # the org may train again: a failed run does not hold the slot
    monkeypatch.undo()
    assert _train(org).status == "succeeded"


def test_a_failure_after_registering_rolls_the_version_back(org, monkeypatch):
    _load(org)

    def refuse(**kwargs):
        raise RuntimeError("deploy refused")

    monkeypatch.setattr(run_services, "model_version_deploy", refuse)
    run = _train(org)
    assert run.status == "failed" and "deploy refused" in run.error
    assert not ModelVersion.objects.exists()


def test_too_little_data_fails_with_a_clear_error(org):
    run = _train(org)
    assert run.status == "failed" and "at least 10 approved examples" in run.error


def test_an_identical_retrain_registers_nothing_unless_forced(org):
    _load(org)
    first = _train(org)
    assert first.model_version.version == "v1.0.0" and first.unchanged is False
    for _ in range(2):
        same = _train(org)
        assert (same.status, same.unchanged, same.model_version) == ("succeeded", True, None)
        assert same.comparison["same_as_version"] == "v1.0.0"
        assert "nothing was fit or registered" in same.comparison["reason"]
        assert same.fit_example_ids == [] and same.label_noise == {}  # fitted nothing
        assert same.dataset_hash == first.dataset_hash
    assert ModelVersion.objects.count() == 1
    forced = _train(org, force=True)
    assert forced.model_version.version == "v1.1.0" and forced.unchanged is False
    assert forced.model_version.dataset_hash == first.dataset_hash
    # the latest version (not deployed) counts too: no v1.2.0 of the same data
    assert _train(org).comparison["same_as_version"] in ("v1.0.0", "v1.1.0")
    # other parameters are another training
    assert _train(org, random_state=1).model_version.version == "v1.2.0"
    # one changed example is new data
    example = TrainingExample.objects.get(pk=first.example_ids[0])
    services.training_example_relabel(example=example, label="pin")
    changed = _train(org)
    assert changed.model_version.version == "v1.3.0" and changed.unchanged is False


def test_the_trigger_reasons_do_not_make_a_run_different(org):
    _load(org)
    _train(org)
    run = services.training_run_create(
        organization=org,
        task="category",
        trigger="schedule",
        params={"reasons": [{"trigger": "schedule"}]},
        enqueue=False,
    )
    assert services.training_run_execute(run_id=run.pk).unchanged is True


def test_a_new_label_set_is_a_major_bump(org):
    _load(org)
    assert _train(org).model_version.version == "v1.0.0"
    _load(org, topics={"loan": ["loan", "rate", "borrow", "interest", "repay", "term", "apr"]})
    assert _train(org).model_version.version == "v2.0.0"


def _evaluation_ids(org, share=0.2):
    from training.evaluation import evaluation_bucket

    return {
        pk
        for pk, digest in TrainingExample.objects.filter(organization=org).values_list(
            "pk", "content_hash"
        )
        if evaluation_bucket(digest) < share
    }


def test_no_version_fits_on_the_evaluation_split(org):
    _load(org, n_per_class=40)
    run = _train(org)
    evaluation = _evaluation_ids(org)
    assert 0 < len(evaluation) < len(run.example_ids)
    assert set(run.fit_example_ids) == set(run.example_ids) - evaluation  # no refit on all
    assert run.metrics["n"] == len(evaluation)
    # the split stays put as the data grow: the old examples keep their side
    _load(org, n_per_class=20, seed=5)
    later = _train(org)
    assert set(later.fit_example_ids) == set(later.example_ids) - _evaluation_ids(org)
    assert evaluation <= _evaluation_ids(org) and not evaluation & set(later.fit_example_ids)


def test_a_retrain_on_new_data_is_compared_on_examples_neither_version_fit(org):
    _load(org, n_per_class=40)
    first = _train(org)
    _load(org, n_per_class=20, seed=5)  # new examples
    second = _train(org)
    comparison = second.comparison
    assert comparison["comparable"] is True and comparison["active_version"] == "v1.0.0"
    evaluation = _evaluation_ids(org)
    assert comparison["holdout_size"] == len(evaluation) == second.metrics["n"]
    assert comparison["holdout_seen_by_active"] == 0
    assert not evaluation & set(first.fit_example_ids)
    assert 0 <= comparison["active_ece"] <= 1 and 0 <= comparison["candidate_accuracy"] <= 1
    assert comparison["candidate_action"]["status"] == "none"


def test_a_version_fit_on_everything_is_compared_only_on_what_it_never_saw(org):
    _load(org, n_per_class=40)
    first = _train(org)
    # as the migration records the runs from before the split: they fit their whole snapshot
    TrainingRun.objects.filter(pk=first.pk).update(fit_example_ids=first.example_ids)
    assert _train(org, force=True).comparison["comparable"] is False
    _load(org, n_per_class=20, seed=5)
    comparison = _train(org).comparison
    evaluation = _evaluation_ids(org)
    assert comparison["holdout_seen_by_active"] == len(evaluation & set(first.example_ids))
    assert comparison["holdout_size"] == len(evaluation - set(first.example_ids)) > 0
    assert comparison["comparable"] is True


def test_a_version_with_no_training_run_is_not_comparable(org):
    _load(org, n_per_class=40)
    first = _train(org)
    TrainingRun.objects.filter(pk=first.pk).update(model_version=None)
    _load(org, n_per_class=20, seed=5)
    comparison = _train(org).comparison
    assert comparison["comparable"] is False and "no training run" in comparison["reason"]


def test_a_label_with_no_fit_example_moves_its_evaluation_examples_into_the_fit(org):
    _load(org)
    evaluation = _evaluation_ids(org)
    held = TrainingExample.objects.filter(pk__in=evaluation).order_by("pk").first()
    categories(org, "rare")
    services.training_example_relabel(example=held, label="rare")  # its only example
    run = _train(org)
    assert held.pk in run.fit_example_ids and "rare" in run.model_version.labels
    assert run.metrics["n"] == len(evaluation) - 1


def test_policy_leaves_a_candidate_that_is_not_better_alone(org):
    _load(org)
    _train(org)
    services.retrain_policy_update(
        organization=org, task="category", on_better_candidate="canary", min_improvement=0.5
    )
    _load(org, n_per_class=5, seed=9)
    action = _train(org).comparison["candidate_action"]
    assert action["status"] == "not_better" and action["policy"] == "canary"


@pytest.mark.parametrize("policy", ["canary", "ab_test"])
def test_policy_starts_a_canary_or_ab_test_for_a_better_candidate(org, monkeypatch, policy):
    from models_registry import services as registry

    _load(org)
    _train(org)
    services.retrain_policy_update(
        organization=org, task="category", on_better_candidate=policy, candidate_percentage=25
    )
    calls = []

    class Started:
        pk = 99

    def deploy(*, model_version, strategy="full", percentage=None, actor=None, reason=""):
        calls.append(("canary", model_version.version, strategy, percentage))

    def ab_test_start(*, version_a, version_b, split_percentage, actor=None, reason=""):
        calls.append(("ab", version_a.version, version_b.version, split_percentage))
        return Started()

    monkeypatch.setattr(registry, "model_version_deploy", deploy)
    monkeypatch.setattr(registry, "ab_test_start", ab_test_start, raising=False)
    monkeypatch.setattr(
        run_services,
        "candidate_compare",
        lambda **kw: {"active_version": "v1.0.0", "comparable": True, "accuracy_delta": 0.02},
    )
    action = _train(org, force=True).comparison["candidate_action"]
    if policy == "canary":
        assert calls == [("canary", "v1.1.0", "canary", 25)]
        assert action["status"] == "canary"
    else:
        assert calls == [("ab", "v1.0.0", "v1.1.0", 25)]
        assert action == {
            "policy": "ab_test",
            "accuracy_delta": 0.02,
            "status": "ab_test",
            "ab_test_id": 99,
        }


def test_a_refused_candidate_action_is_recorded_not_fatal(org, monkeypatch):
    from models_registry import services as registry

    _load(org)
    _train(org)
    services.retrain_policy_update(organization=org, task="category", on_better_candidate="ab_test")

    def busy(**kwargs):
        raise Conflict("An A/B test is already running")

    monkeypatch.setattr(registry, "ab_test_start", busy, raising=False)
    monkeypatch.setattr(
        run_services,
        "candidate_compare",
        lambda **kw: {"comparable": True, "accuracy_delta": 0.1},
    )
    run = _train(org, force=True)
    assert run.status == "succeeded"
    assert run.comparison["candidate_action"]["status"] == "refused"
    assert "already running" in run.comparison["candidate_action"]["error"]
