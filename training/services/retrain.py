"""Retrain policies and the periodic retrain check (with its cache lock)."""

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from aiops.exceptions import Conflict, InvalidInput
from aiops.models import Organization
from models_registry.choices import CLASSIFIER_TASKS
from training import estimators
from training.choices import CandidateAction, LabelNoiseAction, RunTrigger
from training.models import RetrainPolicy, TrainingRun
from training.selectors import retrain_facts, retrain_facts_all, retrain_policy_get
from training.services.runs import training_run_create
from training.triggers import RetrainReason, should_retrain

logger = logging.getLogger(__name__)


POLICY_FIELDS = (
    "enabled",
    "accuracy_threshold",
    "accuracy_window_hours",
    "accuracy_min_samples",
    "min_new_examples",
    "interval_hours",
    "estimator",
    "on_better_candidate",
    "candidate_percentage",
    "min_improvement",
    "label_noise_action",
)


_POLICY_CHECKS = {
    "accuracy_threshold": lambda v: 0 <= v <= 1,
    "min_improvement": lambda v: -1 <= v <= 1,
    "candidate_percentage": lambda v: 0 < v < 100,
    "accuracy_window_hours": lambda v: v >= 1,
    "interval_hours": lambda v: v >= 1,
    "min_new_examples": lambda v: v >= 1,
    "accuracy_min_samples": lambda v: v >= 1,
    "estimator": lambda v: v in estimators.PROFILES,
    "on_better_candidate": lambda v: v in CandidateAction.values,
    "label_noise_action": lambda v: v in LabelNoiseAction.values,
    "enabled": lambda v: isinstance(v, bool),
}


def retrain_policy_errors(changes: dict) -> dict[str, list[str]]:
    """Field errors of a policy change (empty when valid); the admin form shows them too."""
    errors = {name: ["Unknown field."] for name in sorted(set(changes) - set(POLICY_FIELDS))}
    for name, value in changes.items():
        if name not in _POLICY_CHECKS:
            continue
        try:
            ok = _POLICY_CHECKS[name](value)
        except TypeError:
            ok = False
        if not ok:
            errors[name] = ["Out of range or not one of the choices."]
    missing = "estimator" not in errors and estimators.profile_unavailable(changes.get("estimator"))
    if missing:
        errors["estimator"] = [missing]
    return errors


@transaction.atomic
def retrain_policy_update(
    *, organization: Organization, task: str, actor=None, **changes
) -> RetrainPolicy:
    """Create or change the retrain policy of an org's task (unknown fields are refused)."""
    if task not in CLASSIFIER_TASKS:
        raise InvalidInput(
            f"Retrain policies are for classification tasks, not {task}.",
            fields={"task": list(CLASSIFIER_TASKS)},
        )
    errors = retrain_policy_errors(changes)
    if errors:
        raise InvalidInput("Invalid retrain policy.", fields=errors)
    policy, _ = RetrainPolicy.objects.select_for_update().get_or_create(
        organization=organization, task=task
    )
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.updated_by = actor
    policy.save()
    return policy


@dataclass
class RetrainDecision:
    organization_id: int
    task: str
    reasons: list[RetrainReason]
    run: TrainingRun | None = None
    skipped: str = ""

    def as_dict(self) -> dict:
        return {
            "task": self.task,
            "reasons": [r.as_dict() for r in self.reasons],
            "run_id": self.run.pk if self.run else None,
            "skipped": self.skipped,
        }


@dataclass
class RetrainCheck:
    locked: bool  # False: another check held the lock, nothing was done
    decisions: list[RetrainDecision] = field(default_factory=list)

    @property
    def runs(self) -> list[TrainingRun]:
        return [d.run for d in self.decisions if d.run is not None]


RETRAIN_LOCK_KEY = "training:retrain-check"
RETRAIN_LOCK_SECONDS = 240  # below the 5-minute beat period; a crashed holder frees it


@contextmanager
def cache_lock(key: str, *, timeout: int):
    """A lock through the cache: across processes and machines with Redis (REDIS_URL, which
    production requires; `cache.add` is SET NX there). The embedded default has a
    per-process cache, which is enough for its single worker with embedded beat; the
    partial unique constraint on active runs guards against duplicates in any case.
    Yields whether it was acquired; releases only a lock it still holds."""
    token = uuid.uuid4().hex
    acquired = cache.add(key, token, timeout)
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == token:
            cache.delete(key)


def _queue_retrain(
    *,
    organization_id: int,
    task: str,
    policy: RetrainPolicy,
    reasons,
    enqueue: bool,
    actor=None,
    force: bool = False,
) -> RetrainDecision:
    decision = RetrainDecision(organization_id=organization_id, task=task, reasons=reasons)
    try:
        decision.run = training_run_create(
            organization=Organization(pk=organization_id),
            task=task,
            trigger=reasons[0].trigger if reasons else RunTrigger.MANUAL,
            params={
                "estimator": policy.estimator,
                "reasons": [r.as_dict() for r in reasons],
            },
            actor=actor,
            enqueue=enqueue,
            force=force,
        )
    except (Conflict, InvalidInput) as exc:  # busy, or e.g. the policy's estimator is missing
        decision.skipped = exc.message
    return decision


def retrain_check(*, now: datetime | None = None, enqueue: bool = True) -> RetrainCheck:
    """The beat's check over every organization: queue one run per org and task whose policy
    has a reason to retrain. Two beats or workers never overlap (a cache lock), and a pair
    with a run already queued or running is skipped (a database constraint, too)."""
    now = now or timezone.now()
    with cache_lock(RETRAIN_LOCK_KEY, timeout=RETRAIN_LOCK_SECONDS) as acquired:
        if not acquired:
            logger.info("retrain check skipped: another one holds the lock")
            return RetrainCheck(locked=False)
        result = RetrainCheck(locked=True)
        for (organization_id, task), (policy, facts) in retrain_facts_all(now=now).items():
            reasons = should_retrain(policy=policy, facts=facts, now=now)
            if not reasons:
                continue
            if facts.busy:
                result.decisions.append(
                    RetrainDecision(organization_id, task, reasons, skipped="busy")
                )
                continue
            result.decisions.append(
                _queue_retrain(
                    organization_id=organization_id,
                    task=task,
                    policy=policy,
                    reasons=reasons,
                    enqueue=enqueue,
                )
            )
        return result


def retrain_check_organization(
    *,
    organization: Organization,
    tasks: list[str] | None = None,
    force: bool = False,
    actor=None,
    now: datetime | None = None,
    enqueue: bool = True,
) -> list[RetrainDecision]:
    """The check for one organization (the API's `check`): every reason per task, and a run
    queued where one holds and the policy is enabled; with `force`, also where the policy is
    disabled or no reason holds (a manual run), and it trains even on the snapshot and
    parameters of the active version."""
    now = now or timezone.now()
    decisions = []
    for task in tasks or list(CLASSIFIER_TASKS):
        if task not in CLASSIFIER_TASKS:
            raise InvalidInput(
                f"The retrain check covers classification tasks, not {task}.",
                fields={"task": list(CLASSIFIER_TASKS)},
            )
        policy = retrain_policy_get(organization=organization, task=task)
        facts = retrain_facts(organization=organization, task=task, policy=policy, now=now)
        reasons = should_retrain(policy=policy, facts=facts, now=now)
        if force or (reasons and policy.enabled):
            decisions.append(
                _queue_retrain(
                    organization_id=organization.pk,
                    task=task,
                    policy=policy,
                    reasons=reasons,
                    enqueue=enqueue,
                    actor=actor,
                    force=force,
                )
            )
        else:
            skipped = "" if not reasons else "policy disabled"
            decisions.append(RetrainDecision(organization.pk, task, reasons, skipped=skipped))
    return decisions
