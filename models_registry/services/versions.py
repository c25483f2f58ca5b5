"""Model versions: register, the shared lock/event/status helpers, status changes, edits."""

from decimal import Decimal

from django.db import connection, transaction

from aiops.exceptions import Conflict, InvalidInput
from aiops.models import Organization
from aiops.sql import insert, update_by_pk
from models_registry import semver
from models_registry.artifacts import artifact_store
from models_registry.choices import (
    SERVING_STATUSES,
    VERSION_TRANSITIONS,
    DeploymentAction,
    VersionKind,
    VersionStatus,
)
from models_registry.models import ABTest, Deployment, DeploymentEvent, ModelVersion
from models_registry.selectors import model_version_latest_semver, serving_list
from models_registry.serving import ServingError, model_is_cached, model_load
from models_registry.warming import serving_warm

REGISTRY_LOCK_SPACE = 0x52454749  # "REGI": pg_advisory_xact_lock's first key, the registry's


def registry_lock(organization: Organization, task: str) -> None:
    """Serialize the registry writes of one organization's task (version numbering, what
    serves, A/B tests, shadows) until the transaction ends. Writes to other tasks or other
    organizations go on in parallel. On PostgreSQL, a transaction-level advisory lock keyed
    by (organization, task); elsewhere (SQLite serializes writers anyway) the organization row."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                [REGISTRY_LOCK_SPACE, f"{organization.pk}:{task}"],
            )
        return
    Organization.objects.select_for_update().filter(pk=organization.pk).first()


@transaction.atomic
def model_version_register(
    *,
    organization: Organization,
    task: str,
    model=None,
    version: str | None = None,
    bump: str = "minor",
    estimator: str = "",
    labels: list[str] | None = None,
    metrics: dict | None = None,
    params: dict | None = None,
    dataset_hash: str = "",
    actor=None,
    provider: str = "",
    external_model_id: str = "",
    input_price_per_1k: Decimal | float | str = 0,
    output_price_per_1k: Decimal | float | str = 0,
    tags: dict | None = None,
    notes: str = "",
) -> ModelVersion:
    """Register a trained model (stored as a verified artifact) under the next or given semver,
    or, with `provider` and `external_model_id`, an external model priced per 1K tokens."""
    # Concurrent registrations of one task number their versions one at a time.
    registry_lock(organization, task)
    external = bool(provider or external_model_id)
    if external and not (provider and external_model_id):
        raise InvalidInput(
            "An external model needs both a provider and a model id.",
            fields={"provider": ["Required."], "external_model_id": ["Required."]},
        )
    if external and model is not None:
        raise InvalidInput("An external model has no artifact.")
    try:
        prices = [Decimal(str(p)) for p in (input_price_per_1k, output_price_per_1k)]
    except ArithmeticError as error:
        raise InvalidInput("Prices per 1K tokens must be numbers.") from error
    if any(p < 0 for p in prices):
        raise InvalidInput("Prices per 1K tokens cannot be negative.")
    if version is None:
        current = model_version_latest_semver(organization=organization, task=task)
        major, minor, patch = semver.bump(current, part=bump)
    else:
        try:
            major, minor, patch = semver.parse(version)
        except ValueError as error:
            raise InvalidInput(str(error), fields={"version": [str(error)]}) from error
        if ModelVersion.objects.filter(
            organization=organization, task=task, major=major, minor=minor, patch=patch
        ).exists():
            raise Conflict(f"Version {semver.render((major, minor, patch))} of {task} exists.")
    path, sha256 = ("", "")
    if model is not None:
        path, sha256 = artifact_store(obj=model, organization_id=organization.pk, task=task)
    created = ModelVersion.objects.create(
        organization=organization,
        task=task,
        major=major,
        minor=minor,
        patch=patch,
        kind=VersionKind.EXTERNAL if external else VersionKind.TRAINED,
        provider=provider,
        external_model_id=external_model_id,
        input_price_per_1k=prices[0],
        output_price_per_1k=prices[1],
        tags=tags or {},
        notes=notes,
        estimator=estimator,
        artifact_path=path,
        artifact_sha256=sha256,
        labels=labels or [],
        metrics=metrics or {},
        params=params or {},
        dataset_hash=dataset_hash,
        created_by=actor,
    )
    _event(
        organization=organization,
        task=task,
        action=DeploymentAction.REGISTER,
        to_version=created,
        actor=actor,
        details={"kind": created.kind},
    )
    return created


def _event(
    *,
    organization: Organization,
    task: str,
    action: str,
    from_version: ModelVersion | None = None,
    to_version: ModelVersion | None = None,
    deployment: Deployment | None = None,
    ab_test: ABTest | None = None,
    actor=None,
    reason: str = "",
    details: dict | None = None,
) -> DeploymentEvent:
    return insert(
        DeploymentEvent(
            organization=organization,
            task=task,
            action=action,
            from_version=from_version,
            to_version=to_version,
            deployment=deployment,
            ab_test=ab_test,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            reason=reason,
            details=details or {},
        )
    )


def _set_status(version: ModelVersion, status: str, changes: dict | None = None) -> None:
    """Move a version along its lifecycle (no-op if already there); Conflict if not allowed.
    `changes` collects {version: [from, to]} for the audit event of the change."""
    if version.status == status:
        return
    if status not in VERSION_TRANSITIONS[version.status]:
        raise Conflict(
            f"{version.task} {version.version} is {version.status}: it cannot become {status}."
        )
    update_by_pk(ModelVersion, version.pk, status=status)
    if changes is not None:
        changes[version.version] = [version.status, status]
    version.status = status


def _serving_version_ids(organization: Organization, task: str) -> set[int]:
    """Versions with a part in the task's traffic, a displaced stable version included."""
    return {entry.version.pk for entry in serving_list(organization=organization, task=task)}


def _check_deployable(version: ModelVersion) -> None:
    if version.status == VersionStatus.ARCHIVED:
        raise Conflict(f"{version.task} {version.version} is archived and cannot serve.")


def _check_servable(version: ModelVersion) -> None:
    """Conflict unless the version can serve here: load it (which warms this process's
    cache), never from a remembered failure. Call it before taking the organization lock."""
    try:
        model_load(version=version, retry_failed=True)
    except ServingError as error:
        raise Conflict(f"{version.task} {version.version} cannot serve here: {error}.") from error


def _warm_on_commit(organization: Organization, task: str, live: list | None = None) -> None:
    """Once the change commits, load whatever now serves the task and is not loaded yet in
    this process (the deployed version is, by `_check_servable`); other processes load it on
    their next request, outside its latency. `live`: the versions the change left serving
    live, when the caller knows them: if this process holds them all, there is nothing to
    look up (a deploy's common case: three queries fewer)."""

    def warm():
        if live and all(model_is_cached(version=version) for version in live):
            return
        serving_warm(organization_id=organization.pk, task=task)

    transaction.on_commit(warm, robust=True)


@transaction.atomic
def model_version_set_status(
    *, version: ModelVersion, status: str, actor=None, reason: str = ""
) -> ModelVersion:
    """Move a version along its lifecycle by hand (staging, deprecated, archived, ...).
    Serving statuses (active, canary, ab_test, shadow) are set by the services that make a
    version serve: deploy, promote, rollback, A/B tests, shadows."""
    registry_lock(version.organization, version.task)
    version.refresh_from_db(fields=["status"])
    if status in SERVING_STATUSES:
        raise InvalidInput(
            f"A version becomes {status} by serving: deploy it, promote it, start an A/B test "
            "or a shadow deployment."
        )
    if status not in VersionStatus.values:
        raise InvalidInput(f"Unknown status {status!r}.", fields={"status": ["Unknown."]})
    if version.pk in _serving_version_ids(version.organization, version.task):
        raise Conflict(
            f"{version.task} {version.version} is serving traffic: deploy, roll back, or end "
            "its A/B test or shadow deployment first."
        )
    old = version.status
    _set_status(version, status)
    _event(
        organization=version.organization,
        task=version.task,
        action=DeploymentAction.DEPRECATE
        if status == VersionStatus.DEPRECATED
        else DeploymentAction.STATUS,
        from_version=version,
        to_version=version,
        actor=actor,
        reason=reason,
        details={"from_status": old, "to_status": status},
    )
    return version


_NOT_GIVEN = object()
_MAX_PRICE = Decimal(10) ** 4  # the columns' max_digits=10, decimal_places=6


def _price(name: str, value) -> Decimal:
    try:
        price = Decimal(str(value))
    except ArithmeticError:
        price = None
    if price is None or not price.is_finite() or not 0 <= price < _MAX_PRICE:
        raise InvalidInput(
            "Prices per 1K tokens are numbers from 0 to 9999.999999.",
            fields={name: ["A number from 0 to 9999.999999."]},
        )
    exact = price.quantize(Decimal("0.000001"))  # as stored
    if exact != price:
        raise InvalidInput(
            "Prices per 1K tokens have at most 6 decimal places.",
            fields={name: ["At most 6 decimal places."]},
        )
    return exact


@transaction.atomic
def model_version_update(
    *,
    version: ModelVersion,
    actor=None,
    notes=_NOT_GIVEN,
    tags=_NOT_GIVEN,
    input_price_per_1k=_NOT_GIVEN,
    output_price_per_1k=_NOT_GIVEN,
    reason: str = "",
) -> ModelVersion:
    """Change what may change of a version (notes, tags, token prices); its lineage and status
    never change here. Records one audit event with each changed field's old and new value,
    none when nothing changed. Returns the version as stored."""
    changes = {}
    if notes is not _NOT_GIVEN:
        if not isinstance(notes, str):
            raise InvalidInput("Notes are text.", fields={"notes": ["Text."]})
        changes["notes"] = notes
    if tags is not _NOT_GIVEN:
        if not isinstance(tags, dict):
            raise InvalidInput("Tags are a JSON object.", fields={"tags": ["A JSON object."]})
        changes["tags"] = tags
    for name, value in (
        ("input_price_per_1k", input_price_per_1k),
        ("output_price_per_1k", output_price_per_1k),
    ):
        if value is not _NOT_GIVEN:
            changes[name] = _price(name, value)
    current = ModelVersion.objects.select_for_update().get(pk=version.pk)
    diff = {
        name: [old, new] for name, new in changes.items() if (old := getattr(current, name)) != new
    }
    if not diff:
        return current
    for name, (_, new) in diff.items():
        setattr(current, name, new)
    current.save(update_fields=list(diff))
    _event(
        organization=current.organization,
        task=current.task,
        action=DeploymentAction.UPDATE,
        from_version=current,
        to_version=current,
        actor=actor,
        reason=reason,
        details={
            "changes": {
                name: [str(old), str(new)] if isinstance(new, Decimal) else [old, new]
                for name, (old, new) in diff.items()
            }
        },
    )
    return current


def model_version_deprecate(*, version: ModelVersion, actor=None, reason: str = "") -> ModelVersion:
    return model_version_set_status(
        version=version, status=VersionStatus.DEPRECATED, actor=actor, reason=reason
    )
