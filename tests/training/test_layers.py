"""Training gets the rows it fits from the layer that owns them: it never reads tickets."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from aiops.exceptions import InvalidInput

# What training may take from aiops: tenancy, errors, the API plumbing, non-helpdesk choices.
ALLOWED = {
    "aiops.models": {"Organization"},
    "aiops.exceptions": None,  # any
    "aiops.choices": {"Role", "ROLE_RANK"},
    "aiops.api.permissions": None,
    "aiops.api.fields": None,
    "aiops.api.serializer_base": None,
    "aiops.api.filters": None,
    "aiops.api.viewsets": None,
    "aiops.admin_base": None,
    "aiops.charts": None,  # the console's plotly rendering
    "aiops.redaction": None,  # pure text: the export takes personal data out of replies
}


def _aiops_imports():
    for path in sorted((Path(settings.BASE_DIR) / "training").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aiops"):
                yield path.name, node.module, {alias.name for alias in node.names}
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("aiops"):
                        yield path.name, alias.name, set()


def test_training_imports_nothing_of_the_helpdesk():
    for filename, module, names in _aiops_imports():
        assert module in ALLOWED, f"{filename} imports {module}"
        allowed = ALLOWED[module]
        assert allowed is None or names <= allowed, f"{filename}: {module} {names - allowed}"


def test_documents_come_from_the_registered_source(db, monkeypatch):
    from training import documents
    from training.documents import document_rows, register_document_source

    monkeypatch.setattr(documents, "_sources", dict(documents._sources))
    calls = []
    register_document_source("test-task", lambda org_id: calls.append(org_id) or [(1, "t", "a")])
    assert document_rows(organization_id=7, task="test-task") == [(1, "t", "a")]
    assert calls == [7]
    with pytest.raises(InvalidInput):
        document_rows(organization_id=7, task="no-such-task")


def test_aiops_registers_the_resolved_tickets_for_suggestion(trained_org):
    from aiops.models import Ticket
    from training.documents import document_rows

    rows = document_rows(organization_id=trained_org.pk, task="suggestion")
    resolved = Ticket.objects.filter(
        organization=trained_org, status__in=["resolved", "closed"]
    ).exclude(resolution="")
    assert [r[0] for r in rows] == sorted(resolved.values_list("pk", flat=True))
    ticket = resolved.get(pk=rows[0][0])
    assert rows[0][1:] == (f"{ticket.subject}\n{ticket.body}", ticket.resolution)
