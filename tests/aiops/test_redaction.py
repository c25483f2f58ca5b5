"""The redaction of suggested replies (aiops.redaction): personal data out, ordinary text kept."""

import re

import pytest

from aiops import demo_data
from aiops import demo_vocabulary as vocab
from aiops.redaction import CustomerName, capitalised_words, customer_name, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # e-mail addresses
        ("Confirmation has been sent to t.taylor@pinecrestcafe.io.", "sent to [email]."),
        ("Write to Anna.Schmidt+billing@mail.acme-dental.co.uk today", "Write to [email] today"),
        ("I've unlocked FATIMA@BLUEFINDENTAL.IO.", "I've unlocked [email]."),
        # phone numbers
        ("Call +44 20 7946 0958 to confirm.", "Call [phone] to confirm."),
        ("Her number is +1 (555) 123-4567.", "Her number is [phone]."),
        ("Reach him on 555-123-4567 or (555) 987 6543.", "on [phone] or [phone]."),
        ("Call the office on 020 7946 0958 or 07700 900123.", "on [phone] or [phone]."),
        ("Berlin office: 0049 30 1234567.", "Berlin office: [phone]."),
        ("Phone: 5550199", "Phone: [phone]"),
        ("You can call me at 555 0199 after lunch.", "call me at [phone] after"),
        # cards and bank accounts
        ("Refunded to the card ending in 4242.", "the card ending in [card]."),
        ("The card 4111 1111 1111 1111 was declined.", "The card [card] was declined."),
        ("Charged to **** 4242 twice.", "Charged to [card] twice."),
        ("Its last four digits are 0042.", "digits are [card]."),
        ("Pay to GB82 WEST 1234 5698 7654 32 please.", "Pay to [reference] please."),
        ("IBAN DE89370400440532013000.", "IBAN [reference]."),
        # account, order, invoice, ticket, tracking references
        ("I've emailed a PDF copy of INV-2024-00123 to you.", "copy of [reference] to"),
        ("Order ORD-482913 shipped on May 3.", "Order [reference] shipped on May 3."),
        ("Our account is CUST-04512.", "Our account is [reference]."),
        ("The reference is RF-ORD-482913.", "The reference is [reference]."),
        ("Your order 123456 is packed.", "Your order [reference] is packed."),
        ("See order #98765 and ticket 664.", "See order [reference] and ticket [reference]."),
        ("Account number: 12345678.", "Account number: [reference]."),
        ("Tracking 1Z999AA10123456784 shows no movement.", "Tracking [reference] shows"),
        ("I opened an investigation with DHL for 1ZQWERTYUIOP.", "DHL for [reference]."),
        ("Booking ref: AB12CD34.", "Booking ref: [reference]."),
        # addresses on the network
        ("The failed attempts came from an unfamiliar IP (203.0.113.7).", "IP ([ip])."),
        ("It was used from 2001:db8:85a3::8a2e:370:7334 twice.", "used from [ip] twice."),
        ("SPF/DKIM records for harborbakery.net were removed.", "records for [domain] were"),
        ("Their shop https://acme-dental.com/book?id=5 is down.", "shop [url] is down."),
        # names: the greeting's becomes the current customer, others a placeholder
        ("Hi Tariq, thanks for reaching out.", "Hi Tom, thanks for reaching out."),
        ("Hello Tariq Taylor,\n\nDone.", "Hello Tom,\n\nDone."),
        ("Dear Ms. Taylor, your refund is on its way.", "Dear Tom, your refund"),
        ("Hi Tariq!\n\nDone.", "Hi Tom!\n\nDone."),
        ("Thanks for contacting Cloudpeak Support, Tariq.\n\nDone.", "Support, Tom.\n\nDone."),
        ("Check with Carlos if you don't have access.", "Check with [name] if you"),
        ("I've transferred Zara's records to your user.", "transferred [name]'s records"),
        ("Names like O'Brien and Müller are found correctly now.", "like [name] and [name] are"),
        ("I've unlocked you and Grace this time.", "unlocked you and [name] this"),
    ],
)
def test_personal_data_is_replaced(text, expected):
    assert expected in redact(text, customer="Tom")


def test_greeting_without_a_current_name_gets_a_placeholder():
    assert redact("Hi Tariq, done.") == "Hi [customer], done."
    assert redact("Good morning Xiomara,\nDone.") == "Good morning [customer],\nDone."


def test_the_source_customers_known_names_go_anywhere_they_appear():
    text = "Xiomara asked us to cc Quispe; Xiomara Quispe is the account owner."
    redacted = redact(
        text, customer="Tom", customer_names=["Xiomara Quispe", "Xiomara"], other_names=["Quispe"]
    )
    assert redacted == "Tom asked us to cc [name]; Tom is the account owner."


def test_a_known_name_that_is_also_a_word_is_left_at_the_start_of_a_sentence():
    text = "Will this work? Please ask Will to confirm."
    assert (
        redact(text, customer_names=["Will"]) == "Will this work? Please ask [customer] to confirm."
    )


def test_kept_names_and_domains_stay():
    text = "Hi Ben, I've added Grace. Mail no-reply@cloudpeak.example or help@ourdesk.com."
    redacted = redact(text, keep_names={"Ben", "Grace"}, keep_domains=["ourdesk.com"])
    assert redacted == text


@pytest.mark.parametrize(
    "text",
    [
        "Refunds take 5-10 business days; it should arrive in 2 days.",
        "Please update to version 3.2 (or 5.12.3) and restart.",
        "The refund of $1,188.00 was processed on 22 January; €49.99 on 2024-05-01.",
        "Go to Settings > Billing > Invoices and download them as a ZIP.",
        "Accounts lock for 30 minutes after 10 failed attempts.",
        "It works on Chrome on Windows 11, macOS Sonoma, iPhone 15 and Pixel 8.",
        "Error ERR-5021 was a bug in our Zapier app; HTTP 502 errors are gone.",
        "We are ISO-27001 certified and publish a SOC 2 Type II report under NDA.",
        "Our phone lines are open from 9:00 to 17:30, 24/7 for Enterprise.",
        "Grace periods last 7 days. May is our busiest month.",
        "The UTF-8 export in report.pdf, settings.py and Node.js works with ASP.NET.",
        "Hi team, thanks for the 10:30 call about the Hub Pro on the Growth plan.",
        "Hello there, we have 250 staff and 12 locations; order 3 more seats.",
        "The login from Canada was a VPN; enable 2FA under Settings > Security.",
        "Invoice totals now round per invoice instead of per line (about 0.01 each).",
        "Shipping to Leeds takes 3-5 days with Royal Mail or DPD.",
        "Use the /v2/orders endpoint with the order.updated webhook event.",
        "Thank you so much for the kind words! I've shared them with the whole team.",
        "We rolled back release 2024.05 and the app version 4.12.3 is fine.",
    ],
)
def test_ordinary_text_is_left_alone(text):
    personal = "Hi Tariq,\n\nSent to t.taylor@acme.io.\n\n"
    assert redact(personal + text, customer="Tom") == f"Hi Tom,\n\nSent to [email].\n\n{text}"


def test_redaction_is_idempotent_and_total():
    text = "Hi Tariq,\n\nSent to t.taylor@acme.io, order ORD-482913, call +44 20 7946 0958."
    once = redact(text, customer="Tom")
    assert once == "Hi Tom,\n\nSent to [email], order [reference], call [phone]."
    assert redact(once, customer="Tom") == once
    assert redact("") == ""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Help!\n\nThanks,\nTom", CustomerName("Tom")),
        ("Help!\n\nBest,\nTom Hernandez\nAcme Dental", CustomerName("Tom", "Hernandez")),
        ("Help!\n\nKind regards,\nLaura O'Brien", CustomerName("Laura", "O'Brien")),
        ("Help!\n\nThank you,\nMei (Quartz Labs)", CustomerName("Mei")),
        ("Help!\n\n- Kwame", CustomerName("Kwame")),
        ("Help!\n\nFatima Murphy\nSent from my phone", CustomerName("Fatima", "Murphy")),
        ("Call from Tom Hernandez: card declined", CustomerName("Tom", "Hernandez")),
        ("My name is Elena and the export fails.", CustomerName("Elena")),
        ("Dear Support Team,\n\nThe export fails. Thanks.", None),
        ("hi the export fails, thanks", None),
    ],
)
def test_customer_name_from_what_they_wrote(body, expected):
    assert customer_name(texts=[body]) == expected


def test_customer_name_from_the_replies_they_got_outweighs_a_signature():
    name = customer_name(
        texts=["Broken.\n\nThanks,\nJo"],
        replies=["Hi Joanna, thanks for reaching out.\n\nFixed.", "Hello Joanna,\n\nDone."],
    )
    assert name == CustomerName("Joanna")
    assert customer_name(replies=["Hi team,\n\nDone."]) is None


def test_capitalised_words_are_name_candidates():
    assert capitalised_words("Ben and GRACE met Tom at the ZIP office") == {"Ben", "Tom"}


def _demo_tickets_with_their_details(n_tickets):
    """The demo's tickets with the slot values they were written from (the generator's
    customer names, e-mails and references), captured as the generator fills them in."""
    captured = []
    real = demo_data._ticket_slots

    def spy(rng, customer):
        captured.append(real(rng, customer))
        return captured[-1]

    demo_data._ticket_slots = spy
    try:
        made = []
        real_make = demo_data._make_ticket

        def make(*args):
            made.append(real_make(*args))
            return made[-1]

        demo_data._make_ticket = make
        try:
            demo_data.generate_helpdesk(seed=7, n_tickets=n_tickets)
        finally:
            demo_data._make_ticket = real_make
    finally:
        demo_data._ticket_slots = real
    return list(zip(made, captured, strict=True))


def test_no_demo_customer_detail_survives_in_any_demo_resolution():
    """Every resolution of the demo helpdesk (`make run`'s seed) without its customer's
    name, e-mail, domain, references or colleagues; nothing is passed but the new name."""
    keys = ("first_name", "last_name", "email", "domain", "customer_ref", "colleague")
    keys += ("last4", "invoice", "order", "tracking", "ip")
    people = set(vocab.FIRST_NAMES) | set(vocab.LAST_NAMES)
    checked = 0
    for ticket, slots in _demo_tickets_with_their_details(2400):
        if not ticket.resolution:
            continue
        checked += 1
        redacted = redact(ticket.resolution, customer="Zed")
        for key in keys:
            pattern = r"(?<![\w'’-])" + re.escape(slots[key]) + r"(?![\w-])"
            assert not re.search(pattern, redacted), (key, ticket.resolution, redacted)
        assert not people & set(re.findall(r"[\w'’]+", redacted)), redacted
        assert "@" not in redacted.replace("@cloudpeak.example", "")
    assert checked > 1000
