import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from aiops.models import ApiToken
from aiops.selectors import token_hash
from aiops.services.tenancy import api_token_revoke

pytestmark = pytest.mark.django_db


def test_no_header_is_401_with_json(org):
    response = APIClient().get("/api/tickets")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Bearer nope", "Token abc", "Bearer", "Basic dXNlcjpwYXNz"])
def test_bad_credentials_are_401(org, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/tickets")
    assert response.status_code == 401
    assert response.json()["error"] == "authentication_failed"


def test_token_is_stored_hashed_and_works(agent_client):
    token = ApiToken.objects.get(membership=agent_client.membership)
    key = agent_client._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert key not in (token.key_hash, token.prefix)
    assert token.key_hash == token_hash(key)
    assert agent_client.get("/api/tickets").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_is_401(agent_client):
    api_token_revoke(token=ApiToken.objects.get(membership=agent_client.membership))
    assert agent_client.get("/api/tickets").status_code == 401


def test_failed_authentication_is_throttled_but_never_a_valid_token(settings, agent_client):
    settings.AUTH_FAILURE_LIMIT = 3
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    assert [bad.get("/api/tickets").status_code for _ in range(4)] == [401, 401, 401, 429]
    # The same address, with a valid token: someone else's failures are not its own.
    assert agent_client.get("/api/tickets").status_code == 200


@pytest.mark.parametrize(("role", "expected"), [("agent", 403), ("reviewer", 403), ("admin", 400)])
def test_training_needs_admin(make_client, org, role, expected):
    client = make_client(org, role)
    response = client.post("/api/ai/train", {"task": "nonsense"}, format="json")
    assert response.status_code == expected


def test_category_writes_need_admin(make_client, org):
    assert (
        make_client(org, "agent")
        .post("/api/categories", {"name": "Billing"}, format="json")
        .status_code
        == 403
    )
    admin = make_client(org, "admin")
    assert admin.post("/api/categories", {"name": "Billing"}, format="json").status_code == 201
    duplicate = admin.post("/api/categories", {"name": "Billing"}, format="json")
    assert duplicate.status_code == 409
    assert "name" in duplicate.json()["fields"]


def test_issue_token_creates_what_is_missing_and_prints_token_last(capsys):
    call_command("issue_token", org="newco", user="alice", role="reviewer")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    token = ApiToken.objects.select_related("membership__organization").get(
        key_hash=token_hash(key)
    )
    assert token.membership.organization.slug == "newco"
    assert token.membership.role == "reviewer"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/tickets").status_code == 200
    call_command("issue_token", org="newco", user="alice", role="admin")
    token.membership.refresh_from_db()
    assert token.membership.role == "admin"


def test_issue_token_makes_a_service_token(capsys):
    call_command("issue_token", org="newco", user="helpdesk-backend", role="service")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    token = ApiToken.objects.select_related("membership").get(key_hash=token_hash(key))
    assert token.membership.role == "service"
