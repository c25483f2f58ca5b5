from django.db import models


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    REVIEWER = "reviewer", "Reviewer"
    ADMIN = "admin", "Admin"
    # A machine client (e.g. the helpdesk back end calling an external model): it may report
    # inference logs and nothing else, not even reads.
    SERVICE = "service", "Service (machine client)"


# The people's roles, each allowed what the one before it is; SERVICE is outside the ladder.
ROLE_RANK = {Role.AGENT: 0, Role.REVIEWER: 1, Role.ADMIN: 2}


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class SentimentLabel(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    WEB = "web", "Web"


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


RESOLVED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class SuggestionType(models.TextChoices):
    RESOLUTION = "resolution", "Resolution from similar tickets"
