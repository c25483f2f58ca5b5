"""The helpdesk's admin console: tickets are created and changed through the ticket service,
and what it refuses is a form error, never a 500."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry

from aiops.models import Ticket
from tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db


def _ticket_form(org, **overrides):
    return {
        "organization": org.pk,
        "subject": "Refund not received",
        "body": "I was charged twice.",
        "priority": "high",
        "sentiment": "",
        "channel": "email",
        "customer_ref": "C-1",
        "status": "open",
        "category": "",
        "resolution": "",
        **overrides,
    }


def test_a_ticket_added_in_the_admin_is_created_by_the_service(admin_client, org):
    category = CategoryFactory(organization=org, name="Billing")
    response = admin_client.post(
        "/admin/aiops/ticket/add/",
        _ticket_form(org, category=category.pk, status="resolved", resolution="Refunded."),
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.category == category and ticket.created_at is not None
    assert ticket.resolved_at is not None  # set by `ticket_update` for a resolved ticket
    assert LogEntry.objects.get(object_id=str(ticket.pk)).action_flag == ADDITION


def test_a_ticket_changed_in_the_admin_goes_through_the_service(admin_client, org):
    ticket = TicketFactory(organization=org, status="resolved")
    url = f"/admin/aiops/ticket/{ticket.pk}/change/"
    page = admin_client.get(url)
    assert "organization" not in page.context["adminform"].form.fields
    assert "created_at" not in page.context["adminform"].form.fields
    form = _ticket_form(org, status="open")
    del form["organization"]
    assert admin_client.post(url, form).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == ("open", None)  # reopened by the service
    assert LogEntry.objects.get(object_id=str(ticket.pk)).action_flag == CHANGE


def test_a_ticket_the_service_refuses_is_a_form_error(admin_client, org, other_org):
    foreign = CategoryFactory(organization=other_org, name="Billing")
    response = admin_client.post("/admin/aiops/ticket/add/", _ticket_form(org, category=foreign.pk))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "category" in form.errors and "another organization" in str(form.non_field_errors())
    blank = admin_client.post("/admin/aiops/ticket/add/", _ticket_form(org, subject=""))
    assert blank.status_code == 200 and "subject" in blank.context["adminform"].form.errors
    assert not Ticket.objects.exists() and not LogEntry.objects.exists()
