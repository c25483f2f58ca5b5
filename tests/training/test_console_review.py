"""The review console: the queue's filters and bulk actions, and the keyboard focus view."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages

from models_registry.models import InferenceLog
from tests.factories import categories
from training import services
from training.labels import task_label_set
from training.models import TrainingExample

pytestmark = pytest.mark.django_db

LIST = "/admin/training/trainingexample/"
FOCUS = "/admin/training/trainingexample/focus/"


@pytest.fixture(autouse=True)
def _categories(org, other_org):
    categories(org, "a", "b", "c")
    categories(other_org, "a", "zzz")


def _add(org, text, label="a", **fields):
    example = services.training_example_upsert(
        organization=org, task="category", text=text, label=label, source="import"
    )
    if fields:
        TrainingExample.objects.filter(pk=example.pk).update(**fields)
        example.refresh_from_db()
    return example


@pytest.fixture
def queue(org):
    """Four pending examples; queue order: noisy (lq 0.05), lq 0.4, lq 0.9, then unknown."""
    return [
        _add(org, "printer jams on every page", noise_flag=True, suggested_label="b",
             label_quality=0.05, quality_score=0.2),
        _add(org, "printer jams again on the first page", suggested_label="c", label_quality=0.4,
             quality_score=0.5),
        _add(org, "cannot log in to the portal", suggested_label="a", label_quality=0.9,
             quality_score=0.7),
        _add(org, "invoice shows the wrong amount", quality_score=0.85),
    ]  # fmt: skip


def _shown(response):
    return [obj.pk for obj in response.context["cl"].result_list]


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the queue list ----------------------------------------------------------------------


def test_quality_band_label_and_reviewer_filters(org, other_org, queue, make_staff):
    staff = make_staff(org)
    assert _shown(staff.get(LIST, {"quality_band": "low"})) == [queue[0].pk]
    assert _shown(staff.get(LIST, {"quality_band": "fair"})) == [queue[1].pk]
    assert _shown(staff.get(LIST, {"quality_band": "good"})) == [queue[2].pk]
    assert _shown(staff.get(LIST, {"quality_band": "high"})) == [queue[3].pk]

    _add(org, "refund not received", label="c")
    foreign = _add(other_org, "foreign text", label="zzz")
    page = staff.get(LIST, {"label": "c"})
    assert [TrainingExample.objects.get(pk=pk).input_text for pk in _shown(page)] == [
        "refund not received"
    ]
    label_filter = next(f for f in page.context["cl"].filter_specs if f.title == "label")
    assert [value for value, _ in label_filter.lookup_choices] == ["a", "c"]  # no "zzz"
    assert foreign.pk not in _shown(staff.get(LIST))

    other_reviewer = make_staff(other_org)
    services.training_example_approve(example=queue[1], actor=staff.user)
    services.training_example_approve(example=foreign, actor=other_reviewer.user)
    page = staff.get(LIST, {"reviewer__id__exact": staff.user.pk})
    assert _shown(page) == [queue[1].pk]
    reviewer_filter = next(f for f in page.context["cl"].filter_specs if f.title == "reviewed by")
    assert [pk for pk, _ in reviewer_filter.lookup_choices] == [staff.user.pk]


def test_list_shows_quality_parts_and_votes(org, queue, make_staff):
    page = make_staff(org).get(LIST).content.decode()
    assert '<td class="field-parts">src 0.50 · txt 1.00</td>' in page
    assert "a ×1" in page  # the import's vote


def test_bulk_relabel_to_a_valid_label(org, queue, make_staff):
    staff = make_staff(org)
    response = staff.post(
        LIST,
        {"action": "relabel", "label": "c", "_selected_action": [queue[0].pk, queue[3].pk]},
        follow=True,
    )
    assert "Relabel: 2 example(s)." in _messages(response)
    labels = dict(TrainingExample.objects.values_list("pk", "expected_output"))
    assert (labels[queue[0].pk], labels[queue[3].pk], labels[queue[1].pk]) == ("c", "c", "a")
    assert sorted(LogEntry.objects.values_list("object_id", "change_message")) == sorted(
        [(str(queue[0].pk), "Relabeled to 'c'"), (str(queue[3].pk), "Relabeled to 'c'")]
    )


def test_bulk_relabel_to_an_unknown_or_missing_label_writes_nothing(org, queue, make_staff):
    staff = make_staff(org)
    before = list(
        TrainingExample.objects.order_by("pk").values_list("expected_output", "validation_status")
    )
    response = staff.post(
        LIST, {"action": "relabel", "label": "nope", "_selected_action": [queue[0].pk]},
        follow=True,
    )  # fmt: skip
    assert any("Unknown category label 'nope'" in m for m in _messages(response))
    response = staff.post(
        LIST, {"action": "relabel", "label": "", "_selected_action": [queue[0].pk]}, follow=True
    )
    assert "Type the new label beside the action to relabel." in _messages(response)
    after = list(
        TrainingExample.objects.order_by("pk").values_list("expected_output", "validation_status")
    )
    assert after == before and not LogEntry.objects.exists()


def test_accept_suggestion_where_the_evidence_against_the_label_is_at_least_x(
    org, queue, make_staff
):
    staff = make_staff(org)
    response = staff.post(
        LIST,
        {
            "action": "accept_suggestion",
            "min_evidence": "0.5",
            "_selected_action": [e.pk for e in queue],
        },
        follow=True,
    )
    # evidence 1 - label quality: queue[0] 0.95 (→ b) and queue[1] 0.6 (→ c) qualify; queue[2]
    # suggests its own label, queue[3] has no suggestion
    assert "Relabel: 2 example(s). Skipped 2 (no other label suggested or evidence below 0.5)." in (
        _messages(response)
    )
    rows = {e.pk: (e.expected_output, e.validation_status) for e in TrainingExample.objects.all()}
    assert rows[queue[0].pk] == ("b", "approved") and rows[queue[1].pk] == ("c", "approved")
    assert [rows[queue[2].pk], rows[queue[3].pk]] == [("a", "pending")] * 2
    bad = staff.post(
        LIST,
        {
            "action": "accept_suggestion",
            "min_evidence": "2",
            "_selected_action": [queue[2].pk],
        },
        follow=True,
    )
    assert "The minimum evidence is a number from 0 to 1." in _messages(bad)
    assert TrainingExample.objects.get(pk=queue[2].pk).validation_status == "pending"


def test_changelist_links_to_the_focus_view_with_its_filters(org, queue, make_staff):
    page = make_staff(org).get(LIST, {"noise_flag__exact": "1"}).content.decode()
    assert re.search(rf'id="focus-link"[^>]*href="{FOCUS}\?noise_flag__exact=1"', page)


# --- the focus view ----------------------------------------------------------------------


def test_focus_shows_the_top_pending_example_with_its_label_keys(org, queue, make_staff):
    response = make_staff(org).get(FOCUS)
    assert response.status_code == 200
    assert response.context["example"].pk == queue[0].pk
    assert response.context["remaining"] == 4
    page = response.content.decode()
    assert f'id="focus-example" class="module" data-example-id="{queue[0].pk}"' in page
    assert '<strong id="focus-current-label">a</strong>' in page
    for key, label in (("1", "a"), ("2", "b"), ("3", "c")):
        assert f'data-key="{key}" data-label="{label}"' in page
    assert 'id="focus-form"' in page and f'name="example" value="{queue[0].pk}"' in page
    assert "No deployed model." in page  # #focus-prediction
    assert "No votes." not in page and "import" in page  # #focus-votes: the import's vote
    duplicates = response.context["duplicates"]
    assert duplicates and duplicates[0].pk == queue[1].pk  # "printer ..." is the nearest


def test_focus_approve_loads_the_next_example_of_the_same_filter(org, queue, make_staff):
    staff = make_staff(org)
    url = f"{FOCUS}?task__exact=category&noise_flag__exact=0"
    assert staff.get(url).context["example"].pk == queue[1].pk
    response = staff.post(url, {"decision": "approve", "example": queue[1].pk})
    assert response.status_code == 302 and response["Location"] == url
    example = TrainingExample.objects.get(pk=queue[1].pk)
    assert (example.validation_status, example.reviewer) == ("approved", staff.user)
    assert LogEntry.objects.get().change_message == "Approved"
    assert staff.get(url).context["example"].pk == queue[2].pk


def test_focus_relabel_and_reject(org, queue, make_staff):
    staff = make_staff(org)
    staff.post(FOCUS, {"decision": "relabel", "label": "b", "example": queue[0].pk})
    relabeled = TrainingExample.objects.get(pk=queue[0].pk)
    assert (relabeled.expected_output, relabeled.validation_status) == ("b", "approved")
    staff.post(FOCUS, {"decision": "reject", "example": queue[1].pk})
    assert TrainingExample.objects.get(pk=queue[1].pk).validation_status == "rejected"
    bad = staff.post(
        FOCUS, {"decision": "relabel", "label": "nope", "example": queue[2].pk}, follow=True
    )
    assert any("Unknown category label" in m for m in _messages(bad))
    assert TrainingExample.objects.get(pk=queue[2].pk).expected_output == "a"
    assert staff.get(FOCUS).context["example"].pk == queue[2].pk


def test_focus_skip_moves_on_without_deciding(org, queue, make_staff):
    staff = make_staff(org)
    first = staff.get(f"{FOCUS}?task__exact=category")
    skip_url = first.context["skip_url"]
    assert parse_qs(urlsplit(skip_url).query) == {
        "task__exact": ["category"],
        "skip": [str(queue[0].pk)],
    }
    second = staff.get(skip_url)
    assert second.context["example"].pk == queue[1].pk and second.context["skipped"] == 1
    assert parse_qs(urlsplit(second.context["skip_url"]).query)["skip"] == [
        f"{queue[0].pk},{queue[1].pk}"
    ]
    assert TrainingExample.objects.filter(validation_status="pending").count() == 4


def test_focus_empty_queue(org, queue, make_staff):
    staff = make_staff(org)
    for example in queue[1:]:
        services.training_example_approve(example=example)
    page = staff.get(f"{FOCUS}?noise_flag__exact=0")
    assert page.context["example"] is None
    assert 'id="focus-empty"' in page.content.decode()
    assert staff.get(FOCUS).context["example"].pk == queue[0].pk  # without the filter


def test_agents_get_403(org, queue, make_staff):
    agent = make_staff(org, role="agent")
    assert agent.get(FOCUS).status_code == 403
    assert agent.post(FOCUS, {"decision": "approve", "example": queue[0].pk}).status_code == 403
    assert TrainingExample.objects.get(pk=queue[2].pk).validation_status == "pending"


def test_other_organizations_staff_neither_see_nor_act(org, other_org, queue, make_staff):
    outsider = make_staff(other_org)
    page = outsider.get(FOCUS)
    assert page.status_code == 200 and page.context["example"] is None
    assert outsider.get(f"{FOCUS}?organization={org.pk}").context["example"] is None
    response = outsider.post(FOCUS, {"decision": "reject", "example": queue[0].pk})
    assert response.status_code == 404
    assert TrainingExample.objects.get(pk=queue[2].pk).validation_status == "pending"
    assert outsider.get(LIST).context["cl"].result_count == 0


def test_focus_previews_the_deployed_model_without_logging(trained_org, make_staff):
    label = task_label_set(organization=trained_org, task="category")[0]
    example = _add(trained_org, "I was charged twice on my invoice this month", label=label)
    logs = InferenceLog.objects.count()
    response = make_staff(trained_org).get(FOCUS, {"task__exact": "category"})
    assert response.context["example"].pk == example.pk
    prediction = response.context["prediction"]
    assert prediction.version and prediction.label == prediction.probabilities[0][0]
    assert 0 < prediction.probabilities[0][1] <= 1
    assert "predicts" in response.content.decode()
    assert InferenceLog.objects.count() == logs
    assert len(response.context["duplicates"]) >= 1
