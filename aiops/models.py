"""Tenancy (Organization, Membership, ApiToken), the helpdesk (Category, Ticket) and the
records of the AI operations (classifications, suggestions, sentiments)."""

from django.conf import settings
from django.db import models

from aiops.choices import (
    Channel,
    Priority,
    Role,
    SentimentLabel,
    SuggestionType,
    TicketStatus,
)


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


def organization_id_of(organization: "Organization | int") -> int:
    """The id of an organization given as a row or as its id (the raw reads take either)."""
    return getattr(organization, "pk", organization)


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="uniq_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class ApiToken(models.Model):
    """A bearer token for one membership. Only its sha256 is stored; the key is shown once."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a key.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.membership})"


class Category(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "categories"
        verbose_name_plural = "categories"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_category_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tickets")
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    priority = models.CharField(max_length=8, choices=Priority.choices, blank=True)
    sentiment = models.CharField(max_length=8, choices=SentimentLabel.choices, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    customer_ref = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default="open")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    resolution = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tickets"
        indexes = [
            models.Index(fields=["organization", "status"], name="ticket_org_status"),
            models.Index(fields=["organization", "-created_at"], name="ticket_org_created"),
            # a customer's tickets: the filter, and the names a suggested reply redacts
            models.Index(fields=["organization", "customer_ref"], name="ticket_org_customer"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.body}".strip()


class Operation(models.Model):
    """Fields shared by the three AI operation records."""

    # db_index=False: each operation table's (organization, -created_at) index leads with it,
    # so a one-column index would only cost every write an extra index update.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    input_text = models.TextField()
    confidence = models.FloatField()
    processing_time_ms = models.FloatField()
    tokens_used = models.PositiveIntegerField(default=0)
    model_version = models.ForeignKey(
        "models_registry.ModelVersion", on_delete=models.PROTECT, related_name="+"
    )
    inference_log = models.OneToOneField(
        "models_registry.InferenceLog", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    feedback_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class Classification(Operation):
    # Null when the model predicts a label that is no longer a category (renamed or deleted
    # since it was trained): the prediction stays on the inference log, nothing is created.
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    was_accepted = models.BooleanField(null=True, blank=True)
    corrected_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "ai_classifications"
        indexes = [models.Index(fields=["organization", "-created_at"], name="cls_org_created")]


class Suggestion(Operation):
    suggestion_type = models.CharField(
        max_length=16, choices=SuggestionType.choices, default=SuggestionType.RESOLUTION
    )
    content = models.TextField()
    source_references = models.JSONField(default=list, blank=True)
    was_used = models.BooleanField(null=True, blank=True)
    was_helpful = models.BooleanField(null=True, blank=True)

    class Meta:
        db_table = "ai_suggestions"
        indexes = [models.Index(fields=["organization", "-created_at"], name="sug_org_created")]


class SentimentAnalysis(Operation):
    sentiment = models.CharField(max_length=8, choices=SentimentLabel.choices)
    was_accepted = models.BooleanField(null=True, blank=True)
    corrected_sentiment = models.CharField(max_length=8, choices=SentimentLabel.choices, blank=True)

    class Meta:
        db_table = "ai_sentiments"
        verbose_name_plural = "sentiment analyses"
        indexes = [models.Index(fields=["organization", "-created_at"], name="sen_org_created")]


class Heartbeat(models.Model):
    """When a periodic process last proved it runs: `beat` is written by a task that Celery
    beat schedules every minute and a worker runs (both alive). In the database, so every web
    process reads the same value (the embedded default's cache is per process)."""

    name = models.CharField(max_length=32, primary_key=True)
    beat_at = models.DateTimeField()

    class Meta:
        db_table = "aiops_heartbeats"

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
