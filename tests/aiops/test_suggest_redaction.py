"""Suggested replies come from other customers' tickets: on the demo helpdesk, neither the
suggest answer nor the fine-tuning export carries that customer's details (issue 11 item 5)."""

import csv
import io
import json
import re

import pytest

from aiops import demo_vocabulary as vocab
from aiops.models import Suggestion, Ticket
from feedback.services import feedback_examples_apply
from training.models import TrainingExample
from training.services.examples import content_hash

pytestmark = pytest.mark.django_db

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
REFERENCE = re.compile(r"\b(?:INV-\d{4}-\d{5}|ORD-\d{6}|CUST-\d{5}|1Z[A-Z0-9]{10})\b")
IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
# The demo's customers and their colleagues (its agents are the helpdesk's own staff).
PEOPLE = (set(vocab.FIRST_NAMES) | set(vocab.LAST_NAMES)) - set(vocab.AGENTS)


def _suggest(client, ticket) -> dict:
    response = client.post("/api/ai/suggest", {"ticketId": ticket.pk}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _source(organization, answer) -> Ticket:
    return Ticket.objects.get(
        organization=organization, pk=answer["sourceReferences"][0]["ticketId"]
    )


def _meis_ticket(organization) -> Ticket:
    """An open demo ticket signed "Thanks, Mei" whose nearest resolved ticket is Rachel's
    (a password reset answered with her e-mail address and her colleague Carlos)."""
    return Ticket.objects.get(
        organization=organization, body__contains="before Thursday", body__endswith="Thanks,\nMei"
    )


def _own_text(ticket) -> str:
    """Everything the ticket's customer wrote or was told: their own details may show."""
    mine = Ticket.objects.filter(organization=ticket.organization, customer_ref=ticket.customer_ref)
    return "\n".join(f"{t.text}\n{t.resolution}" for t in mine)


def _details(source: Ticket, own: str) -> set[str]:
    """The personal data in the source ticket's resolution that is not the current
    customer's own: e-mails, references, IPs and the demo's people's names."""
    raw = source.resolution
    found = set(EMAIL.findall(raw)) | set(REFERENCE.findall(raw)) | set(IP.findall(raw))
    found |= {
        word
        for word in re.findall(r"[\w'’]+", raw)
        if word in PEOPLE and not re.search(rf"(?<![\w'’]){re.escape(word)}(?![\w'’])", own)
    }
    return {d for d in found if d not in own}


def _appears(detail: str, text: str) -> bool:
    return re.search(rf"(?<![\w'’]){re.escape(detail)}(?![\w])", text) is not None


def test_the_suggestion_for_meis_ticket_leaves_rachels_details_out(trained_org, make_client):
    agent = make_client(trained_org, "agent")
    ticket = _meis_ticket(trained_org)
    answer = _suggest(agent, ticket)
    source = _source(trained_org, answer)
    raw = source.resolution
    assert raw.startswith("Hi Rachel, sorry for the trouble.")
    assert "rachel@bluefinlogistics.com" in raw and "check with Carlos" in raw

    reply = answer["suggestion"]
    assert reply.startswith("Hi Mei, sorry for the trouble.")
    assert "a different address than [email]." in reply
    assert "check with [name] if you don't have access" in reply
    for leaked in ("Rachel", "rachel", "bluefinlogistics", "Carlos"):
        assert leaked not in reply
    # The operation record holds what was answered; the other ticket stays as written.
    assert Suggestion.objects.get(pk=answer["operationId"]).content == reply
    assert Ticket.objects.get(pk=source.pk).resolution == raw


def test_a_text_suggestion_greets_the_name_it_signs_with(trained_org, make_client):
    agent = make_client(trained_org, "agent")
    ticket = _meis_ticket(trained_org)
    body = ticket.body.replace("Thanks,\nMei", "Thanks,\nOlga")
    response = agent.post(
        "/api/ai/suggest", {"subject": ticket.subject, "body": body}, format="json"
    )
    reply = response.json()["suggestion"]
    assert reply.startswith("Hi Olga, sorry for the trouble.")
    assert "Rachel" not in reply and "rachel@" not in reply


def test_no_demo_suggestion_carries_another_customers_details(trained_org, make_client):
    agent = make_client(trained_org, "agent")
    open_tickets = Ticket.objects.filter(
        organization=trained_org, status__in=["open", "pending"]
    ).order_by("pk")
    leaks, with_details = [], 0
    for ticket in open_tickets:
        answer = _suggest(agent, ticket)
        source = _source(trained_org, answer)
        if source.customer_ref == ticket.customer_ref:
            continue
        details = _details(source, _own_text(ticket))
        with_details += bool(details)
        leaks += [(ticket.pk, source.pk, d) for d in details if _appears(d, answer["suggestion"])]
    assert with_details >= 50  # most answers came with someone else's details to take out
    assert leaks == []


def _export(client, fmt) -> list[tuple[str, str]]:
    params = {"view": "export", "format": fmt, "task": "suggestion", "status": "all"}
    response = client.get("/api/ai/train", params)
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content).decode()
    if fmt == "csv":
        rows = csv.DictReader(io.StringIO(body, newline=""))
        return [(r["input_text"], r["expected_output"]) for r in rows]
    if fmt == "openai":
        records = [json.loads(line)["messages"] for line in body.splitlines()]
        return [(m[1]["content"], m[2]["content"]) for m in records]
    return [(i["inputText"], i["expectedOutput"]) for i in json.loads(body)]


def test_the_export_takes_other_customers_details_out_of_stored_replies(trained_org, make_client):
    """Suggestion examples whose reply is another ticket's resolution word for word (as
    stored before replies were redacted) leave without that customer's details."""
    agent, admin = make_client(trained_org, "agent"), make_client(trained_org, "admin")
    tickets = [_meis_ticket(trained_org)] + list(
        Ticket.objects.filter(organization=trained_org, status="open").order_by("pk")[:15]
    )
    expected = {}
    for ticket in tickets:
        source = _source(trained_org, _suggest(agent, ticket))
        if source.customer_ref != ticket.customer_ref and ticket.text not in expected:
            expected[ticket.text] = (source.resolution, _details(source, _own_text(ticket)))
    TrainingExample.objects.bulk_create(
        TrainingExample(
            organization=trained_org,
            task="suggestion",
            input_text=text,
            expected_output=raw,
            source="user_acceptance",
            validation_status="approved",
            content_hash=content_hash(text),
        )
        for text, (raw, _) in expected.items()
    )

    assert sum(bool(details) for _, details in expected.values()) >= 8
    meis = _meis_ticket(trained_org).text
    for fmt in ("json", "csv", "openai"):
        exported = dict(_export(admin, fmt))
        assert set(exported) == set(expected)
        for text, (_, details) in expected.items():
            assert [d for d in details if _appears(d, exported[text])] == [], (fmt, exported[text])
        assert exported[meis].startswith("Hi Mei, sorry for the trouble.")
        assert "a different address than [email]." in exported[meis]
    stored = TrainingExample.objects.get(
        organization=trained_org, task="suggestion", input_text=meis
    )
    assert "rachel@bluefinlogistics.com" in stored.expected_output  # stored as it was


def test_a_used_suggestion_becomes_an_example_without_them_too(trained_org, make_client):
    """Elena's ticket gets Chloe's short answer, which names her colleague Patrick: the
    example the feedback makes holds the redacted reply, and the export keeps its greeting."""
    agent, admin = make_client(trained_org, "agent"), make_client(trained_org, "admin")
    ticket = Ticket.objects.get(
        organization=trained_org,
        body__contains="All appointments show one hour off",
        body__endswith="Elena Garcia\nSilverline Logistics",
    )
    answer = _suggest(agent, ticket)
    raw = _source(trained_org, answer).resolution
    assert raw.startswith("Hello Chloe,") and "Patrick's user" in raw
    assert answer["suggestion"].startswith("Hello Elena,")
    assert "[name]'s user" in answer["suggestion"]
    feedback = {
        "operationType": "suggestion",
        "operationId": answer["operationId"],
        "feedback": "positive",
        "wasUsed": True,
        "wasHelpful": True,
    }
    assert agent.post("/api/ai/feedback", feedback, format="json").status_code == 201
    feedback_examples_apply()
    example = TrainingExample.objects.get(organization=trained_org, task="suggestion")
    assert example.expected_output == answer["suggestion"]
    for fmt in ("json", "csv"):
        reply = dict(_export(admin, fmt))[ticket.text]
        assert reply == answer["suggestion"]  # the name it greets stays: the ticket's own
        assert "Chloe" not in reply and "Patrick" not in reply
