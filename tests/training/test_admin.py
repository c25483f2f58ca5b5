"""The admin review console: queue order, POST-only decisions through the services, logged."""

import pytest
from django.contrib.admin.models import LogEntry

from tests.factories import UserFactory, categories
from training import services
from training.models import TrainingExample

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _categories(org):
    categories(org, "a", "b", "c")


@pytest.fixture
def staff_client(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


def _examples(org):
    examples = [
        services.training_example_upsert(
            organization=org, task="category", text=f"text number {i}", label="a", source="import"
        )
        for i in range(3)
    ]
    TrainingExample.objects.filter(pk=examples[2].pk).update(
        noise_flag=True, suggested_label="b", label_quality=0.05
    )
    TrainingExample.objects.filter(pk=examples[0].pk).update(label_quality=0.9)
    TrainingExample.objects.filter(pk=examples[1].pk).update(label_quality=0.4)
    return examples


def test_changelist_is_ordered_by_noise_then_label_quality(org, staff_client):
    examples = _examples(org)
    response = staff_client.get("/admin/training/trainingexample/")
    assert response.status_code == 200
    shown = [obj.pk for obj in response.context["cl"].result_list]
    assert shown == [examples[2].pk, examples[1].pk, examples[0].pk]
    services.training_example_reject(example=examples[1])
    rejected = staff_client.get(
        "/admin/training/trainingexample/", {"validation_status__exact": "rejected"}
    )
    assert [obj.pk for obj in rejected.context["cl"].result_list] == [examples[1].pk]


def test_actions_call_services_and_are_logged(org, staff_client):
    examples = _examples(org)
    url = "/admin/training/trainingexample/"
    staff_client.post(
        url, {"action": "approve", "_selected_action": [examples[0].pk, examples[1].pk]}
    )
    staff_client.post(url, {"action": "accept_suggestion", "_selected_action": [examples[2].pk]})
    approved = TrainingExample.objects.get(pk=examples[0].pk)
    assert approved.validation_status == "approved" and approved.reviewer == staff_client.user
    relabeled = TrainingExample.objects.get(pk=examples[2].pk)
    assert relabeled.expected_output == "b" and relabeled.noise_flag is False
    messages = sorted(LogEntry.objects.values_list("object_id", "change_message"))
    assert messages == sorted(
        [
            (str(examples[0].pk), "Approved"),
            (str(examples[1].pk), "Approved"),
            (str(examples[2].pk), "Relabeled to 'b'"),
        ]
    )


def test_review_form_is_post_only_and_relabels(org, staff_client):
    example = _examples(org)[0]
    url = f"/admin/training/trainingexample/{example.pk}/review/"
    assert staff_client.get(url).status_code == 405
    page = staff_client.get(f"/admin/training/trainingexample/{example.pk}/change/")
    assert url in page.content.decode()
    response = staff_client.post(url, {"decision": "relabel", "label": "c", "notes": "typo"})
    assert response.status_code == 302
    example.refresh_from_db()
    assert (example.expected_output, example.review_notes) == ("c", "typo")
    assert LogEntry.objects.get().change_message == "Relabeled to 'c'"
    staff_client.post(url, {"decision": "reject"})
    example.refresh_from_db()
    assert example.validation_status == "rejected"


def test_review_form_rejects_unknown_decisions_without_changes(org, staff_client):
    example = _examples(org)[0]
    url = f"/admin/training/trainingexample/{example.pk}/review/"
    staff_client.post(url, {"decision": "delete"})
    example.refresh_from_db()
    assert example.validation_status == "pending" and not LogEntry.objects.exists()


def test_non_staff_cannot_review(org, client):
    example = _examples(org)[0]
    client.force_login(UserFactory())
    response = client.post(
        f"/admin/training/trainingexample/{example.pk}/review/", {"decision": "approve"}
    )
    assert response.status_code == 302  # to the login page
    example.refresh_from_db()
    assert example.validation_status == "pending"


def test_retrain_policy_is_edited_in_the_admin_through_the_service(org, staff_client):
    from training.models import RetrainPolicy

    response = staff_client.post(
        "/admin/training/retrainpolicy/add/",
        {
            "organization": org.pk,
            "task": "category",
            "enabled": "on",
            "accuracy_threshold": 0.9,
            "accuracy_window_hours": 12,
            "accuracy_min_samples": 20,
            "min_new_examples": 300,
            "interval_hours": 6,
            "estimator": "fast",
            "on_better_candidate": "canary",
            "candidate_percentage": 15,
            "min_improvement": 0.01,
            "label_noise_action": "exclude",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    policy = RetrainPolicy.objects.get()
    assert (policy.min_new_examples, policy.on_better_candidate) == (300, "canary")
    assert policy.updated_by == staff_client.user
    change = f"/admin/training/retrainpolicy/{policy.pk}/change/"
    bad = staff_client.post(
        change,
        {
            "enabled": "on",
            "accuracy_threshold": 0.9,
            "accuracy_window_hours": 12,
            "accuracy_min_samples": 20,
            "min_new_examples": 300,
            "interval_hours": 6,
            "estimator": "huge",
            "on_better_candidate": "canary",
            "candidate_percentage": 15,
            "min_improvement": 0.01,
            "label_noise_action": "exclude",
        },
    )
    assert bad.status_code == 200  # the form shows the error
    policy.refresh_from_db()
    assert policy.estimator == "fast"


def _policy_form(org, **overrides):
    return {
        "organization": org.pk,
        "task": "category",
        "enabled": "on",
        "accuracy_threshold": 0.9,
        "accuracy_window_hours": 12,
        "accuracy_min_samples": 20,
        "min_new_examples": 300,
        "interval_hours": 6,
        "estimator": "fast",
        "on_better_candidate": "canary",
        "candidate_percentage": 15,
        "min_improvement": 0.01,
        "label_noise_action": "exclude",
        **overrides,
    }


def test_retrain_policy_add_form_offers_only_classifier_tasks(org, staff_client):
    from training.models import RetrainPolicy

    page = staff_client.get("/admin/training/retrainpolicy/add/")
    offered = [value for value, _ in page.context["adminform"].form.fields["task"].choices]
    assert offered == ["category", "priority", "sentiment"]
    response = staff_client.post(
        "/admin/training/retrainpolicy/add/", _policy_form(org, task="suggestion")
    )
    assert response.status_code == 200
    assert "task" in response.context["adminform"].form.errors
    assert not RetrainPolicy.objects.exists() and not LogEntry.objects.exists()


def test_retrain_policy_refused_by_the_service_is_a_form_error(org, staff_client):
    from training.models import RetrainPolicy

    response = staff_client.post(
        "/admin/training/retrainpolicy/add/", _policy_form(org, accuracy_threshold=2)
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert (
        "accuracy_threshold" in form.errors and "Invalid retrain policy." in form.non_field_errors()
    )
    assert not RetrainPolicy.objects.exists()
    staff_client.post("/admin/training/retrainpolicy/add/", _policy_form(org))
    duplicate = staff_client.post("/admin/training/retrainpolicy/add/", _policy_form(org))
    assert duplicate.status_code == 200 and duplicate.context["adminform"].form.errors
    assert RetrainPolicy.objects.count() == 1


def test_retrain_policy_saved_through_the_service_is_logged(org, staff_client):
    from training.models import RetrainPolicy

    response = staff_client.post("/admin/training/retrainpolicy/add/", _policy_form(org))
    assert response.status_code == 302
    policy = RetrainPolicy.objects.get()
    assert policy.updated_by == staff_client.user
    form = _policy_form(org, min_new_examples=500)
    del form["organization"], form["task"]  # read-only once it exists
    changed = staff_client.post(f"/admin/training/retrainpolicy/{policy.pk}/change/", form)
    assert changed.status_code == 302
    policy.refresh_from_db()
    assert policy.min_new_examples == 500
    entries = LogEntry.objects.filter(object_id=str(policy.pk)).order_by("action_time")
    assert [entry.action_flag for entry in entries] == [1, 2]  # addition, change


def test_saving_an_example_page_writes_nothing(org, staff_client):
    example = _examples(org)[0]
    before = TrainingExample.objects.get(pk=example.pk).updated_at
    url = f"/admin/training/trainingexample/{example.pk}/change/"
    (events,) = staff_client.get(url).context["inline_admin_formsets"]
    management = events.formset.management_form
    data = {management[name].html_name: management[name].value() for name in management.fields}
    response = staff_client.post(url, data)
    assert response.status_code == 302
    example.refresh_from_db()
    assert example.updated_at == before  # no whole-row write (which could undo a vote)
    assert LogEntry.objects.filter(object_id=str(example.pk)).exists()  # logged as before
