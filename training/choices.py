from django.db import models


class ExampleSource(models.TextChoices):
    EXPERT = "expert", "Expert"
    REVIEWER = "reviewer", "Reviewer"
    USER_CORRECTION = "user_correction", "User correction"
    USER_ACCEPTANCE = "user_acceptance", "User acceptance"
    IMPORT = "import", "Import"
    AUTOMATED = "automated", "Automated"


class ValidationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class RunTrigger(models.TextChoices):
    MANUAL = "manual", "Manual"
    ACCURACY = "accuracy", "Accuracy below threshold"
    DATA_VOLUME = "data_volume", "New validated data"
    SCHEDULE = "schedule", "Schedule"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ExampleEventAction(models.TextChoices):
    CREATED = "created", "Created"
    MERGED = "merged", "Merged duplicate"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RELABELED = "relabeled", "Relabeled"
    WITHDRAWN = "withdrawn", "Vote withdrawn"
    DISPUTED = "disputed", "Vote disputes the label"


class CandidateAction(models.TextChoices):
    NOTHING = "nothing", "Register only"
    CANARY = "canary", "Start a canary"
    AB_TEST = "ab_test", "Start an A/B test"


class LabelNoiseAction(models.TextChoices):
    EXCLUDE = "exclude", "Leave suspected label noise out of the fit"
    REPORT = "report", "Train on all, report suspected label noise"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    RELABEL = "relabel", "Relabel"
