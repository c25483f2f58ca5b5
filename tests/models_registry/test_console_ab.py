"""The A/B test page: per-arm results with their intervals, the difference, p-value,
sequential interval, chance to win, SRM check, minimum sample progress and verdict, as
`ab_test_results` computes them; conclude and stop (POST, admins of the organization)."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages

from models_registry import services
from models_registry.models import ABTest, Deployment, ModelVersion
from tests.models_registry.support import register

pytestmark = pytest.mark.django_db


def page(ab_test) -> str:
    return f"/admin/models_registry/abtest/{ab_test.pk}/change/"


def errors(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def judge(ab_test, arm: str, *, correct: int, incorrect: int) -> None:
    """Predictions routed to an arm, then their outcomes from feedback (the services)."""
    version = ab_test.version_a if arm == "A" else ab_test.version_b
    for i in range(correct + incorrect):
        log = services.inference_log_record(
            organization=ab_test.organization,
            model_version=version,
            latency_ms=5.0,
            predicted_label="Billing",
            unit_id=f"{arm}-{i}",
            arm=arm,
            ab_test=ab_test,
        )
        services.inference_log_record_outcome(inference_log_id=log.pk, correct=i < correct)


def logged(ab_test):
    return LogEntry.objects.filter(content_type__model="abtest", object_id=str(ab_test.pk))


def row(html: str, hook: str) -> str:
    """The opening tag of the element with this id or data-arm."""
    match = re.search(rf"<[^>]*{hook}[^>]*>", html)
    assert match, hook
    return match.group(0)


@pytest.fixture
def versions(trained_org):
    v1 = ModelVersion.objects.get(organization=trained_org, task="category", major=1, minor=0)
    return v1, register(trained_org, "1.1.0")


@pytest.fixture
def operator(make_staff, trained_org):
    return make_staff(trained_org, "admin")


@pytest.fixture
def started(operator, versions):
    _, v2 = versions
    operator.post(
        f"/admin/models_registry/modelversion/{v2.pk}/ab-start/",
        {"split_percentage": "50", "minimum_detectable_effect": "0.2"},
    )
    return ABTest.objects.get(status="running")


def test_the_page_shows_the_results_of_the_service(operator, started):
    judge(started, "A", correct=30, incorrect=20)
    judge(started, "B", correct=45, incorrect=5)
    results = services.ab_test_results(ab_test=started)
    response = operator.get(page(started))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="ab-result"' in html
    for arm, key in (("A", "arm_a"), ("B", "arm_b")):
        tag = row(html, f'data-arm="{arm}"')
        assert 'class="ab-arm"' in tag
        assert f'data-n="{results[key]["trials"]}"' in tag and results[key]["trials"] == 50
        assert f'data-accuracy="{results[key]["accuracy"]}"' in tag
        low, high = (100 * x for x in results[key]["wilson_ci"])
        assert f"[{low:.2f}%, {high:.2f}%]" in html
    assert f'data-value="{results["difference"]}"' in row(html, 'id="ab-difference"')
    assert results["difference"] == pytest.approx(0.3)
    assert f'data-value="{results["p_value"]}"' in row(html, 'id="ab-pvalue"')
    low, high = (100 * x for x in results["sequential_ci"])
    assert f"[{low:.2f}, {high:.2f}] points" in html and 'id="ab-sequential"' in html
    assert f'data-value="{results["chance_to_win"]}"' in row(html, 'id="ab-chance"')
    assert "console-bad" not in row(html, 'id="ab-srm"')
    needed = results["minimum_sample_size"]
    progress = min(100.0, 100 * 50 / needed)
    assert f'data-value="{progress:.1f}"' in row(html, 'id="ab-progress"')
    verdict = re.search(r'class="ab-verdict[^"]*" data-verdict="([^"]+)"', html).group(1)
    assert verdict == results["verdict"] and results["reason"] in html
    assert 'id="ab-conclude-form"' in html and 'id="ab-conclude-submit"' in html
    assert 'data-chart="ab-intervals"' in html


def test_a_sample_ratio_mismatch_is_flagged(operator, started):
    judge(started, "A", correct=90, incorrect=30)
    judge(started, "B", correct=8, incorrect=2)
    html = operator.get(page(started)).content.decode()
    srm = row(html, 'id="ab-srm"')
    assert 'class="console-bad"' in srm
    assert "Sample ratio mismatch" in html
    assert 'data-verdict="sample ratio mismatch"' in html


def test_conclude_promotes_the_statistical_winner(operator, trained_org, versions, started):
    v1, v2 = versions
    judge(started, "A", correct=50, incorrect=50)
    judge(started, "B", correct=95, incorrect=5)
    expected = services.ab_test_results(ab_test=started)
    assert expected["verdict"] == "B wins"
    response = operator.post(f"{page(started)[: -len('change/')]}conclude/")
    assert response.status_code == 302 and response["Location"] == page(started)
    started.refresh_from_db()
    assert started.status == "concluded" and started.winner == v2
    assert (
        Deployment.objects.get(
            organization=trained_org, task="category", status="active"
        ).model_version
        == v2
    )
    assert "Concluded (B wins)" in logged(started).get().change_message
    html = operator.get(page(started)).content.decode()  # the stored result, no more buttons
    assert 'id="ab-conclude-form"' not in html and 'data-verdict="B wins"' in html
    assert f'data-n="{expected["arm_b"]["trials"]}"' in row(html, 'data-arm="B"')


def test_an_inconclusive_test_is_not_concluded_without_a_named_winner(operator, started):
    judge(started, "A", correct=3, incorrect=2)
    conclude = f"{page(started)[: -len('change/')]}conclude/"
    response = operator.post(conclude)
    assert any("No winner yet" in m for m in errors(response))
    started.refresh_from_db()
    assert started.status == "running" and not logged(started).exists()
    operator.post(conclude, {"winner": "A"})
    started.refresh_from_db()
    assert started.status == "concluded" and started.winner == started.version_a


def test_stop(operator, versions, started):
    _, v2 = versions
    operator.post(f"{page(started)[: -len('change/')]}stop/")
    started.refresh_from_db()
    v2.refresh_from_db()
    assert started.status == "stopped" and started.winner is None and v2.status == "deprecated"
    assert logged(started).count() == 1


def test_only_admins_of_the_organization_and_only_by_post(
    make_staff, operator, trained_org, other_org, started
):
    conclude = f"{page(started)[: -len('change/')]}conclude/"
    reviewer = make_staff(trained_org, "reviewer")
    html = reviewer.get(page(started)).content.decode()
    assert 'id="ab-result"' in html and 'id="ab-conclude-form"' not in html
    assert reviewer.post(conclude, {"winner": "B"}).status_code == 403
    stranger = make_staff(other_org, "admin")
    assert stranger.post(conclude, {"winner": "B"}).status_code == 404
    assert operator.get(conclude, {"winner": "B"}).status_code == 405
    started.refresh_from_db()
    assert started.status == "running" and not logged(started).exists()
