from unittest import mock

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_unknown_url_is_json_404(agent_client):
    response = agent_client.get("/api/nowhere")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_wrong_method_is_json_405(agent_client):
    response = agent_client.get("/api/ai/classify")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_validation_error_has_camelcase_field_messages(agent_client):
    response = agent_client.post("/api/ai/classify", {"ticketId": "abc"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert "ticketId" in body["fields"]


def test_malformed_json_is_400(agent_client):
    response = agent_client.post("/api/ai/classify", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"


def test_classify_without_model_is_409(agent_client):
    response = agent_client.post("/api/ai/classify", {"subject": "Hello"}, format="json")
    assert response.status_code == 409
    assert "train" in response.json()["message"]


def test_409_without_model_names_the_task_value_not_its_enum(agent_client):
    response = agent_client.post("/api/ai/classify", {"subject": "Hello"}, format="json")
    assert response.status_code == 409
    message = response.json()["message"]
    assert "task category" in message and "Task." not in message


def test_unexpected_error_is_json_500(agent_client):
    client = APIClient(raise_request_exception=False)
    client.credentials(**agent_client._credentials)
    with mock.patch("aiops.services.operations.inference_serve", side_effect=RuntimeError("x")):
        response = client.post("/api/ai/classify", {"subject": "Hello"}, format="json")
    assert response.status_code == 500
    assert response.json() == {
        "error": "server_error",
        "message": "Internal server error.",
        "fields": {},
    }


def test_schema_and_docs_are_served():
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/ai/classify" in paths
    assert client.get("/api/docs/").status_code == 200
    # The docs page can authorize with a token: every API operation names the Bearer scheme.
    assert schema.json()["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    assert paths["/api/ai/feedback"]["post"]["security"] == [{"bearerToken": []}]
    models = paths["/api/ai/models"]
    assert set(models["post"]["responses"]) == {"200", "201", "4XX"}


def test_disallowed_host_under_api_is_json_400(agent_client):
    response = agent_client.get("/api/tickets", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
