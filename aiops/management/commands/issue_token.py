from django.core.management.base import BaseCommand, CommandError

from aiops.choices import Role
from aiops.services.tenancy import api_token_issue, membership_ensure, organization_ensure


class Command(BaseCommand):
    help = "Create the organization, user and membership if missing; print a new API token."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug.")
        parser.add_argument("--user", required=True, help="Username.")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="cli", help="A label for the token.")

    def handle(self, *args, org, user, role, name, **options):
        try:
            organization = organization_ensure(slug=org)
            membership = membership_ensure(organization=organization, username=user, role=role)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        _, key = api_token_issue(membership=membership, name=name)
        self.stdout.write(f"Token for {user} ({role}) in {org}; it is shown only once:")
        self.stdout.write(key)
