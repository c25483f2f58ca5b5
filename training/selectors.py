from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from aiops.exceptions import InvalidInput
from models_registry.choices import CLASSIFIER_TASKS, Outcome
from models_registry.models import InferenceLog
from models_registry.selectors import Accuracy, accuracy, accuracy_by, deployment_get_active
from models_registry.serving import ServingError, model_load
from training import exporting
from training.choices import RunStatus, ValidationStatus
from training.models import RetrainPolicy, TrainingExample, TrainingRun
from training.triggers import RetrainFacts, RetrainReason, should_retrain

BUSY_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


def training_run_list(*, organization) -> QuerySet[TrainingRun]:
    return TrainingRun.objects.filter(organization=organization).select_related("model_version")


def training_run_get_busy(*, organization, task: str) -> TrainingRun | None:
    return TrainingRun.objects.filter(
        organization=organization, task=task, status__in=BUSY_STATUSES
    ).first()


def training_example_list(*, organization) -> QuerySet[TrainingExample]:
    return TrainingExample.objects.filter(organization=organization)


def training_example_review_queue(
    *, organization=None, include_rejected: bool = False
) -> QuerySet[TrainingExample]:
    """Examples (not rejected, unless asked or disputed), disputed ones first (votes disagree
    with a trusted label: only a reviewer settles them), then suspected label noise, then by
    ascending label quality (unknown last), then pending before approved, oldest first."""
    queryset = TrainingExample.objects.all()
    if not include_rejected:
        queryset = queryset.exclude(
            Q(validation_status=ValidationStatus.REJECTED) & Q(disputed=False)
        )
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    return queryset.order_by(
        F("disputed").desc(),
        F("noise_flag").desc(),
        F("label_quality").asc(nulls_last=True),
        F("validation_status").desc(),
        "created_at",
        "pk",
    )


def retrain_policy_get(*, organization, task: str) -> RetrainPolicy:
    """The saved policy, or an unsaved one with the defaults."""
    policy = RetrainPolicy.objects.filter(organization=organization, task=task).first()
    return policy or RetrainPolicy(organization=organization, task=task)


def _last_run_at():
    return Subquery(
        TrainingRun.objects.filter(organization=OuterRef("organization"), task=OuterRef("task"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )


def retrain_facts(*, organization, task: str, policy: RetrainPolicy, now: datetime):
    """The facts `should_retrain` needs for one org's task (accuracy through the one
    `accuracy` selector)."""
    runs = TrainingRun.objects.filter(organization=organization, task=task).aggregate(
        last=Max("created_at"), busy=Count("pk", filter=Q(status__in=BUSY_STATUSES))
    )
    approved = TrainingExample.objects.filter(
        organization=organization, task=task, validation_status=ValidationStatus.APPROVED
    )
    since = now - timedelta(hours=policy.accuracy_window_hours)
    logs = InferenceLog.objects.filter(organization=organization, task=task, created_at__gte=since)
    if runs["last"] is not None:
        approved = approved.filter(approved_at__gt=runs["last"])
        logs = logs.filter(created_at__gt=runs["last"])
    judged = accuracy(logs=logs)
    return RetrainFacts(
        last_run_at=runs["last"],
        busy=bool(runs["busy"]),
        new_examples=approved.count(),
        correct=judged.correct,
        incorrect=judged.incorrect,
    )


def retrain_facts_all(
    *, now: datetime
) -> dict[tuple[int, str], tuple[RetrainPolicy, RetrainFacts]]:
    """Policy and facts for every org and classification task worth a look (a saved policy,
    approved examples or judged predictions), in a fixed number of queries whatever the number
    of organizations: policies, runs, new examples, and one accuracy aggregate per distinct
    window length. Disabled policies are left out. Accuracy counts follow the `accuracy`
    selector's definition (judged = correct + incorrect), grouped."""
    policies = {
        (p.organization_id, p.task): p
        for p in RetrainPolicy.objects.filter(task__in=CLASSIFIER_TASKS)
    }
    runs = {
        (r["organization_id"], r["task"]): r
        for r in TrainingRun.objects.filter(task__in=CLASSIFIER_TASKS)
        .values("organization_id", "task")
        .annotate(last=Max("created_at"), busy=Count("pk", filter=Q(status__in=BUSY_STATUSES)))
    }
    new_examples = {
        (r["organization_id"], r["task"]): r["n"]
        for r in TrainingExample.objects.filter(
            task__in=CLASSIFIER_TASKS, validation_status=ValidationStatus.APPROVED
        )
        .alias(last_run_at=_last_run_at())
        .filter(Q(last_run_at__isnull=True) | Q(approved_at__gt=F("last_run_at")))
        .values("organization_id", "task")
        .annotate(n=Count("pk"))
    }
    windows = {p.accuracy_window_hours for p in policies.values()} | {
        RetrainPolicy._meta.get_field("accuracy_window_hours").default
    }
    judged: dict[int, dict[tuple[int, str], Accuracy]] = {}
    for hours in windows:
        logs = (
            InferenceLog.objects.filter(
                task__in=CLASSIFIER_TASKS,
                created_at__gte=now - timedelta(hours=hours),
                outcome__in=[Outcome.CORRECT, Outcome.INCORRECT],
            )
            .alias(last_run_at=_last_run_at())
            .filter(Q(last_run_at__isnull=True) | Q(created_at__gt=F("last_run_at")))
        )
        judged[hours] = accuracy_by(logs=logs, fields=("organization_id", "task"))
    keys = set(policies) | set(new_examples) | {k for by in judged.values() for k in by}
    out = {}
    for key in sorted(keys):
        policy = policies.get(key) or RetrainPolicy(organization_id=key[0], task=key[1])
        if not policy.enabled:
            continue
        run = runs.get(key, {})
        judged_here = judged[policy.accuracy_window_hours].get(key, Accuracy(0, 0))
        correct, incorrect = judged_here.correct, judged_here.incorrect
        out[key] = (
            policy,
            RetrainFacts(
                last_run_at=run.get("last"),
                busy=bool(run.get("busy")),
                new_examples=new_examples.get(key, 0),
                correct=correct,
                incorrect=incorrect,
            ),
        )
    return out


def training_example_export_list(
    *,
    organization,
    task: str | None = None,
    status: str | None = None,
    min_quality: float | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    require_text: bool = False,
) -> QuerySet:
    """Rows for an export, oldest first, as dicts (values() of the exported columns)."""
    queryset = TrainingExample.objects.filter(organization=organization)
    if task:
        queryset = queryset.filter(task=task)
    if status:
        queryset = queryset.filter(validation_status=status)
    if min_quality is not None:
        queryset = queryset.filter(quality_score__gte=min_quality)
    if created_after is not None:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before is not None:
        queryset = queryset.filter(created_at__lt=created_before)
    if require_text:
        queryset = queryset.exclude(input_text__regex=r"^\s*$").exclude(
            expected_output__regex=r"^\s*$"
        )
    return queryset.order_by("created_at", "pk").values(
        "id",
        "task",
        "input_text",
        "expected_output",
        "source",
        "quality_score",
        "validation_status",
        "created_at",
    )


QUALITY_BINS = 10


def training_data_quality(*, organization, task: str) -> dict:
    """Counts by status and source, a quality histogram (10 bins over 0..1, the last one
    closed), per-label counts and the imbalance ratio (largest / smallest label) of the
    approved examples, and how many are flagged as suspected label noise."""
    examples = TrainingExample.objects.filter(organization=organization, task=task)
    edges = [i / QUALITY_BINS for i in range(QUALITY_BINS + 1)]
    bins = {
        f"b{i}": Count(
            "pk",
            filter=Q(quality_score__gte=edges[i])
            & (
                Q(quality_score__lte=edges[i + 1])
                if i == QUALITY_BINS - 1
                else Q(quality_score__lt=edges[i + 1])
            ),
        )
        for i in range(QUALITY_BINS)
    }
    totals = examples.aggregate(
        total=Count("pk"), noise_flagged=Count("pk", filter=Q(noise_flag=True)), **bins
    )
    by_status = dict(examples.order_by().values_list("validation_status").annotate(n=Count("pk")))
    by_source = dict(examples.order_by().values_list("source").annotate(n=Count("pk")))
    labels = dict(
        examples.filter(validation_status=ValidationStatus.APPROVED)
        .order_by()
        .values_list("expected_output")
        .annotate(n=Count("pk"))
    )
    counts = sorted(labels.values())
    return {
        "task": task,
        "total": totals["total"],
        "by_status": {s: by_status.get(s, 0) for s in ValidationStatus.values},
        "by_source": by_source,
        "quality_histogram": [
            {"from": edges[i], "to": edges[i + 1], "count": totals[f"b{i}"]}
            for i in range(QUALITY_BINS)
        ],
        "label_counts": dict(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "imbalance_ratio": round(counts[-1] / counts[0], 4) if counts else None,
        "noise_flagged": totals["noise_flagged"],
    }


def training_metrics(*, organization) -> dict:
    """Per task: runs by status, and the latest successful run's holdout metrics summary."""
    by_status = defaultdict(dict)
    for task, status, n in (
        TrainingRun.objects.filter(organization=organization)
        .order_by()
        .values_list("task", "status")
        .annotate(n=Count("pk"))
    ):
        by_status[task][status] = n
    latest = {}
    for run in (
        TrainingRun.objects.filter(organization=organization, status=RunStatus.SUCCEEDED)
        .order_by("task", "-finished_at", "-pk")
        .select_related("model_version")
    ):
        latest.setdefault(run.task, run)
    keys = ("accuracy", "f1_macro", "f1_weighted", "precision_macro", "recall_macro", "ece", "n")
    return {
        task: {
            "runs": by_status.get(task, {}),
            "latest": None
            if task not in latest
            else {
                "run_id": latest[task].pk,
                "model_version": getattr(latest[task].model_version, "version", None),
                "finished_at": latest[task].finished_at,
                "duration_s": latest[task].duration_s,
                "metrics": {k: latest[task].metrics.get(k) for k in keys},
                "comparison": latest[task].comparison,
            },
        }
        for task in sorted(set(by_status) | set(latest))
    }


@dataclass(frozen=True)
class Export:
    chunks: Iterator[str]
    content_type: str
    suffix: str


def training_export(
    *,
    organization,
    fmt: str,
    status: str | None = None,
    system: str | None = None,
    limit: int | None = None,
    **filters,
) -> Export:
    """A streamed export in `fmt` (json, csv, openai) of the approved examples unless
    `status` says otherwise ("all": every status), the first `limit` of them (oldest first)
    when given. Suggestion replies have their personal data replaced. OpenAI exports cover
    one task (or take an explicit system prompt) and need enough examples."""
    status = status or ValidationStatus.APPROVED
    selected = training_example_export_list(
        organization=organization,
        status=None if status == "all" else status,
        require_text=fmt == "openai",
        **filters,
    )
    rows = selected if limit is None else selected[:limit]

    def stream():
        return exporting.redact_suggestions(rows.iterator(chunk_size=1000))

    if fmt == "csv":
        return Export(exporting.csv_chunks(stream()), "text/csv; charset=utf-8", "csv")
    if fmt != "openai":
        return Export(exporting.json_chunks(stream()), "application/json", "json")
    n = rows.count()
    if n < exporting.MIN_OPENAI_EXAMPLES:
        raise InvalidInput(
            f"OpenAI fine-tuning needs at least {exporting.MIN_OPENAI_EXAMPLES} "
            f"examples; these filters select {n}.",
            fields={"format": [f"At least {exporting.MIN_OPENAI_EXAMPLES} examples."]},
        )
    tasks = set(selected.order_by().values_list("task", flat=True).distinct()[:2])
    if len(tasks) > 1 and not system:
        raise InvalidInput(
            "An OpenAI export covers one task: pass `task` (or a `system` prompt).",
            fields={"task": ["Required for an OpenAI export of several tasks."]},
        )
    system = system or exporting.SYSTEM_PROMPTS[tasks.pop()]
    chunks = exporting.openai_chunks(stream(), system=system)
    return Export(chunks, "application/jsonl; charset=utf-8", "jsonl")


# --- The retrain verdict of a policy (the console's RetrainPolicy page) ----------------------


@dataclass(frozen=True)
class RetrainVerdict:
    """Whether the beat check would queue a run for this policy now, and why: the reasons
    `should_retrain` gives on the facts `retrain_facts` gathers (as the checks use them), and
    what would stop the check even so (`blocked`: the policy is off, or a run is busy)."""

    retrain: bool
    reasons: list[RetrainReason]
    facts: RetrainFacts
    blocked: str
    now: datetime

    @property
    def hours_since_last_run(self) -> float | None:
        if self.facts.last_run_at is None:
            return None
        return round((self.now - self.facts.last_run_at).total_seconds() / 3600, 2)


def retrain_policy_verdict(*, policy: RetrainPolicy, now: datetime | None = None) -> RetrainVerdict:
    """Read-only: the retrain check's decision for one policy, without queueing anything."""
    now = now or timezone.now()
    facts = retrain_facts(
        organization=policy.organization, task=policy.task, policy=policy, now=now
    )
    reasons = should_retrain(policy=policy, facts=facts, now=now)
    blocked = ""
    if reasons and not policy.enabled:
        blocked = "The policy is disabled: the periodic check skips it (a manual run still trains)."
    elif reasons and facts.busy:
        blocked = "A run of this task is already queued or running: the check waits for it."
    return RetrainVerdict(
        retrain=bool(reasons) and not blocked,
        reasons=reasons,
        facts=facts,
        blocked=blocked,
        now=now,
    )


def training_examples_awaiting_review(queryset: QuerySet[TrainingExample]) -> QuerySet:
    """The examples of `queryset` a reviewer still has to decide: pending or disputed."""
    return queryset.filter(Q(validation_status=ValidationStatus.PENDING) | Q(disputed=True))


@dataclass(frozen=True)
class PredictionPreview:
    """What the stable deployed version predicts for an example's text (`note` says why
    there is no prediction)."""

    version: str = ""
    label: str = ""
    probabilities: tuple[tuple[str, float], ...] = ()
    note: str = ""


def training_example_prediction(*, example: TrainingExample, top: int = 3) -> PredictionPreview:
    """A read-only preview for reviewers: the stable deployed version's top labels for the
    text. Not an inference: nothing is logged, routed or counted."""
    if example.task not in CLASSIFIER_TASKS:
        return PredictionPreview(note="No label prediction for this task.")
    deployment = deployment_get_active(organization=example.organization, task=example.task)
    if deployment is None:
        return PredictionPreview(note="No deployed model.")
    version = deployment.model_version
    try:
        model = model_load(version=version)
        proba = model.predict_proba([example.input_text])[0]
    except ServingError as error:
        return PredictionPreview(version=version.version, note=f"It cannot serve: {error}")
    except Exception as error:  # noqa: BLE001 - a preview never breaks the review page
        return PredictionPreview(
            version=version.version, note=f"Prediction failed: {type(error).__name__}"
        )
    ranked = sorted(zip(model.classes_, proba, strict=True), key=lambda item: -item[1])[:top]
    probabilities = tuple((str(label), round(float(p), 4)) for label, p in ranked)
    return PredictionPreview(
        version=version.version, label=probabilities[0][0], probabilities=probabilities
    )


@dataclass(frozen=True)
class NearDuplicate:
    pk: int
    text: str
    label: str
    status: str
    similarity: float


NEAR_DUPLICATE_POOL = 5000  # the newest examples of the task compared with the one reviewed


def training_example_near_duplicates(
    *, example: TrainingExample, limit: int = 5, min_similarity: float = 0.1
) -> list[NearDuplicate]:
    """The examples of the same organization and task whose text is most like this one's
    (TF-IDF cosine over word uni- and bigrams, fitted on the pool), most similar first."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    others = list(
        TrainingExample.objects.filter(organization_id=example.organization_id, task=example.task)
        .exclude(pk=example.pk)
        .order_by("-created_at", "-pk")
        .values_list("pk", "input_text", "expected_output", "validation_status")[
            :NEAR_DUPLICATE_POOL
        ]
    )
    if not others:
        return []
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([example.input_text] + [row[1] for row in others])
    except ValueError:  # no word in any text
        return []
    scores = (matrix[1:] @ matrix[0].T).toarray().ravel()
    ranked = sorted(range(len(others)), key=lambda i: -scores[i])[:limit]
    return [
        NearDuplicate(
            pk=others[i][0],
            text=others[i][1],
            label=others[i][2],
            status=others[i][3],
            similarity=round(float(scores[i]), 3),
        )
        for i in ranked
        if scores[i] >= min_similarity
    ]
