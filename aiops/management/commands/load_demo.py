import os

from django.core.management.base import BaseCommand

from aiops.services.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo organization (once), train and deploy its first models, print logins."

    def handle(self, *args, **options):
        password = os.environ.get("AIOPS_DEMO_ADMIN_PASSWORD", "aiops-demo")
        result = demo_load(admin_password=password)
        org = result.organization
        self.stdout.write(
            f"Organization {org.slug!r}: {result.tickets_created} tickets created "
            f"this time, {org.tickets.count()} in all."
        )
        for line in result.trained:
            self.stdout.write(f"Trained and deployed {line}")
        self.stdout.write(
            "Admin login: admin / " + password + "  (if you created it earlier, your own password)"
        )
        self.stdout.write(
            "Reviewer login: reviewer / " + password + "  (staff, sees only the demo organization)"
        )
        self.stdout.write("API token (admin role, shown once):")
        self.stdout.write(result.token)
