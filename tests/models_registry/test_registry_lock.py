"""Issue 14 item 3: registry writes lock one organization's task, not the organization, and a
deploy costs the same whatever the number of versions."""

import threading

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from models_registry import services
from models_registry.models import ModelVersion
from models_registry.services.versions import registry_lock
from tests.models_registry.support import register


def holds_lock_elsewhere(org, task: str, *, while_held) -> bool:
    """Hold the registry lock of (org, task) in another thread's transaction and report
    whether `while_held` could take its own lock without waiting."""
    held, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                registry_lock(org, task)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            try:
                while_held()
                return True
            except Exception as error:  # the lock timeout
                if "lock timeout" not in str(error):
                    raise
                return False
    finally:
        release.set()
        thread.join()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_registry_lock_is_per_organization_and_task(org, other_org):
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks need PostgreSQL")
    assert holds_lock_elsewhere(org, "category", while_held=lambda: registry_lock(org, "priority"))
    assert holds_lock_elsewhere(
        org, "category", while_held=lambda: registry_lock(other_org, "category")
    )
    assert not holds_lock_elsewhere(
        org, "category", while_held=lambda: registry_lock(org, "category")
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_registration_of_one_task_does_not_wait_for_a_deploy_of_another(org):
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks need PostgreSQL")
    assert holds_lock_elsewhere(
        org,
        "category",
        while_held=lambda: services.model_version_register(organization=org, task="priority"),
    )
    assert ModelVersion.objects.filter(organization=org, task="priority").count() == 1


def deploy_cost(org, version) -> tuple[int, int]:
    """(queries, ModelVersion rows loaded) of one full deploy."""
    loaded = []

    def count(sender, instance, **kwargs):
        loaded.append(instance)

    version = ModelVersion.objects.get(pk=version.pk)
    post_init.connect(count, sender=ModelVersion)
    try:
        with CaptureQueriesContext(connection) as queries:
            services.model_version_deploy(model_version=version)
    finally:
        post_init.disconnect(count, sender=ModelVersion)
    return len(queries.captured_queries), len(loaded)


def test_a_deploy_reads_the_same_with_ten_or_forty_versions(org):
    counts = {}
    for i in range(40):
        counts[i + 1] = deploy_cost(org, register(org, f"1.{i}.0"))
    assert counts[40] == counts[10]
    statuses = dict(ModelVersion.objects.filter(organization=org).values_list("minor", "status"))
    assert statuses[39] == "active" and all(statuses[m] == "deprecated" for m in range(39))


def test_an_ab_test_against_a_stable_version_that_changed_meanwhile_is_refused(org):
    from aiops.exceptions import Conflict

    v1, v2, v3 = register(org, "1.0.0"), register(org, "1.1.0"), register(org, "1.2.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v3)  # lands between the read and the start
    with pytest.raises(Conflict, match="changed meanwhile"):
        services.ab_test_start(version_a=v1, version_b=v2, a_is_stable=True)
    assert services.ab_test_start(version_a=v3, version_b=v2, a_is_stable=True).version_a == v3
