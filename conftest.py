"""Shared fixtures: organizations, API clients per role, and a small trained helpdesk."""

import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from aiops.services.tenancy import api_token_issue
from tests.factories import MembershipFactory, OrganizationFactory


@pytest.fixture(autouse=True)
def _isolated_state(settings, tmp_path):
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    cache.clear()
    from models_registry.serving import cache_clear

    cache_clear()
    yield


@pytest.fixture
def org(db):
    return OrganizationFactory(slug="acme")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(slug="globex")


@pytest.fixture
def make_client(db):
    def _make(organization, role: str = "agent") -> APIClient:
        membership = MembershipFactory(organization=organization, role=role)
        _, key = api_token_issue(membership=membership)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        client.membership = membership
        return client

    return _make


@pytest.fixture
def agent_client(make_client, org):
    return make_client(org, "agent")


@pytest.fixture
def admin_client_api(make_client, org):
    return make_client(org, "admin")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(settings.BASE_DIR / "var" / "test-artifacts", ignore_errors=True)


@pytest.fixture
def trained_org(org):
    """`org` with a small generated helpdesk and a deployed model for every task."""
    from aiops.services.demo import demo_helpdesk_load
    from models_registry.choices import Task
    from training.services import training_run_create, training_run_execute

    demo_helpdesk_load(organization=org, seed=3, n_tickets=400)
    for task in Task.values:
        run = training_run_create(organization=org, task=task, enqueue=False)
        run = training_run_execute(run_id=run.pk)
        assert run.status == "succeeded", run.error
    return org
