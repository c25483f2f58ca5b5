"""Evict cached token resolutions (aiops.selectors.api_token_get_active) whenever a change
could alter what a token may do. Receivers, not services, because the admin edits these
models directly. Deletes need no receiver of their own beyond ApiToken's: deleting an
organization, user or membership cascades to its tokens, and Django sends post_delete for
each of them since a receiver is connected."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from aiops.models import ApiToken, Membership, Organization
from aiops.selectors import api_token_key_hashes
from aiops.services.tenancy import api_token_cache_evict


def _token_saved(sender, instance: ApiToken, created: bool, **kwargs) -> None:
    if not created:
        api_token_cache_evict(key_hashes=[instance.key_hash])


def _token_deleted(sender, instance: ApiToken, **kwargs) -> None:
    api_token_cache_evict(key_hashes=[instance.key_hash])


def _membership_saved(sender, instance: Membership, created: bool, **kwargs) -> None:
    if not created:
        api_token_cache_evict(key_hashes=api_token_key_hashes(membership_id=instance.pk))


def _organization_saved(sender, instance: Organization, created: bool, **kwargs) -> None:
    if not created:
        api_token_cache_evict(
            key_hashes=api_token_key_hashes(membership__organization_id=instance.pk)
        )


def _user_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    # Every login saves last_login; that changes nothing a token may do.
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    api_token_cache_evict(key_hashes=api_token_key_hashes(membership__user_id=instance.pk))


def connect() -> None:
    post_save.connect(_token_saved, sender=ApiToken, dispatch_uid="aiops-token-saved")
    post_delete.connect(_token_deleted, sender=ApiToken, dispatch_uid="aiops-token-deleted")
    post_save.connect(_membership_saved, sender=Membership, dispatch_uid="aiops-membership")
    post_save.connect(_organization_saved, sender=Organization, dispatch_uid="aiops-org")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="aiops-user")
