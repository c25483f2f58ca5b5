"""POST/GET /api/ai/models, POST /api/ai/inference-logs and the registry viewsets."""

import pytest

from models_registry import services
from models_registry.models import ABTest, Deployment, DeploymentEvent, InferenceLog
from tests.models_registry.support import register

pytestmark = pytest.mark.django_db

URL = "/api/ai/models"


def post(client, body):
    return client.post(URL, body, format="json")


@pytest.fixture
def admin(make_client, org):
    return make_client(org, "admin")


@pytest.fixture
def two_versions(org, admin):
    # Registered with a fitted model (the API registers only external ones usefully).
    for version in ("v1.1.0", "1.2.0"):
        register(org, version)
    assert post(admin, {"action": "deploy", "version": "v1.1.0"}).status_code == 201


def test_register_deploy_canary_promote_rollback_through_the_api(org, admin, two_versions):
    response = post(
        admin,
        {"action": "deploy", "version": "v1.2.0", "strategy": "canary", "percentage": 25},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["modelVersion"] == "v1.1.0" and body["candidateVersion"] == "v1.2.0"
    assert body["candidatePercentage"] == 25 and body["strategy"] == "canary"
    promoted = post(admin, {"action": "promote", "reason": "canary clean"})
    assert promoted.status_code == 201 and promoted.json()["modelVersion"] == "v1.2.0"
    rolled = post(admin, {"action": "rollback", "reason": "regression"})
    assert rolled.status_code == 201 and rolled.json()["modelVersion"] == "v1.1.0"
    events = admin.get("/api/deployment-events", {"action": "rollback"}).json()["results"]
    assert len(events) == 1
    assert events[0]["fromVersion"] == "v1.2.0" and events[0]["toVersion"] == "v1.1.0"
    assert events[0]["actor"] == admin.membership.user.username
    assert events[0]["reason"] == "regression"


def test_register_external_model_from_camel_case_body(admin):
    response = post(
        admin,
        {
            "action": "register",
            "task": "suggestion",
            "version": "2.0.0",
            "provider": "openai",
            "modelId": "gpt-4o-mini",
            "inputPricePer1k": "0.15",
            "outputPricePer1k": "0.6",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "external" and body["externalModelId"] == "gpt-4o-mini"
    assert float(body["inputPricePer1k"]) == 0.15 and float(body["outputPricePer1k"]) == 0.6


def test_rollback_without_previous_version_is_409_with_a_clear_message(admin, two_versions):
    response = post(admin, {"action": "rollback"})
    assert response.status_code == 409
    assert "No previous version to roll back to" in response.json()["message"]


def test_unknown_version_is_404(admin, two_versions):
    assert post(admin, {"action": "deploy", "version": "v9.9.9"}).status_code == 404
    ab = {"action": "ab-test", "versionA": "v1.1.0", "versionB": "v3.0.0"}
    missing = post(admin, ab)
    assert missing.status_code == 404
    assert missing.json()["message"] == "Model version v3.0.0 of task 'category' not found."
    assert (
        admin.get(URL, {"view": "compare", "versionA": "1.1.0", "versionB": "x"}).status_code == 404
    )


def test_seed_ab_test_body_unchanged_then_results_and_conclude(
    org, admin, agent_client, two_versions
):
    body = {"action": "ab-test", "versionA": "v1.1.0", "versionB": "v1.2.0", "splitPercentage": 50}
    response = post(admin, body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["status"] == "running" and created["splitPercentage"] == 50
    assert (created["versionA"], created["versionB"]) == ("v1.1.0", "v1.2.0")
    results = agent_client.get(URL, {"view": "ab-results"}).json()
    assert results["abTestId"] == created["id"] and results["verdict"] == "inconclusive"
    assert results["armA"]["trials"] == 0
    listed = agent_client.get("/api/ab-tests", {"status": "running"}).json()["results"]
    assert [t["id"] for t in listed] == [created["id"]]
    conflict = post(admin, {"action": "conclude-ab-test"})
    assert conflict.status_code == 409 and "No winner yet" in conflict.json()["message"]
    concluded = post(admin, {"action": "conclude-ab-test", "winner": "B"})
    assert concluded.status_code == 200 and concluded.json()["winner"] == "v1.2.0"
    assert Deployment.objects.get(organization=org, status="active").model_version.version == (
        "v1.2.0"
    )


@pytest.mark.parametrize("split", [0, 100, 150, -5])
def test_split_outside_1_to_99_is_400(admin, two_versions, split):
    body = {
        "action": "ab-test",
        "versionA": "v1.1.0",
        "versionB": "v1.2.0",
        "splitPercentage": split,
    }
    response = post(admin, body)
    assert response.status_code == 400 and "between 1 and 99" in response.json()["message"]
    assert not ABTest.objects.exists()


def test_ab_test_across_tasks_is_400(org, admin, two_versions):
    other = services.model_version_register(organization=org, task="priority", version="1.0.0")
    a = services.model_version_register(organization=org, task="category", version="5.0.0")
    response = post(admin, {"action": "ab-test", "versionA": a.pk, "versionB": other.pk})
    assert response.status_code == 400
    assert "same organization and task" in response.json()["message"]


def test_other_organizations_versions_are_invisible(admin, other_org, two_versions):
    foreign = services.model_version_register(
        organization=other_org, task="category", version="7.0.0"
    )
    response = post(admin, {"action": "ab-test", "versionA": "v1.1.0", "versionB": foreign.pk})
    assert response.status_code == 404
    assert post(admin, {"action": "deploy", "version": "v7.0.0"}).status_code == 404


def test_writes_are_for_admins(org, make_client, two_versions):
    for role in ("agent", "reviewer"):
        client = make_client(org, role)
        assert post(client, {"action": "register"}).status_code == 403
        assert client.get(URL).status_code == 200
    assert DeploymentEvent.objects.filter(action="deploy").count() == 1


def test_get_views_list_active_compare_health(org, admin, agent_client, two_versions):
    listed = agent_client.get(URL).json()["versions"]
    assert {v["version"] for v in listed} == {"v1.1.0", "v1.2.0"}
    active = agent_client.get(URL, {"view": "active"}).json()
    assert [(d["task"], d["version"], d["role"]) for d in active["active"]] == [
        ("category", "v1.1.0", "stable")
    ]
    assert [(d["task"], d["modelVersion"]) for d in active["deployments"]] == [
        ("category", "v1.1.0")
    ]
    v1 = services.model_version_register(organization=org, task="priority", version="1.0.0")
    del v1
    compare = agent_client.get(URL, {"view": "compare", "versionA": "v1.1.0", "versionB": "1.2.0"})
    assert compare.status_code == 200
    assert compare.json()["versionA"]["version"] == "v1.1.0"
    assert set(compare.json()["difference"]) >= {"accuracy", "p95LatencyMs", "errorRate"}
    health = agent_client.get(URL, {"view": "health"}).json()["health"]
    assert [h["version"] for h in health] == ["v1.1.0"]
    assert health[0]["status"] == "no_data" and health[0]["score"] is None  # no traffic yet
    assert agent_client.get(URL, {"view": "nope"}).status_code == 400
    assert agent_client.get(URL, {"view": "compare"}).status_code == 400


def test_post_inference_log_for_an_external_model(org, admin, agent_client, make_client):
    service = make_client(org, "service")
    post(
        admin,
        {
            "action": "register",
            "version": "v3.0.0",
            "provider": "openai",
            "modelId": "gpt-4o",
            "inputPricePer1k": "2.5",
            "outputPricePer1k": "10",
        },
    )
    body = {
        "version": "v3.0.0",
        "latency": 420.5,
        "tokensIn": 1000,
        "tokensOut": 100,
        "confidence": 0.9,
        "predictedLabel": "Billing",
    }
    response = service.post("/api/ai/inference-logs", body, format="json")
    assert response.status_code == 201, response.json()
    log = InferenceLog.objects.get(pk=response.json()["id"])
    assert log.success and log.latency_ms == 420.5 and float(log.cost_usd) == pytest.approx(3.5)
    failed = service.post(
        "/api/ai/inference-logs",
        {"version": "3.0.0", "latencyMs": 30000, "error": "timeout"},
        format="json",
    )
    assert failed.status_code == 201 and failed.json()["success"] is False
    assert (
        service.post(
            "/api/ai/inference-logs", {"version": "v8.0.0", "latencyMs": 1}, format="json"
        ).status_code
        == 404
    )
    assert (
        service.post(
            "/api/ai/inference-logs", {"version": "v3.0.0", "latencyMs": -1}, format="json"
        ).status_code
        == 400
    )
    listed = agent_client.get("/api/inference-logs").json()
    assert listed["count"] == 2
    assert agent_client.get(f"/api/inference-logs/{log.pk}").status_code == 200


EXTERNAL = {"action": "register", "version": "v3.0.0", "provider": "openai", "modelId": "gpt-4o"}


@pytest.mark.parametrize(
    ("role", "expected"), [("agent", 403), ("reviewer", 403), ("admin", 201), ("service", 201)]
)
def test_only_admin_and_service_tokens_report_inference_logs(
    org, admin, make_client, role, expected
):
    assert post(admin, EXTERNAL).status_code == 201
    client = make_client(org, role)
    response = client.post(
        "/api/ai/inference-logs", {"version": "v3.0.0", "latency": 12}, format="json"
    )
    assert response.status_code == expected, response.json()
    if expected == 403:
        assert "service" in response.json()["message"]
    assert InferenceLog.objects.count() == (1 if expected == 201 else 0)


def test_inference_logs_cannot_fake_the_health_of_a_version_served_here(org, admin, make_client):
    # What an agent's token could do before: 30 slow failures turned the active, locally
    # served version "unhealthy".
    version = register(org, "1.3.0")
    services.model_version_deploy(model_version=version)
    for role in ("service", "admin"):
        client = make_client(org, role)
        for _ in range(30):
            response = client.post(
                "/api/ai/inference-logs",
                {"version": "v1.3.0", "latency": 9000, "success": False},
                format="json",
            )
            assert response.status_code == 409
    body = response.json()
    assert "external" in body["message"] and "version" in body["fields"]
    assert not InferenceLog.objects.filter(model_version=version).exists()
    health = admin.get(URL, {"view": "health"}).json()["health"]
    assert [h["status"] for h in health if h["version"] == "v1.3.0"] != ["unhealthy"]


def test_a_service_token_may_do_nothing_else(org, make_client):
    service = make_client(org, "service")
    for method, url in [
        ("get", "/api/tickets"),
        ("get", "/api/inference-logs"),
        ("get", "/api/model-versions"),
        ("get", URL),
        ("post", URL),
        ("post", "/api/ai/classify"),
        ("post", "/api/ai/feedback"),
        ("get", "/api/ai/feedback"),
        ("get", "/api/training-examples"),
        ("post", "/api/ai/train"),
    ]:
        response = getattr(service, method)(url, {}, format="json")
        assert response.status_code == 403, (method, url)


def test_registry_list_endpoints_have_pinned_query_counts(
    org, admin, two_versions, django_assert_max_num_queries
):
    v1, v2 = register(org, "4.0.0"), register(org, "4.1.0")
    services.model_version_deploy(model_version=v1)
    services.ab_test_start(version_a=v1, version_b=v2)
    for url in (
        "/api/ab-tests",
        "/api/deployment-events",
        "/api/deployments",
        "/api/model-versions",
    ):
        with django_assert_max_num_queries(6):
            response = admin.get(url)
        assert response.status_code == 200 and response.json()["count"] >= 1


def test_three_rollbacks_in_a_row_through_the_api(org, admin):
    """The issue's done-when: v1.0.0, v1.1.0, v1.2.0 deployed in turn, then rollback, rollback,
    rollback: v1.1.0, v1.0.0, then 409 (the calls the closing note shows on the demo)."""
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        register(org, version)
        assert post(admin, {"action": "deploy", "version": version}).status_code == 201
    answers = [post(admin, {"action": "rollback", "reason": f"step {i}"}) for i in (1, 2, 3)]
    assert [a.status_code for a in answers] == [201, 201, 409]
    assert [a.json()["modelVersion"] for a in answers[:2]] == ["v1.1.0", "v1.0.0"]
    assert answers[2].json()["error"] == "conflict"
    assert answers[2].json()["message"].startswith("No previous version to roll back to")
    versions = {v["version"]: v["status"] for v in admin.get(URL).json()["versions"]}
    assert versions == {"v1.0.0": "active", "v1.1.0": "deprecated", "v1.2.0": "deprecated"}


def test_deploying_what_cannot_serve_is_409_saying_why(org, admin, two_versions):
    """The issue: an external version deployed as a 5% canary, then 3 of 60 classify calls
    answered 500 (IsADirectoryError) while health called it healthy."""
    body = {"action": "register", "provider": "openai", "modelId": "gpt-4o-mini"}
    registered = post(admin, body)
    assert registered.status_code == 201
    version = registered.json()["version"]
    canary = {"action": "deploy", "version": version, "strategy": "canary", "percentage": 5}
    refused = post(admin, canary)
    assert refused.status_code == 409
    assert "is an external model (openai gpt-4o-mini)" in refused.json()["message"]
    ab = post(admin, {"action": "ab-test", "versionA": "v1.1.0", "versionB": version})
    assert ab.status_code == 409 and "external model" in ab.json()["message"]
    assert post(admin, {"action": "shadow", "version": version}).status_code == 409
    assert Deployment.objects.get(organization=org, status="active").candidate_version is None
    assert not ABTest.objects.exists()
