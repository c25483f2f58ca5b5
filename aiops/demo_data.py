"""Reproducible synthetic helpdesk for the demo organisation.

Pure module (standard library only, no Django): ``generate_helpdesk(seed=..., n_tickets=...)``
returns frozen dataclasses that a seeding command can turn into ``Category`` and ``Ticket``
rows. The wording tables live in :mod:`aiops.demo_vocabulary`.

How the labels relate to the text, so that models trained on it have something to learn:

- category: each ticket is written from one sub-issue ("intent") of its category. A few
  percent are deliberately ambiguous and also describe an intent of a related category
  (e.g. Billing vs Refunds & Returns), so a text classifier cannot be perfect.
- priority: drawn from the intent's prior (outages and security incidents lean high, feature
  requests low), then usually, but not always, expressed with urgency cues ("ASAP",
  "down for all users", "no rush"), occasionally with a misleading one.
- sentiment: drawn from the intent's prior, usually expressed with tone phrases (angry,
  matter-of-fact, thankful), with some noise.
- resolution: resolved and closed tickets carry an agent-written answer for the same intent,
  with the ticket's own details (order number, amount, integration, ...) filled in.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from itertools import accumulate

from aiops import demo_vocabulary as vocab

__all__ = ["DemoCategory", "DemoHelpdesk", "DemoTicket", "generate_helpdesk"]

PRIORITIES = ("low", "medium", "high")
SENTIMENTS = ("negative", "neutral", "positive")
CHANNELS = ("email", "chat", "phone", "web")
CHANNEL_WEIGHTS = (0.45, 0.25, 0.10, 0.20)
SPAN_MINUTES = 90 * 24 * 60

AMBIGUOUS_RATE = 0.10  # tickets that also describe an intent of a related category
URGENCY_CUE_RATE = 0.70  # chance that a ticket's priority is voiced in the text
MISLEADING_CUE_RATE = 0.10  # of voiced cues, the wrong level
TONE_RATE = 0.75  # chance that a non-neutral sentiment is voiced in the text
MISLEADING_TONE_RATE = 0.06


@dataclass(frozen=True)
class DemoCategory:
    name: str
    description: str


@dataclass(frozen=True)
class DemoTicket:
    subject: str
    body: str
    category: str
    priority: str  # "low" | "medium" | "high"
    sentiment: str  # "negative" | "neutral" | "positive"
    channel: str  # "email" | "chat" | "phone" | "web"
    customer_ref: str
    status: str  # "open" | "pending" | "resolved" | "closed"
    resolution: str  # agent answer for resolved/closed tickets, "" otherwise
    created_minutes_ago: int


@dataclass(frozen=True)
class DemoHelpdesk:
    categories: tuple[DemoCategory, ...]
    tickets: tuple[DemoTicket, ...]


@dataclass(frozen=True)
class _Customer:
    ref: str
    first_name: str
    last_name: str
    company: str
    domain: str
    plan: str


def generate_helpdesk(*, seed: int = 7, n_tickets: int = 2400) -> DemoHelpdesk:
    """Generate the demo helpdesk; the same seed always gives the same output."""
    rng = random.Random(seed)
    categories = tuple(
        DemoCategory(name=c["name"], description=c["description"]) for c in vocab.CATEGORIES
    )
    by_name = {c["name"]: c for c in vocab.CATEGORIES}
    customers = _make_customers(rng, max(40, n_tickets // 4))
    # A few customers write in a lot, most only once or twice.
    customer_cum = list(accumulate(1.0 / (i + 1) ** 0.7 for i in range(len(customers))))

    tickets = []
    for _ in range(n_tickets):
        category = rng.choice(vocab.CATEGORIES)
        customer = rng.choices(customers, cum_weights=customer_cum)[0]
        tickets.append(_make_ticket(rng, category, customer, by_name))
    tickets.sort(key=lambda t: -t.created_minutes_ago)  # oldest first, like an export
    return DemoHelpdesk(categories=categories, tickets=tuple(tickets))


# --- customers and slots ---------------------------------------------------------------


def _make_customers(rng: random.Random, n: int) -> list[_Customer]:
    refs = rng.sample(range(1, 100_000), n)
    customers = []
    for ref in refs:
        company = f"{rng.choice(vocab.COMPANY_WORDS)} {rng.choice(vocab.COMPANY_KINDS)}"
        domain = company.lower().replace(" ", "") + rng.choice((".com", ".co", ".io", ".net"))
        customers.append(
            _Customer(
                ref=f"CUST-{ref:05d}",
                first_name=rng.choice(vocab.FIRST_NAMES),
                last_name=rng.choice(vocab.LAST_NAMES),
                company=company,
                domain=domain,
                plan=rng.choices(vocab.PLANS, weights=(3, 4, 2, 1))[0],
            )
        )
    return customers


def _amount(rng: random.Random) -> str:
    value = rng.choice((19, 29, 49, 79, 99, 149, 199, 249, 349, 499, 899, 1188, 2400))
    value = value * rng.choice((1, 1, 1, 2, 3)) + rng.choice((0, 0, 0.5, 0.99, 0.15))
    currency = rng.choices(("$", "€", "£"), weights=(7, 2, 1))[0]
    return f"{currency}{value:,.2f}"


def _other(rng: random.Random, options: tuple[str, ...], not_this: str) -> str:
    return rng.choice([o for o in options if o != not_this])


def _ticket_slots(rng: random.Random, customer: _Customer) -> dict[str, str]:
    first = customer.first_name
    email_local = rng.choice((first.lower(), f"{first[0]}.{customer.last_name}".lower()))
    browser = rng.choice(vocab.BROWSERS)
    amount = _amount(rng)
    hour, minute = rng.randint(6, 22), rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50, 55))
    return {
        "brand": vocab.BRAND,
        "first_name": first,
        "last_name": customer.last_name,
        "full_name": f"{first} {customer.last_name}",
        "company": customer.company,
        "domain": customer.domain,
        "email": f"{email_local.replace(' ', '').replace(chr(39), '')}@{customer.domain}",
        "plan": customer.plan,
        "plan2": _other(rng, vocab.PLANS, customer.plan),
        "customer_ref": customer.ref,
        "colleague": _other(rng, vocab.FIRST_NAMES, first),
        "agent": rng.choice(vocab.AGENTS),
        "product": rng.choice(vocab.PRODUCTS),
        "hardware": rng.choice(vocab.HARDWARE),
        "device": rng.choice(vocab.DEVICES),
        "browser": browser,
        "browser2": _other(rng, vocab.BROWSERS, browser),
        "os": rng.choice(vocab.OPERATING_SYSTEMS),
        "app_version": f"{rng.randint(3, 5)}.{rng.randint(0, 19)}.{rng.randint(0, 9)}",
        "error_code": rng.choice(("ERR-", "E", "code ")) + str(rng.randint(100, 9999)),
        "amount": amount,
        "amount2": _other(rng, tuple(_amount(rng) for _ in range(3)), amount),
        "last4": f"{rng.randint(0, 9999):04d}",
        "invoice": f"INV-{rng.choice((2023, 2024, 2025))}-{rng.randint(1, 99999):05d}",
        "order": f"ORD-{rng.randint(100000, 999999)}",
        "tracking": "1Z" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=10)),
        "carrier": rng.choice(vocab.CARRIERS),
        "date": _date(rng),
        "weekday": rng.choice(vocab.WEEKDAYS),
        "month": rng.choice(vocab.MONTHS),
        "time": f"{hour % 12 or 12}:{minute:02d}{'am' if hour < 12 else 'pm'}",
        "days": str(rng.randint(2, 21)),
        "count": str(rng.choice((3, 5, 8, 12, 15, 20, 25, 40, 60, 120, 250, 800, 3000))),
        "seats": str(rng.randint(2, 30)),
        "minutes": str(rng.choice((10, 15, 20, 30, 45, 60, 90))),
        "years": str(rng.randint(2, 8)),
        "integration": rng.choice(vocab.INTEGRATIONS),
        "feature": rng.choice(vocab.FEATURES),
        "report": rng.choice(vocab.REPORTS),
        "file_type": rng.choice(vocab.FILE_TYPES),
        "country": rng.choice(vocab.COUNTRIES),
        "city": rng.choice(vocab.CITIES),
        "webhook_event": rng.choice(vocab.WEBHOOK_EVENTS),
        "endpoint": rng.choice(vocab.ENDPOINTS),
        "ip": f"{rng.choice((45, 91, 103, 185, 198, 203))}.{rng.randint(0, 255)}."
        f"{rng.randint(0, 255)}.{rng.randint(1, 254)}",
    }


def _date(rng: random.Random) -> str:
    month, day = rng.choice(vocab.MONTHS), rng.randint(1, 28)
    suffix = "th" if 10 < day < 14 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return rng.choice((f"{month} {day}", f"{day} {month}", f"{month} {day}{suffix}"))


# --- ticket assembly -------------------------------------------------------------------


def _make_ticket(
    rng: random.Random, category: dict, customer: _Customer, by_name: dict[str, dict]
) -> DemoTicket:
    intent = rng.choice(category["intents"])
    slots = _ticket_slots(rng, customer)
    priority = rng.choices(PRIORITIES, weights=vocab.PRIORITY_PRIORS[intent["priority"]])[0]
    sentiment = rng.choices(SENTIMENTS, weights=vocab.SENTIMENT_PRIORS[intent["sentiment"]])[0]
    channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]

    other_intent = None
    if rng.random() < AMBIGUOUS_RATE:
        other_category = by_name[rng.choice(category["confusable_with"])]
        other_intent = rng.choice(other_category["intents"])

    subject_intent = other_intent if other_intent and rng.random() < 0.5 else intent
    subject = _subject(rng, subject_intent, priority, channel).format_map(slots)
    body = _body(rng, category, intent, other_intent, priority, sentiment, channel)
    body = body.format_map(slots)
    if rng.random() < (0.35 if channel == "chat" else 0.12):
        body = _add_typos(rng, body)
    if channel == "chat" and rng.random() < 0.3:
        body = body.lower()

    created = rng.randrange(SPAN_MINUTES)
    status = _status(rng, created)
    resolution = ""
    if status in ("resolved", "closed"):
        resolution = _resolution(rng, intent, status).format_map(slots)
    return DemoTicket(
        subject=subject[:300],
        body=body,
        category=category["name"],
        priority=priority,
        sentiment=sentiment,
        channel=channel,
        customer_ref=customer.ref,
        status=status,
        resolution=resolution,
        created_minutes_ago=created,
    )


def _subject(rng: random.Random, intent: dict, priority: str, channel: str) -> str:
    subject = rng.choice(intent["subjects"])
    if priority == "high" and rng.random() < 0.3:
        subject = rng.choice(vocab.URGENT_SUBJECT_PREFIXES) + subject
    elif rng.random() < 0.15:
        subject = rng.choice(vocab.SUBJECT_PREFIXES) + subject
    if rng.random() < 0.35:
        subject = subject.rstrip("?") + rng.choice(vocab.SUBJECT_SUFFIXES)
    if channel == "phone" and rng.random() < 0.5:
        subject = rng.choice(vocab.PHONE_SUBJECT_PREFIXES) + subject
    if channel in ("chat", "web") and rng.random() < 0.25:
        subject = subject.lower()
    return subject


def _body(
    rng: random.Random,
    category: dict,
    intent: dict,
    other_intent: dict | None,
    priority: str,
    sentiment: str,
    channel: str,
) -> str:
    # The problem statement and a shuffled subset of supporting details.
    n_details = rng.choices((0, 1, 2, 3), (2, 4, 3, 2))[0] if other_intent is None else 0
    details = rng.sample(intent["details"], k=n_details)
    core = [rng.choice(intent["leads"]), *details]
    if rng.random() < 0.2 and len(core) > 1:
        core.insert(1, core.pop(0))  # sometimes the details come first
    if other_intent is not None:
        extra = [rng.choice(other_intent["leads"]), *rng.sample(other_intent["details"], k=1)]
        core = extra + core if rng.random() < 0.5 else core + extra

    context = rng.sample(vocab.CONTEXT_SENTENCES, k=rng.choices((0, 1, 2), (5, 4, 1))[0])
    if rng.random() < (0.5 if category.get("tech") else 0.06):
        context.append(rng.choice(vocab.TECH_CONTEXT_SENTENCES))
    sentences = list(core)
    for sentence in context:
        sentences.insert(rng.randint(0, len(sentences)), sentence)

    if rng.random() < URGENCY_CUE_RATE:
        level = priority
        if rng.random() < MISLEADING_CUE_RATE:
            level = rng.choice([p for p in PRIORITIES if p != priority])
        cue = rng.choice(vocab.URGENCY_CUES[level])
        sentences.insert(rng.randint(1, len(sentences)), cue)
    if rng.random() < 0.4:
        sentences.append(rng.choice(vocab.GENERIC_ASKS))

    voiced = sentiment == "neutral" or rng.random() < TONE_RATE
    tone = sentiment if voiced else "neutral"
    if rng.random() < MISLEADING_TONE_RATE:
        tone = rng.choice([s for s in SENTIMENTS if s != sentiment])
    if rng.random() < (0.65 if tone != "neutral" else 0.3):
        sentences.insert(0, rng.choice(vocab.TONE_OPENERS[tone]))
    if rng.random() < (0.55 if tone != "neutral" else 0.35):
        sentences.append(rng.choice(vocab.TONE_CLOSERS[tone]))

    text = _paragraphs(rng, sentences) if channel == "email" else " ".join(sentences)
    if channel == "email":
        if rng.random() < 0.8:
            text = rng.choice(vocab.GREETINGS) + "\n\n" + text
        if rng.random() < 0.7:
            text += "\n\n" + rng.choice(vocab.SIGN_OFFS)
    elif channel == "phone":
        text = rng.choice(vocab.PHONE_PREFIXES) + " " + text
    elif channel == "web":
        text = rng.choice(vocab.WEB_FORM_HEADERS) + text
    elif channel == "chat" and rng.random() < 0.5:
        text = rng.choice(("hi ", "hello ", "hey, ", "Hi there. ")) + text
    return text


def _paragraphs(rng: random.Random, sentences: list[str]) -> str:
    if len(sentences) < 4 or rng.random() < 0.4:
        return " ".join(sentences)
    cut = rng.randint(2, len(sentences) - 1)
    return " ".join(sentences[:cut]) + "\n\n" + " ".join(sentences[cut:])


def _add_typos(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(words))
        word = words[i]
        if word in vocab.MISSPELLINGS and rng.random() < 0.7:
            words[i] = vocab.MISSPELLINGS[word]
            continue
        if len(word) < 5 or not word.isalpha() or "{" in word:
            continue
        j = rng.randrange(1, len(word) - 1)
        kind = rng.randrange(3)
        if kind == 0:
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]  # swap
        elif kind == 1:
            words[i] = word[:j] + word[j + 1 :]  # drop
        else:
            words[i] = word[:j] + word[j] + word[j:]  # double
    return " ".join(words)


def _status(rng: random.Random, created_minutes_ago: int) -> str:
    age_days = created_minutes_ago / (24 * 60)
    if age_days < 3:
        weights = (0.45, 0.30, 0.20, 0.05)
    elif age_days < 14:
        weights = (0.22, 0.20, 0.43, 0.15)
    else:
        weights = (0.14, 0.16, 0.38, 0.32)
    return rng.choices(("open", "pending", "resolved", "closed"), weights=weights)[0]


def _resolution(rng: random.Random, intent: dict, status: str) -> str:
    parts = [rng.choice(intent["resolutions"])]
    if rng.random() < 0.75:
        parts.insert(0, rng.choice(vocab.AGENT_OPENERS))
    if rng.random() < 0.75:
        parts.append(rng.choice(vocab.AGENT_CLOSERS))
    if status == "closed" and rng.random() < 0.3:
        parts.append(rng.choice(vocab.CLOSING_NOTES))
    return "\n\n".join(parts)
