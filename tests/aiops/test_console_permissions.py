"""The console's permission edges found in review: list actions need an admin membership of
the row's organization, an admin elsewhere writes nothing where they only review, a demoted
admin loses the admin group, form choices show no other organization, and an odd digit in an
id parameter is not a 500."""

from django.contrib.auth import get_user_model
from django.test import Client

from aiops.models import Category, Membership
from aiops.services.console import console_user_ensure
from models_registry.models import Deployment, ModelVersion
from models_registry.services import model_version_deploy
from tests.models_registry.support import register


def login(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_a_reviewer_cannot_run_the_registry_list_actions(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    model_version_deploy(model_version=v1)
    console_user_ensure(organization=org, username="rita", role="reviewer")
    rita = login("rita")
    page = rita.get("/admin/models_registry/modelversion/")
    assert b"promote_forced" not in page.content
    rita.post(
        "/admin/models_registry/modelversion/",
        {"action": "promote_forced", "_selected_action": [v2.pk]},
    )
    active = Deployment.objects.get(organization=org, task="category", status="active")
    assert active.model_version_id == v1.pk


def test_an_admin_elsewhere_writes_nothing_where_they_only_review(org, other_org):
    version = register(org, "1.0.0")
    console_user_ensure(organization=other_org, username="mix", role="admin")
    console_user_ensure(organization=org, username="mix", role="reviewer")
    mix = login("mix")
    url = f"/admin/models_registry/modelversion/{version.pk}/change/"
    assert mix.post(url, {"notes": "changed by a reviewer", "tags": "{}"}).status_code == 403
    assert ModelVersion.objects.get(pk=version.pk).notes == ""
    assert mix.get("/admin/aiops/category/add/").status_code == 200  # for other_org only
    form = mix.get("/admin/aiops/category/add/").context["adminform"].form
    assert list(form.fields["organization"].queryset) == [other_org]


def test_a_demoted_admin_loses_the_admin_group(org, make_staff):
    console_user_ensure(organization=org, username="ada", role="admin")
    membership = Membership.objects.get(user__username="ada")
    boss = make_staff(org, "admin")
    url = f"/admin/aiops/membership/{membership.pk}/change/"
    data = {"organization": org.pk, "user": membership.user_id, "role": "reviewer"}
    assert boss.post(url, data).status_code == 302
    groups = set(membership.user.groups.values_list("name", flat=True))
    assert groups == {"Console reviewers"}


def test_form_choices_show_no_other_organizations_rows(org, other_org, make_staff):
    Category.objects.create(organization=other_org, name="Secret plans")
    outsider = get_user_model().objects.create(username="outsider")
    Membership.objects.create(organization=other_org, user=outsider, role="agent")
    admin = make_staff(org, "admin")
    ticket_form = admin.get("/admin/aiops/ticket/add/").context["adminform"].form
    assert "Secret plans" not in {c.name for c in ticket_form.fields["category"].queryset}
    member_form = admin.get("/admin/aiops/membership/add/").context["adminform"].form
    assert outsider not in member_form.fields["user"].queryset


def test_an_organization_admin_cannot_delete_the_organization(org, make_staff):
    admin = make_staff(org, "admin")
    assert admin.get(f"/admin/aiops/organization/{org.pk}/delete/").status_code == 403


def test_a_superscript_digit_in_an_id_is_no_500(org, make_staff):
    staff = make_staff(org, "admin")
    for url in (
        "/admin/dashboard/?organization=%C2%B2",
        "/admin/feedback/feedback/label-queue/?organization=%C2%B2",
        "/admin/training/trainingexample/focus/?skip=%C2%B2",
        "/admin/aiops/category/?organization=%C2%B2",
    ):
        assert staff.get(url).status_code < 500, url
    assert staff.post("/admin/training/trainingexample/focus/", {"example": "²"}).status_code < 500
