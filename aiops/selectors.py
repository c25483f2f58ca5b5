import hashlib

from django.db.models import QuerySet

from aiops.models import ApiToken, Category, Organization, Ticket


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_get_active(*, key: str) -> ApiToken | None:
    if not key:
        return None
    return (
        ApiToken.objects.select_related("membership__organization", "membership__user")
        .filter(key_hash=token_hash(key), revoked_at__isnull=True)
        .first()
    )


def category_list(*, organization: Organization) -> QuerySet[Category]:
    return Category.objects.filter(organization=organization)


def ticket_list(*, organization: Organization) -> QuerySet[Ticket]:
    return Ticket.objects.filter(organization=organization).select_related("category")
