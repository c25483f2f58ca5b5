"""Organizations, memberships and API tokens."""

import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from aiops.choices import Role
from aiops.models import ApiToken, Membership, Organization
from aiops.selectors import api_token_cache_key, token_hash

TOKEN_PREFIX = "aio_"


@transaction.atomic
def organization_ensure(*, slug: str, name: str | None = None) -> Organization:
    org, _ = Organization.objects.get_or_create(slug=slug, defaults={"name": name or slug})
    return org


@transaction.atomic
def membership_ensure(*, organization: Organization, username: str, role: str) -> Membership:
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; expected one of {', '.join(Role.values)}.")
    user, _ = get_user_model().objects.get_or_create(username=username)
    membership, created = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def api_token_issue(*, membership: Membership, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; the returned key is never stored and cannot be shown again."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        membership=membership, name=name, prefix=key[:12], key_hash=token_hash(key)
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        # The post_save receiver (aiops.signals) evicts its cached resolution, as for any
        # change to a token, its membership, user or organization.
        token.save(update_fields=["revoked_at"])
    return token


def api_token_cache_evict(*, key_hashes: Iterable[str]) -> None:
    """Drop the cached resolutions of these tokens, now and again when the surrounding
    transaction commits: a request that read the old rows before the commit may have cached
    them again in between."""
    keys = [api_token_cache_key(key_hash=key_hash) for key_hash in key_hashes]
    if not keys:
        return
    cache.delete_many(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.delete_many(keys), robust=True)
