from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from aiops.exceptions import DomainError
from aiops.models import Organization
from models_registry.choices import Task
from training import importers, services
from training.choices import ExampleSource
from training.labels import task_label_set


class Command(BaseCommand):
    help = "Import training examples from a CSV or JSONL file (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--org", required=True, help="Organization slug.")
        parser.add_argument("--text-column", required=True)
        parser.add_argument("--label-column", required=True)
        parser.add_argument("--task", default=Task.CATEGORY, choices=Task.values)
        parser.add_argument("--source", default=ExampleSource.IMPORT, choices=ExampleSource.values)
        parser.add_argument("--approve", action="store_true", help="Mark examples approved.")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="Default: from suffix.")

    def handle(self, *args, **opts):
        path = Path(opts["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        organization = Organization.objects.filter(slug=opts["org"]).first()
        if organization is None:
            raise CommandError(f"No organization {opts['org']!r} (issue_token creates one).")
        fmt = opts["format"] or ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv")
        data = path.read_bytes()
        with tqdm(total=importers.count_lines(data), desc="parse", unit="row") as bar:
            try:
                parsed = importers.parse_file(
                    data,
                    fmt=fmt,
                    text_column=opts["text_column"],
                    label_column=opts["label_column"],
                    progress=bar.update,
                )
            except importers.ImportFileError as exc:
                raise CommandError(str(exc)) from exc
        # Labels outside the task's label set are bad rows too, reported with the others.
        valid = task_label_set(organization=organization, task=opts["task"])
        bad_labels = importers.label_errors(parsed.rows, valid)
        errors = sorted(parsed.errors + bad_labels, key=lambda e: e["line"])
        if errors:
            for error in errors[:20]:
                self.stderr.write(f"line {error['line']}: {error['message']}")
            more = len(errors) - 20
            if more > 0:
                self.stderr.write(f"... and {more} more")
            if bad_labels:
                self.stderr.write(f"Valid {opts['task']} labels: {', '.join(valid) or 'none'}.")
            raise CommandError(f"{len(errors)} bad row(s); nothing was imported.")
        with tqdm(total=len(parsed.rows), desc="import", unit="row") as bar:
            try:
                summary = services.examples_import(
                    organization=organization,
                    task=opts["task"],
                    rows=parsed.rows,
                    source=opts["source"],
                    approve=opts["approve"],
                    progress=bar.update,
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Imported {len(parsed.rows)} row(s) into {organization.slug}/{opts['task']}: "
            f"{summary.created} created, {summary.updated} updated, "
            f"{summary.merged_in_file} duplicate(s) merged."
        )
