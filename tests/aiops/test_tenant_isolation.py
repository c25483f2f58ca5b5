"""A token of org B sees nothing of org A: 404 on every object, absent from every list."""

import pytest

from aiops.models import Category, Classification, SentimentAnalysis, Suggestion, Ticket
from models_registry.models import Deployment, InferenceLog, ModelVersion
from training.models import TrainingExample, TrainingRun

pytestmark = pytest.mark.django_db

RESOURCES = {
    "tickets": Ticket,
    "categories": Category,
    "classifications": Classification,
    "suggestions": Suggestion,
    "sentiments": SentimentAnalysis,
    "model-versions": ModelVersion,
    "deployments": Deployment,
    "inference-logs": InferenceLog,
    "training-runs": TrainingRun,
    "training-examples": TrainingExample,
}


@pytest.fixture
def org_a_with_everything(trained_org, make_client):
    client = make_client(trained_org, "agent")
    ticket = Ticket.objects.filter(organization=trained_org).first()
    for endpoint in ("classify", "suggest", "sentiment"):
        assert (
            client.post(f"/api/ai/{endpoint}", {"ticketId": ticket.pk}, format="json").status_code
            == 201
        )
    return trained_org


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_other_org_gets_404_and_empty_lists(
    org_a_with_everything, other_org, make_client, resource
):
    model = RESOURCES[resource]
    owned = model.objects.filter(organization=org_a_with_everything)
    assert owned.exists()
    outsider = make_client(other_org, "admin")
    for obj in owned[:3]:
        response = outsider.get(f"/api/{resource}/{obj.pk}")
        assert response.status_code == 404, resource
        assert response.json()["error"] == "not_found"
    listing = outsider.get(f"/api/{resource}")
    assert listing.status_code == 200
    assert listing.json()["count"] == 0
    insider = make_client(org_a_with_everything, "agent")
    assert insider.get(f"/api/{resource}/{owned.first().pk}").status_code == 200


@pytest.mark.parametrize("endpoint", ["classify", "suggest", "sentiment"])
def test_operations_on_another_orgs_ticket_are_404(
    org_a_with_everything, other_org, make_client, endpoint
):
    ticket = Ticket.objects.filter(organization=org_a_with_everything).first()
    response = make_client(other_org, "admin").post(
        f"/api/ai/{endpoint}", {"ticketId": ticket.pk}, format="json"
    )
    assert response.status_code == 404


def test_ticket_update_of_another_org_is_404(org_a_with_everything, other_org, make_client):
    ticket = Ticket.objects.filter(organization=org_a_with_everything).first()
    response = make_client(other_org, "admin").patch(
        f"/api/tickets/{ticket.pk}", {"status": "closed"}, format="json"
    )
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status != "closed" or ticket.resolved_at is not None


def test_ticket_cannot_use_another_orgs_category(org_a_with_everything, other_org, make_client):
    name = Category.objects.filter(organization=org_a_with_everything).first().name
    response = make_client(other_org, "agent").post(
        "/api/tickets", {"subject": "Hi", "category": name}, format="json"
    )
    assert response.status_code == 400
    assert "category" in response.json()["fields"]


def test_an_object_url_ignores_the_list_filters_but_not_the_organization(
    org, other_org, make_client
):
    mine = Category.objects.create(organization=org, name="Billing")
    theirs = Category.objects.create(organization=other_org, name="Billing")
    client = make_client(org, "agent")
    assert client.get("/api/categories", {"name": "Access"}).json()["results"] == []
    # A list filter on one object's URL filters nothing: it is not the list.
    assert client.get(f"/api/categories/{mine.pk}", {"name": "Access"}).status_code == 200
    assert client.get(f"/api/categories/{theirs.pk}", {"name": "Billing"}).status_code == 404


@pytest.mark.parametrize("lookup", ["abc", "1e3", str(2**63), "-1", "0"])
def test_an_object_url_with_an_id_that_names_nothing_is_a_json_404(org, make_client, lookup):
    Category.objects.create(organization=org, name="Billing")
    for resource in ("categories", "model-versions"):
        response = make_client(org, "agent").get(f"/api/{resource}/{lookup}")
        assert response.status_code == 404, (resource, lookup)
        assert response["Content-Type"] == "application/json"


def test_a_raw_detail_read_is_the_scoped_queryset_filtered_by_organization_only(org):
    """Viewsets that read an object's URL with one raw statement (`detail_model`) must have
    nothing in their queryset beyond the organization: no joins, filters or annotations."""
    from aiops.api.viewsets import TenantViewSetMixin

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    raw = [view for view in subclasses(TenantViewSetMixin) if view.detail_model is not None]
    assert {view.detail_model for view in raw} == {Category, ModelVersion}
    for view in raw:
        scoped = view().scoped_queryset(org).order_by()
        plain = view.detail_model.objects.filter(organization=org).order_by()
        assert str(scoped.query) == str(plain.query), view.__name__
