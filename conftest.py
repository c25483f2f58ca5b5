"""Shared fixtures: organizations, API clients per role, and a small trained helpdesk."""

import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from aiops.services.tenancy import api_token_issue
from tests.demo import trained_demo_load
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


@pytest.fixture(scope="session")
def demo_classifiers():
    """Classifiers for the small demo helpdesk, fitted once per test session: fitting is the
    slow part, and the tests that need deployed models need them, not the fitting."""
    from aiops.demo_data import generate_helpdesk
    from aiops.services.demo import LABELLED_TASKS
    from training.estimators import build_estimator
    from training.evaluation import classification_metrics, holdout_split

    tickets = generate_helpdesk(seed=3, n_tickets=400).tickets
    texts = [f"{t.subject}\n{t.body}".strip() for t in tickets]
    fitted = {}
    for task, field in LABELLED_TASKS.items():
        labels = [getattr(t, field) for t in tickets]
        train, test = holdout_split(labels, random_state=0)
        model = build_estimator("fast").fit([texts[i] for i in train], [labels[i] for i in train])
        metrics = classification_metrics(
            [labels[i] for i in test],
            list(model.predict([texts[i] for i in test])),
            labels=sorted(set(labels)),
        )
        fitted[task] = (model, metrics)
    return fitted


@pytest.fixture
def trained_org(org, demo_classifiers):
    """`org` with a small generated helpdesk (seed 3, 400 tickets) and a deployed v1.0.0 for
    every task: the classifiers come pre-fitted, the reply retriever through a training run."""
    return trained_demo_load(organization=org, classifiers=demo_classifiers)


@pytest.fixture
def make_staff(db):
    """A Django test client logged in to the admin console as a staff user (not a superuser:
    the console scopes them to their organizations) with every model permission and a
    membership of `organization` with `role`; `organization=None`: a superuser."""
    from django.contrib.auth.models import Permission
    from django.test import Client

    from tests.factories import UserFactory

    def _make(organization=None, role: str = "reviewer") -> Client:
        if organization is None:
            user = UserFactory(is_staff=True, is_superuser=True)
        else:
            user = MembershipFactory(organization=organization, role=role).user
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.user_permissions.set(Permission.objects.all())
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return _make


def pytest_terminal_summary(terminalreporter):
    """Say plainly when the browser tests did not run (no chromium on this machine)."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "tests/browser/" in report.nodeid
    ]
    if skipped:
        longrepr = skipped[0].longrepr
        reason = longrepr[2].removeprefix("Skipped: ") if isinstance(longrepr, tuple) else ""
        terminalreporter.write_sep(
            "=", f"{len(skipped)} browser tests SKIPPED: {reason}", yellow=True, bold=True
        )
