"""The demo organization: a generated helpdesk, its training data and first models."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from aiops.choices import RESOLVED_STATUSES, Role
from aiops.demo_data import generate_helpdesk
from aiops.models import Category, Organization, Ticket
from aiops.services.console import console_user_ensure
from aiops.services.tenancy import api_token_issue, membership_ensure, organization_ensure
from models_registry.choices import Task
from models_registry.selectors import deployment_get_active
from training.choices import ExampleSource, RunStatus
from training.importers import ParsedRow
from training.services import examples_import, training_run_create, training_run_execute

DEMO_SLUG = "demo"
LABELLED_TASKS = {Task.CATEGORY: "category", Task.PRIORITY: "priority", Task.SENTIMENT: "sentiment"}


@dataclass(frozen=True)
class DemoResult:
    organization: Organization
    tickets_created: int
    trained: list[str]
    token: str


@transaction.atomic
def demo_helpdesk_load(*, organization: Organization, seed: int = 7, n_tickets: int = 2400) -> int:
    """Create the generated categories and tickets once; return how many tickets were made."""
    if Ticket.objects.filter(organization=organization).exists():
        return 0
    helpdesk = generate_helpdesk(seed=seed, n_tickets=n_tickets)
    Category.objects.bulk_create(
        [
            Category(organization=organization, name=c.name, description=c.description)
            for c in helpdesk.categories
        ],
        ignore_conflicts=True,
    )
    categories = {c.name: c for c in Category.objects.filter(organization=organization)}
    now = timezone.now()
    tickets = []
    for t in helpdesk.tickets:
        created = now - timedelta(minutes=t.created_minutes_ago)
        tickets.append(
            Ticket(
                organization=organization,
                subject=t.subject,
                body=t.body,
                priority=t.priority,
                sentiment=t.sentiment,
                channel=t.channel,
                customer_ref=t.customer_ref,
                status=t.status,
                category=categories[t.category],
                resolution=t.resolution,
                created_at=created,
                resolved_at=created + timedelta(hours=4) if t.status in RESOLVED_STATUSES else None,
            )
        )
    Ticket.objects.bulk_create(tickets, batch_size=1000)
    for task, field in LABELLED_TASKS.items():
        rows = [
            ParsedRow(line=i, text=f"{t.subject}\n{t.body}".strip(), label=getattr(t, field))
            for i, t in enumerate(helpdesk.tickets, start=1)
        ]
        examples_import(
            organization=organization,
            task=task,
            rows=rows,
            source=ExampleSource.EXPERT,
            approve=True,
        )
    return len(tickets)


def demo_load(*, admin_password: str, n_tickets: int = 2400) -> DemoResult:
    """Idempotent: a second call creates nothing new but a fresh API token."""
    organization = organization_ensure(slug=DEMO_SLUG, name="Demo Helpdesk")
    created = demo_helpdesk_load(organization=organization, n_tickets=n_tickets)
    user_model = get_user_model()
    admin = user_model.objects.filter(username="admin").first()
    if admin is None:
        admin = user_model.objects.create_superuser("admin", "admin@example.com", admin_password)
    trained = []
    for task in Task.values:
        if deployment_get_active(organization=organization, task=task) is not None:
            continue
        run = training_run_create(organization=organization, task=task, actor=admin, enqueue=False)
        run = training_run_execute(run_id=run.pk)
        if run.status != RunStatus.SUCCEEDED:
            raise RuntimeError(f"Training {task} failed: {run.error}")
        trained.append(
            f"{task} {run.model_version.version} "
            f"(holdout accuracy {run.metrics.get('accuracy', 'n/a')})"
        )
    membership = membership_ensure(organization=organization, username="admin", role=Role.ADMIN)
    # A reviewer's console login, scoped to the demo organization (not a superuser).
    new_reviewer = not user_model.objects.filter(username="reviewer").exists()
    console_user_ensure(
        organization=organization,
        username="reviewer",
        role=Role.REVIEWER,
        password=admin_password if new_reviewer else None,
    )
    _, token = api_token_issue(membership=membership, name="make run")
    return DemoResult(
        organization=organization, tickets_created=created, trained=trained, token=token
    )
