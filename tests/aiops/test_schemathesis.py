"""Property-based tests of every operation in /api/schema/ (schemathesis): generated requests,
valid and invalid, against the WSGI app with a trained demo helpdesk and an admin token. No
response may be a server error, and every response must match the schema it documents.

One demo organization is loaded per module in a transaction rolled back at the end; each
request runs in a savepoint rolled back after it, so every request sees the same data and the
order the operations run in does not matter. Half of the generated ids of detail routes are
swapped for ids of real rows, so the 200 answers are checked too, not only the 404s."""

import contextlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.urls import resolve
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from aiops.models import Organization, Ticket
from aiops.services.tenancy import api_token_issue
from models_registry import selectors as registry_selectors
from models_registry import services as registry
from tests.demo import trained_demo_load
from tests.factories import MembershipFactory, OrganizationFactory

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, response_schema_conformance]
# Status codes answered per operation, for the check that the run reached real rows.
STATUSES: dict[str, Counter] = defaultdict(Counter)

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@contextlib.contextmanager
def _connections_kept_across_requests():
    """As Django's test client does around each request: the request must not close the
    connection that holds the test's transaction (on PostgreSQL close_old_connections would,
    seeing autocommit off); schemathesis calls the WSGI app directly."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


def _records(organization: Organization, key: str, classifiers: dict) -> None:
    """A few of every kind of row the API serves: operations with feedback, an external
    version with a reported inference, an A/B test."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    for ticket in Ticket.objects.filter(organization=organization).order_by("pk")[:4]:
        for kind, operation_type in (
            ("classify", "classification"),
            ("suggest", "suggestion"),
            ("sentiment", "sentiment"),
        ):
            made = client.post(f"/api/ai/{kind}", {"ticketId": ticket.pk}, format="json")
            assert made.status_code == 201, made.content
            feedback = client.post(
                "/api/ai/feedback",
                {
                    "operationType": operation_type,
                    "operationId": made.json()["operationId"],
                    "feedback": "positive",
                },
                format="json",
            )
            assert feedback.status_code == 201, feedback.content
    external = registry.model_version_register(
        organization=organization, task="category", provider="openai", external_model_id="gpt"
    )
    registry.inference_log_report(organization=organization, model_version=external, latency_ms=9)
    active = registry_selectors.model_version_active_list(organization=organization).get(
        task="category"
    )
    model, metrics = classifiers["category"]
    candidate = registry.model_version_register(
        organization=organization,
        task="category",
        model=model,
        labels=active.model_version.labels,
        metrics=metrics,
    )
    registry.ab_test_start(version_a=active.model_version, version_b=candidate)


@dataclass
class DemoApi:
    organization: Organization
    headers: dict[str, str]
    artifacts: object
    _ids: dict = field(default_factory=dict)

    def ids(self, path: str) -> list[int]:
        """The ids of the rows the detail route `path` (…/{id}) serves to this organization."""
        if path not in self._ids:
            view = resolve(path.replace("{id}", "1")).func.cls()
            rows = view.scoped_queryset(self.organization).order_by("pk")
            self._ids[path] = list(rows.values_list("pk", flat=True)[:20])
        return self._ids[path]


@pytest.fixture(scope="module")
def demo_api(django_db_setup, django_db_blocker, demo_classifiers, tmp_path_factory):
    artifacts = tmp_path_factory.mktemp("artifacts")
    with (
        django_db_blocker.unblock(),
        override_settings(ARTIFACT_ROOT=artifacts),
        transaction.atomic(),
    ):
        organization = trained_demo_load(
            organization=OrganizationFactory(slug="acme"), classifiers=demo_classifiers
        )
        membership = MembershipFactory(organization=organization, role="admin")
        _, key = api_token_issue(membership=membership)
        _records(organization, key, demo_classifiers)
        yield DemoApi(organization, {"Authorization": f"Bearer {key}"}, artifacts)
        transaction.set_rollback(True)


@pytest.fixture
def api(demo_api, settings, db):
    settings.ARTIFACT_ROOT = demo_api.artifacts  # _isolated_state pointed it at tmp_path
    return demo_api


def _real_id(case, api: DemoApi) -> None:
    generated = (case.path_parameters or {}).get("id")
    if isinstance(generated, int) and not isinstance(generated, bool) and generated % 2 == 0:
        ids = api.ids(case.operation.path)
        if ids:
            case.path_parameters["id"] = ids[generated // 2 % len(ids)]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, api):
    _real_id(case, api)
    with transaction.atomic(), _connections_kept_across_requests():
        response = case.call(headers=api.headers)
        transaction.set_rollback(True)
    STATUSES[case.operation.label][response.status_code] += 1
    case.validate_response(response, checks=CHECKS)


def test_every_read_answered_with_data():
    """The property run above reached real rows: each GET (detail routes included, through
    the swapped ids) answered 200 at least once, so its 200 schema was checked."""
    if not STATUSES:
        pytest.skip("the schemathesis cases did not run")
    reads = {label: codes for label, codes in STATUSES.items() if label.startswith("GET ")}
    assert [label for label, codes in reads.items() if not codes[200]] == []
