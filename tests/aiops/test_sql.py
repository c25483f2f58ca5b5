"""update_by_pk: one row by primary key, values prepared as the ORM prepares them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aiops.models import Category, Ticket
from aiops.sql import update_by_pk

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
