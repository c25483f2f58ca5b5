"""The admin console in a real browser (headless chromium): the reviewer's and the ML admin's
main paths, each ending in a screenshot under test-artifacts/browser/ (git-ignored)."""

import pytest

from aiops.models import Category
from models_registry.models import ABTest, Deployment, InferenceLog, ModelVersion
from tests.models_registry.support import add_logs
from training.models import TrainingExample

pytestmark = pytest.mark.browser


def pending_examples(org, n: int) -> list[TrainingExample]:
    from training.services import training_example_add

    labels = list(Category.objects.filter(organization=org).values_list("name", flat=True))
    return [
        training_example_add(
            organization=org,
            task="category",
            text=f"Browser test ticket number {i}: my invoice shows a charge I do not know",
            label=labels[0],
            source="user_correction",
        )
        for i in range(n)
    ]


def second_version(org, demo_classifiers) -> ModelVersion:
    from models_registry.services import model_version_register

    model, metrics = demo_classifiers["category"]
    return model_version_register(
        organization=org,
        task="category",
        model=model,
        estimator="fast",
        labels=[str(c) for c in model.classes_],
        metrics=metrics,
    )


def test_index_links_to_every_console_page(console, screenshots):
    console.goto(f"{console.base}/admin/")
    links = console.locator("#console-links a")
    assert links.count() == 5
    console.screenshot(path=screenshots / "01-admin-index.png", full_page=True)


def test_bulk_approve_two_examples_in_the_review_queue(console, trained_org, screenshots):
    first, second = pending_examples(trained_org, 2)
    console.goto(f"{console.base}/admin/training/trainingexample/?validation_status__exact=pending")
    for example in (first, second):
        console.check(f"input.action-select[value='{example.pk}']")
    console.select_option("select[name=action]", "approve")
    console.click("button[name=index]")
    console.wait_for_selector("ul.messagelist li.success")
    console.screenshot(path=screenshots / "02-review-queue-bulk-approve.png", full_page=True)
    statuses = TrainingExample.objects.filter(pk__in=[first.pk, second.pk])
    assert set(statuses.values_list("validation_status", flat=True)) == {"approved"}


def test_relabel_one_example_with_the_keyboard_in_the_focus_view(console, trained_org, screenshots):
    (example,) = pending_examples(trained_org, 1)
    TrainingExample.objects.exclude(pk=example.pk).filter(validation_status="pending").update(
        validation_status="rejected"
    )
    console.goto(f"{console.base}/admin/training/trainingexample/focus/?task__exact=category")
    shown = console.locator("#focus-example")
    assert shown.get_attribute("data-example-id") == str(example.pk)
    current = console.inner_text("#focus-current-label").strip()
    other = console.locator("button.focus-label").filter(has_not_text=current).first
    key, label = other.get_attribute("data-key"), other.get_attribute("data-label")
    console.keyboard.press(key)
    assert "selected" in (other.get_attribute("class") or "")
    console.screenshot(path=screenshots / "03-focus-view-label-picked.png", full_page=True)
    with console.expect_navigation():
        console.keyboard.press("Enter")
    console.wait_for_selector("#focus-empty")
    console.screenshot(path=screenshots / "04-focus-view-queue-empty.png", full_page=True)
    example.refresh_from_db()
    assert (example.expected_output, example.validation_status) == (label, "approved")


def test_label_one_prediction_from_the_label_these_queue(
    console, trained_org, make_client, screenshots
):
    agent = make_client(trained_org, "agent")
    answer = agent.post(
        "/api/ai/classify",
        {"subject": "Cannot log in", "body": "The password reset link never arrives"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    log = InferenceLog.objects.filter(organization=trained_org, task="category").latest("id")
    console.goto(f"{console.base}/admin/feedback/feedback/label-queue/?task=category")
    row = console.locator(f"tr.label-row[data-log-id='{log.pk}']")
    label = row.locator("select[name=label] option").last.get_attribute("value")
    row.locator("select[name=label]").select_option(label)
    with console.expect_navigation():
        row.locator("button.label-submit").click()
    console.wait_for_selector("ul.messagelist li.success")
    console.screenshot(path=screenshots / "05-label-these-queue.png", full_page=True)
    log.refresh_from_db()
    assert log.true_label == label and log.outcome in ("correct", "incorrect")
    assert TrainingExample.objects.filter(
        organization=trained_org, source="reviewer", expected_output=label
    ).exists()


def test_deploy_a_canary_from_the_version_page(console, trained_org, demo_classifiers, screenshots):
    candidate = second_version(trained_org, demo_classifiers)
    console.goto(f"{console.base}/admin/models_registry/modelversion/{candidate.pk}/change/")
    console.select_option("#deploy-form select[name=strategy]", "canary")
    console.fill("#deploy-form input[name=percentage]", "20")
    with console.expect_navigation():
        console.click("#deploy-submit")
    console.wait_for_selector("ul.messagelist li.success")
    console.screenshot(path=screenshots / "06-deploy-canary.png", full_page=True)
    deployment = Deployment.objects.get(organization=trained_org, task="category", status="active")
    assert (deployment.candidate_version_id, deployment.candidate_percentage) == (candidate.pk, 20)


def test_the_ab_test_result_page(console, trained_org, demo_classifiers, screenshots):
    from models_registry.services import ab_test_start

    candidate = second_version(trained_org, demo_classifiers)
    active = ModelVersion.objects.get(organization=trained_org, task="category", status="active")
    ab_test = ab_test_start(version_a=active, version_b=candidate, split_percentage=50)
    assert ABTest.objects.filter(pk=ab_test.pk, status="running").exists()
    add_logs(trained_org, active, correct=300, incorrect=60, ab_test=ab_test, arm="A")
    add_logs(trained_org, candidate, correct=330, incorrect=25, ab_test=ab_test, arm="B")
    console.goto(f"{console.base}/admin/models_registry/abtest/{ab_test.pk}/change/")
    arms = console.locator("#ab-result .ab-arm")
    assert [arms.nth(i).get_attribute("data-n") for i in range(2)] == ["360", "355"]
    assert 0 < float(console.get_attribute("#ab-pvalue", "data-value")) < 0.01
    assert console.inner_text(".ab-verdict").strip()
    console.wait_for_selector("body[data-charts-ready]", state="attached")
    console.screenshot(path=screenshots / "07-ab-test-result.png", full_page=True)


def test_the_dashboard_draws_its_charts(console, trained_org, make_client, screenshots):
    agent = make_client(trained_org, "agent")
    for subject in ("Charged twice", "App crashes on start", "How do I export my data?"):
        agent.post("/api/ai/classify", {"subject": subject, "body": subject}, format="json")
    console.goto(f"{console.base}/admin/dashboard/?organization={trained_org.pk}")
    charts = console.locator(".console-chart")
    assert charts.count() >= 6
    # plotly.js (served by the project) draws an <svg class="main-svg"> inside each chart
    console.wait_for_function(
        "[...document.querySelectorAll('.console-chart')]"
        ".every(chart => chart.querySelector('svg.main-svg'))"
    )
    console.wait_for_selector("body[data-charts-ready]", state="attached")
    console.screenshot(path=screenshots / "08-dashboard.png", full_page=True)
