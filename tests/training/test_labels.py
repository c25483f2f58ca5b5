"""Labels are checked against the task's label set on every way in (issue 10, item 2): the
API, imports, reviews, the admin and the feedback sweep. Sentiment and priority have fixed
choices; a category label is one of the organization's categories."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aiops.exceptions import InvalidInput
from tests.factories import UserFactory, categories
from training import services
from training.importers import ParsedRow
from training.labels import task_label_set
from training.models import TrainingExample
from training.services import ExampleVote

pytestmark = pytest.mark.django_db

ADD = "/api/training-examples"


@pytest.fixture
def reviewer(org, make_client):
    categories(org, "Billing", "Account")
    return make_client(org, "reviewer")


def test_label_sets(org, other_org):
    categories(org, "Billing", "Account")
    categories(other_org, "Shipping")
    assert task_label_set(organization=org, task="category") == ["Account", "Billing"]
    assert task_label_set(organization=other_org, task="category") == ["Shipping"]
    assert task_label_set(organization=org, task="sentiment") == ["negative", "neutral", "positive"]
    assert task_label_set(organization=org, task="priority") == ["low", "medium", "high"]
    assert task_label_set(organization=org, task="suggestion") is None  # free text


@pytest.mark.parametrize(
    ("task", "label", "valid"),
    [
        ("sentiment", "ecstatic", "negative, neutral, positive"),
        ("category", "Nonexistent", "Account, Billing"),
        ("priority", "urgent", "low, medium, high"),
    ],
)
def test_the_api_answers_400_with_the_valid_labels(reviewer, task, label, valid):
    body = {"task": task, "text": "I love it", "label": label, "approve": True}
    response = reviewer.post(ADD, body, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()
    assert f"Valid labels: {valid}." in error["message"]
    assert error["fields"]["label"] == [error["message"]]
    assert not TrainingExample.objects.exists()


def test_the_api_takes_a_label_of_the_set(reviewer):
    for task, label in (("sentiment", "positive"), ("category", "Billing")):
        body = {"task": task, "text": "I love it", "label": label}
        assert reviewer.post(ADD, body, format="json").status_code == 201
    free = {"task": "suggestion", "text": "How do I reset it?", "label": "Open settings."}
    assert reviewer.post(ADD, free, format="json").status_code == 201


def test_a_relabel_outside_the_label_set_is_400_and_changes_nothing(org, reviewer):
    example = services.training_example_add(
        organization=org, task="category", text="Charged twice", label="Billing"
    )
    response = reviewer.post(
        f"{ADD}/review",
        {"ids": [example.pk], "decision": "relabel", "label": "Nonexistent"},
        format="json",
    )
    assert response.status_code == 400
    assert "Valid labels: Account, Billing." in response.json()["message"]
    assert "label" in response.json()["fields"]
    example.refresh_from_db()
    assert (example.expected_output, example.validation_status) == ("Billing", "pending")


def test_an_import_with_a_bad_label_reports_its_line_and_imports_nothing(org, tmp_path, capsys):
    categories(org, "Billing", "Account")
    path = tmp_path / "rows.csv"
    path.write_text("text,label\nCharged twice,Billing\nLocked out,Nonexistent\n,Account\n")
    with pytest.raises(CommandError, match="2 bad row"):
        call_command(
            "import_examples", str(path), org="acme", text_column="text", label_column="label"
        )
    err = capsys.readouterr().err
    assert "line 3: Unknown label 'Nonexistent'." in err
    assert "line 4: The text is empty." in err  # reported together with the other bad rows
    assert "Valid category labels: Account, Billing." in err
    assert not TrainingExample.objects.exists()


def test_the_import_service_checks_every_row(org):
    rows = [
        ParsedRow(line=1, text="Fine", label="positive"),
        ParsedRow(line=2, text="Great", label="ecstatic"),
    ]
    with pytest.raises(InvalidInput) as error:
        services.examples_import(organization=org, task="sentiment", rows=rows)
    assert error.value.fields["label"] == ["line 2: Unknown label 'ecstatic'."]
    assert "negative, neutral, positive" in error.value.message
    assert not TrainingExample.objects.exists()


def test_the_admin_review_form_offers_the_labels_and_refuses_others(org, client):
    categories(org, "Billing", "Account")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    example = services.training_example_add(
        organization=org, task="category", text="Charged twice", label="Billing"
    )
    page = client.get(f"/admin/training/trainingexample/{example.pk}/change/")
    assert '<option value="Account">' in page.content.decode()
    response = client.post(
        f"/admin/training/trainingexample/{example.pk}/review/",
        {"decision": "relabel", "label": "Nonexistent"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Unknown category label &#x27;Nonexistent&#x27;" in response.content.decode()
    example.refresh_from_db()
    assert example.expected_output == "Billing" and not LogEntry.objects.exists()


def test_the_label_sets_cost_one_query_per_organization_and_task(org):
    categories(org, "Billing", "Account")
    votes = [
        ExampleVote(task=task, text=f"{task} text {i}", label=label, source="user_acceptance")
        for i in range(20)
        for task, label in (("category", "Billing"), ("sentiment", "positive"))
    ]
    with CaptureQueriesContext(connection) as queries:
        services.training_examples_upsert(organization=org, votes=votes)
    reads = [q["sql"] for q in queries.captured_queries if '"categories"' in q["sql"]]
    assert len(reads) == 1
