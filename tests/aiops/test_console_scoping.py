"""Issue 13 item 7: staff of one organization see and act on only that organization in every
console page (superusers see all); changing memberships, tokens and model operations needs an
admin membership."""

from django.contrib import admin
from django.urls import reverse

from aiops.models import Category, Membership

APPS = {"aiops", "models_registry", "training", "feedback", "metrics"}


def console_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in APPS
    ]


def changelist(client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.context["cl"]


def test_every_console_list_shows_staff_only_their_organizations_rows(
    trained_org, other_org, make_staff
):
    Category.objects.create(organization=other_org, name="Theirs")
    insider = make_staff(trained_org, "reviewer")
    outsider = make_staff(other_org, "admin")
    superuser = make_staff(None)
    with_rows = 0
    for model, model_admin in console_admins():
        everything = changelist(superuser, model)
        mine = changelist(insider, model)
        rows = model._default_manager.filter(**{model_admin.organization_path: trained_org.pk})
        assert mine.result_count == rows.count(), model
        organizations = {model_admin.organization_id_of(obj) for obj in mine.queryset[:300]}
        assert organizations <= {trained_org.pk}, model
        theirs = changelist(outsider, model)
        assert {model_admin.organization_id_of(obj) for obj in theirs.queryset[:300]} <= {
            other_org.pk
        }, model
        assert everything.result_count >= mine.result_count + theirs.result_count, model
        if mine.result_count:
            with_rows += 1
            obj = mine.queryset.first()
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]
            )
            assert outsider.get(url).status_code == 302, model  # "doesn't exist" → index
            assert insider.get(url).status_code == 200, model
    assert with_rows >= 8  # the demo fills most tables: the check is not vacuous


def test_the_organization_filter_offers_only_the_users_organizations(org, other_org, make_staff):
    Category.objects.create(organization=org, name="Mine")
    Category.objects.create(organization=other_org, name="Theirs")
    page = make_staff(org, "reviewer").get("/admin/aiops/category/")
    assert b"Mine" in page.content and b"Theirs" not in page.content
    assert b"globex" not in page.content and b"acme" in page.content
    assert b"Theirs" in make_staff(None).get("/admin/aiops/category/").content


def test_a_reviewer_cannot_change_memberships_but_an_admin_can(org, make_staff):
    reviewer = make_staff(org, "reviewer")
    membership = Membership.objects.get(user=reviewer.user)
    url = f"/admin/aiops/membership/{membership.pk}/change/"
    data = {"organization": org.pk, "user": reviewer.user.pk, "role": "admin"}
    assert reviewer.post(url, data).status_code == 403
    membership.refresh_from_db()
    assert membership.role == "reviewer"
    admin_client = make_staff(org, "admin")
    assert admin_client.post(url, data).status_code == 302
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_an_agent_membership_gives_no_console_rows(org, make_staff):
    Category.objects.create(organization=org, name="Mine")
    assert changelist(make_staff(org, "agent"), Category).result_count == 0
