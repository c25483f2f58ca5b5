import hashlib
from datetime import datetime
from typing import Any

import django
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from aiops.choices import RESOLVED_STATUSES
from aiops.models import ApiToken, Category, Heartbeat, Organization, Ticket


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# Bump the version when ApiToken, Membership, Organization or User change shape: a cached
# pickle from before a migration must not be read as the new model. The Django version is in
# the key for the same reason (a pickled model only loads cleanly into the version that made it).
TOKEN_CACHE_KEY_VERSION = 1
_NOT_LOOKED_UP = object()


def api_token_cache_key(*, key_hash: str) -> str:
    """Keyed by the sha256 of the key, never the key itself."""
    return f"apitoken:{TOKEN_CACHE_KEY_VERSION}:{django.__version__}:{key_hash}"


def api_token_get_active(*, key: str, cached: Any = _NOT_LOOKED_UP) -> ApiToken | None:
    """The unrevoked token for `key`, with its membership, organization and user loaded.

    Read through the cache for AIOPS_TOKEN_CACHE_SECONDS (0: always the database). A caller
    that already fetched `api_token_cache_key(...)` in its own `cache.get_many` passes what it
    got (None on a miss) as `cached`, so the common case costs that one round trip. Only
    active tokens are cached; aiops.signals deletes the entry whenever the token, its
    membership, user or organization changes.
    """
    if not key:
        return None
    key_hash = token_hash(key)
    ttl = settings.AIOPS_TOKEN_CACHE_SECONDS
    if ttl > 0:
        cache_key = api_token_cache_key(key_hash=key_hash)
        if cached is _NOT_LOOKED_UP:
            cached = cache.get(cache_key)
        if (
            isinstance(cached, ApiToken)
            and cached.key_hash == key_hash
            and cached.revoked_at is None
        ):
            return cached
    token = (
        ApiToken.objects.select_related("membership__organization", "membership__user")
        # The password hash has no business in a shared cache.
        .defer("membership__user__password")
        .filter(key_hash=key_hash, revoked_at__isnull=True)
        .first()
    )
    if token is not None and ttl > 0:
        cache.set(cache_key, token, ttl)
    return token


def api_token_key_hashes(**filters: Any) -> list[str]:
    """Hashes of the unrevoked tokens matching `filters`: the cache entries to drop."""
    return list(
        ApiToken.objects.filter(revoked_at__isnull=True, **filters).values_list(
            "key_hash", flat=True
        )
    )


def category_list(*, organization: Organization) -> QuerySet[Category]:
    return Category.objects.filter(organization=organization)


def category_names(*, organization: Organization) -> list[str]:
    """The organization's category names, sorted: one query (the unique (organization, name)
    index answers it)."""
    return list(
        Category.objects.filter(organization=organization)
        .order_by("name")
        .values_list("name", flat=True)
    )


def ticket_list(*, organization: Organization) -> QuerySet[Ticket]:
    return Ticket.objects.filter(organization=organization).select_related("category")


def ticket_resolution_documents(organization_id: int) -> list[tuple[int, str, str]]:
    """(ticket id, subject and body, resolution) of the org's resolved tickets that have a
    resolution, by id: the documents reply suggestion is trained on."""
    rows = (
        Ticket.objects.filter(organization_id=organization_id, status__in=RESOLVED_STATUSES)
        .exclude(resolution="")
        .order_by("pk")
        .values_list("pk", "subject", "body", "resolution")
    )
    return [(pk, f"{subject}\n{body}", resolution) for pk, subject, body, resolution in rows]


CUSTOMER_TICKETS_READ = 20


def ticket_customer_texts(
    *, organization: Organization, ticket_id: int
) -> tuple[list[str], list[str]] | None:
    """(what the customer wrote, the replies they got) over a ticket and that customer's
    latest other tickets (same customer ref): where their name shows. None when the ticket
    is not this organization's."""
    ticket = (
        Ticket.objects.filter(organization=organization, pk=ticket_id)
        .values("subject", "body", "resolution", "customer_ref")
        .first()
    )
    if ticket is None:
        return None
    rows = [(ticket["subject"], ticket["body"], ticket["resolution"])]
    if ticket["customer_ref"]:
        rows += (
            Ticket.objects.filter(organization=organization, customer_ref=ticket["customer_ref"])
            .exclude(pk=ticket_id)
            .order_by("-created_at", "-pk")
            .values_list("subject", "body", "resolution")[: CUSTOMER_TICKETS_READ - 1]
        )
    return [f"{s}\n{b}".strip() for s, b, _ in rows], [r for *_, r in rows if r]


def heartbeat_at(*, name: str) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()
