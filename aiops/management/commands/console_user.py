from django.core.management.base import BaseCommand, CommandError

from aiops.services.console import GROUPS, console_user_ensure
from aiops.services.tenancy import organization_ensure


class Command(BaseCommand):
    help = (
        "Give a user a staff login to the admin console as a reviewer or an admin of an "
        "organization (creating what is missing); they see only that organization's data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug.")
        parser.add_argument("--user", required=True, help="Username.")
        parser.add_argument("--role", required=True, choices=[str(r) for r in GROUPS])
        parser.add_argument("--password", help="Set this password (else keep the current one).")

    def handle(self, *args, org, user, role, password, **options):
        try:
            organization = organization_ensure(slug=org)
            console_user_ensure(
                organization=organization, username=user, role=role, password=password
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{user} is a console {role} of {org} (staff login at /admin/).")
