from django.db import transaction
from django.utils import timezone

from aiops.choices import RESOLVED_STATUSES
from aiops.exceptions import Conflict, InvalidInput
from aiops.models import Category, Organization, Ticket

TICKET_FIELDS = (
    "subject",
    "body",
    "priority",
    "sentiment",
    "channel",
    "customer_ref",
    "status",
    "category",
    "resolution",
)


@transaction.atomic
def ticket_create(*, organization: Organization, **fields) -> Ticket:
    now = timezone.now()
    ticket = Ticket(organization=organization, created_at=fields.pop("created_at", now))
    return ticket_update(ticket=ticket, **fields)


@transaction.atomic
def ticket_update(*, ticket: Ticket, **fields) -> Ticket:
    unknown = set(fields) - set(TICKET_FIELDS)
    if unknown:
        raise TypeError(f"Unknown ticket fields: {sorted(unknown)}")
    category = fields.get("category")
    if category is not None and category.organization_id != ticket.organization_id:
        raise InvalidInput(
            f"Category {category.name!r} belongs to another organization.",
            fields={"category": ["Not a category of the ticket's organization."]},
        )
    for name, value in fields.items():
        setattr(ticket, name, value)
    if ticket.status in RESOLVED_STATUSES and ticket.resolved_at is None:
        ticket.resolved_at = timezone.now()
    elif ticket.status not in RESOLVED_STATUSES:
        ticket.resolved_at = None
    ticket.save()
    return ticket


@transaction.atomic
def category_create(*, organization: Organization, name: str, description: str = "") -> Category:
    if Category.objects.filter(organization=organization, name=name).exists():
        raise Conflict(f"Category {name!r} already exists.", fields={"name": ["Already exists."]})
    return Category.objects.create(organization=organization, name=name, description=description)
