"""update_by_pk: one row by primary key, values prepared as the ORM prepares them."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from aiops.models import Category, Ticket
from aiops.sql import get_one, insert, insert_linked, update_by_pk

pytestmark = pytest.mark.django_db


def test_it_updates_only_that_row_with_prepared_values(org):
    billing = Category.objects.create(organization=org, name="Billing")
    first, second = (
        Ticket.objects.create(organization=org, subject=f"t{i}", created_at=timezone.now())
        for i in range(2)
    )
    when = timezone.now() - timedelta(days=2)
    assert update_by_pk(Ticket, first.pk, category_id=billing.pk, updated_at=when) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.category, first.updated_at) == (billing, when)
    assert second.category is None and second.updated_at != when


def test_a_missing_row_updates_nothing(org):
    assert update_by_pk(Category, 10**9, name="Nobody") == 0


def test_get_one_reads_the_row_with_its_fields_converted(org, other_org):
    billing = Category.objects.create(organization=org, name="Billing")
    when = timezone.now() - timedelta(days=1)
    ticket = Ticket.objects.create(organization=org, subject="s", category=billing, created_at=when)
    found = get_one(Ticket, organization_id=org.pk, pk=str(ticket.pk))
    assert found == ticket
    assert (found.created_at, found.category_id, found.subject) == (when, billing.pk, "s")
    assert get_one(Category, organization_id=org.pk, name="Billing") == billing


def test_get_one_is_none_when_any_value_differs(org, other_org):
    billing = Category.objects.create(organization=org, name="Billing")
    assert get_one(Category, organization_id=other_org.pk, pk=billing.pk) is None
    assert get_one(Category, organization_id=org.pk, name="billing") is None


def test_insert_saves_the_instance_as_save_would(org):
    billing = Category.objects.create(organization=org, name="Billing")
    when = timezone.now() - timedelta(days=1)
    ticket = insert(Ticket(organization=org, subject="s", category=billing, created_at=when))
    assert ticket.pk is not None and not ticket._state.adding
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.subject, stored.category_id, stored.created_at) == ("s", billing.pk, when)
    assert stored.channel == "web" and stored.status == "open"  # the model's defaults
    assert stored.updated_at == ticket.updated_at and stored.updated_at > when  # auto_now
    made = insert(Category(organization=org, name="Refunds"))
    assert Category.objects.get(pk=made.pk).created_at == made.created_at  # auto_now_add


def test_insert_refuses_a_model_whose_key_the_database_does_not_make():
    from django.contrib.sessions.models import Session

    with pytest.raises(TypeError):
        insert(Session(session_key="k", session_data="", expire_date=timezone.now()))


def test_insert_linked_saves_both_rows_linked(org):
    parent = Category(organization=org, name="Billing")
    child = Ticket(organization=org, subject="s", created_at=timezone.now())
    saved = insert_linked(parent, child, "category")
    assert saved is child and parent.pk is not None and child.pk is not None
    assert Ticket.objects.get(pk=child.pk).category == Category.objects.get(pk=parent.pk)
    assert child.category_id == parent.pk


def test_insert_linked_writes_nothing_when_the_second_row_fails(org):
    parent = Category(organization=org, name="Billing")
    child = Ticket(organization=org, subject=None, created_at=timezone.now())  # NOT NULL
    with pytest.raises(IntegrityError):
        insert_linked(parent, child, "category")
    assert not Category.objects.filter(name="Billing").exists()
    assert not Ticket.objects.exists()


def test_get_one_matches_nothing_beyond_an_integer_column_and_refuses_a_non_number(org):
    billing = Category.objects.create(organization=org, name="Billing")
    assert get_one(Category, organization_id=org.pk, pk=2**63) is None  # the ORM's answer too
    assert not Category.objects.filter(organization=org, pk=2**63).exists()
    assert get_one(Category, organization_id=-(2**63) - 1, pk=billing.pk) is None
    with pytest.raises((TypeError, ValueError)):
        get_one(Category, organization_id=org.pk, pk="abc")


@pytest.mark.django_db(transaction=True)
def test_pipelined_writes_run_in_order_and_fail_as_django_errors(org):
    from django.db import connection, transaction

    from aiops.sql import pipelined

    billing = Category.objects.create(organization=org, name="Billing")
    with transaction.atomic(), pipelined():
        if connection.vendor == "postgresql":
            assert connection.connection._pipeline is not None  # really pipelined
        update_by_pk(Category, billing.pk, name="First")
        update_by_pk(Category, billing.pk, name="Second")
        made = insert(Category(organization=org, name="Refunds"))  # reads its key back
    assert Category.objects.get(pk=billing.pk).name == "Second"
    assert Category.objects.get(pk=made.pk).name == "Refunds"
    with pytest.raises(IntegrityError), transaction.atomic(), pipelined():
        update_by_pk(Category, billing.pk, name="Third")
        update_by_pk(Category, made.pk, name="Third")  # (organization, name) is unique
    assert Category.objects.get(pk=billing.pk).name == "Second"  # nothing was kept
    assert Category.objects.get(pk=made.pk).name == "Refunds"


def test_fetch_builds_instances_from_rows_as_the_orm_does(org, other_org):
    from aiops.sql import fetch, select_from

    when = timezone.now() - timedelta(hours=3)
    made = [
        Ticket.objects.create(organization=o, subject=f"s{i}", created_at=when, priority="high")
        for i, o in enumerate([org, org, other_org])
    ]
    sql = f"{select_from(Ticket)} WHERE organization_id = %s ORDER BY id DESC"
    found = fetch(Ticket, sql, [org.pk])
    assert found == [made[1], made[0]]
    for row in found:
        stored = Ticket.objects.get(pk=row.pk)
        fields = [f.attname for f in Ticket._meta.concrete_fields]
        assert [getattr(row, f) for f in fields] == [getattr(stored, f) for f in fields]
        assert not row._state.adding
    assert fetch(Ticket, sql, [10**9]) == []
