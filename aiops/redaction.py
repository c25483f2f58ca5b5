"""Personal data out of text written for one customer before it is shown to another.

Pure module (standard library only, no Django, no database). A suggested reply is another
ticket's resolution: ``redact`` replaces what identifies that ticket's customer with
placeholders (``[email]``, ``[phone]``, ``[reference]``, ``[card]``, ``[ip]``, ``[domain]``,
``[url]``, ``[name]``) and the greeting's name with the current customer's first name (or
``[customer]``). ``customer_name`` finds a customer's name in their own tickets (sign-offs,
"Call from ...") and in the replies they got ("Hi Tom, ...").

Patterns, not a model: e-mail addresses, phone numbers (international, North American,
national trunk-0 and "phone: ..." forms), card numbers and "card ending in 1234", IBANs,
IP addresses, account / order / invoice / ticket / tracking references, domains and URLs are
recognised by their shape; names by the greeting ("Hi Tom,", "Dear Ms Taylor,", "...,
Tom."), by the names the caller knows, and by a list of common given names and surnames.
A name that is none of those (an unusual name in the middle of a sentence) is not found.
Amounts, dates, durations ("2 days"), versions ("3.2.1") and product names stay.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CUSTOMER",
    "CustomerName",
    "capitalised_words",
    "customer_name",
    "redact",
]

EMAIL = "[email]"
PHONE = "[phone]"
REFERENCE = "[reference]"
CARD = "[card]"
IP = "[ip]"
DOMAIN = "[domain]"
URL = "[url]"
NAME = "[name]"
CUSTOMER = "[customer]"

# Documentation and test domains (RFC 2606, RFC 6761): never a real person's address.
RESERVED_TLDS = ("example", "test", "invalid", "localhost")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# fmt: off
_TLDS = (
    "com", "net", "org", "edu", "gov", "io", "co", "ai", "app", "dev", "info", "biz", "me",
    "us", "uk", "de", "fr", "es", "it", "nl", "be", "ch", "at", "se", "no", "dk", "fi", "ie",
    "pl", "pt", "cz", "gr", "hu", "ro", "ca", "au", "nz", "in", "jp", "cn", "kr", "sg", "hk",
    "br", "mx", "ar", "za", "eu", "tech", "shop", "store", "online", "site", "xyz", "cloud",
    "email", "agency", "studio", "health", "dental", "consulting", "services", "solutions",
)

# Common given names and surnames from many languages. Names that are also ordinary English
# words are in _WORD_NAMES and count as a name only away from the start of a sentence.
_GIVEN_NAMES = _words("""
Aaron Abdul Abigail Adam Adrian Ahmed Aisha Akira Alan Alberto Alejandro Aleksandr Alex
Alexander Alexandra Alexis Ali Alice Alicia Alina Alison Amanda Amara Amelia Amir Amit Amy
Ana Andrea Andreas Andrei Andrew Andy Angela Anita Ann Anna Anne Annie Anthony Antoine
Antonio Anya Arjun Arthur Ashley Astrid Aya Ayesha Barbara Beatriz Ben Benjamin Bernard
Beth Bianca Bob Boris Brandon Brian Bruno Bryan Caitlin Camila Camille Carla Carlos
Carmen Caroline Casey Catherine Charles Charlie Charlotte Chen Chiara Chloe Chris
Christian Christina Christine Christopher Claire Clara Claudia Connor Craig Cristina
Daniel Daniela Danielle Darius David Deborah Deepak Denise Derek Diana Diego Dimitri
Dmitri Dominic Donna Dylan Eduardo Elena Eleanor Eli Elias Elif Elijah Elizabeth Ella
Ellen Emily Emil Emilia Emma Enrique Eric Erik Erin Esther Ethan Eva Evan Fabian Fatima
Felix Fernando Fiona Francesca Francesco Francisco Frank Freya Gabriel Gabriela Gareth
George Georgia Gerald Gianluca Giovanni Giulia Grace Graham Greg Gregory Gustavo Hamid
Hana Hannah Hans Harry Hassan Heather Helen Helena Henrik Henry Hiroshi Hugo Hussein Ian
Ibrahim Igor Ines Ingrid Irene Isaac Isabel Isabella Isabelle Ivan Jack Jacob Jake James
Jamie Jan Jana Jane Janet Jasmine Jason Javier Jean Jennifer Jenny Jens Jeremy Jessica
Jill Jim Joanna Joao Joe Johan Johanna John Jonas Jonathan Jordan Jorge Jose Joseph
Joshua Juan Julia Julian Juliana Julie Jun Justin Kai Karen Karim Karin Karl Kate
Katherine Kathryn Katie Kenji Kevin Khalid Kim Kiran Klaus Kofi Kristin Kwame Lara Lars
Laura Lauren Layla Leila Lena Leo Leon Leonardo Liam Lily Linda Lisa Liu Logan Lorenzo
Louis Louise Lucas Lucia Lucy Luis Luisa Lukas Luke Magnus Maja Malik Manuel Marco
Marcus Margaret Maria Mariana Marie Marina Mario Marta Martin Mary Mateo Matteo Matthew
Matthias Maya Megan Mehmet Mei Melissa Mia Michael Michelle Miguel Mikael Mike Mila
Ming Miriam Mohammed Mohamed Muhammad Monica Morgan Nadia Naomi Natalia Natalie Nathan
Neil Nicholas Nick Nicola Nicole Niklas Nikolai Nina Noah Nora Oliver Olivia Omar Oscar
Pablo Paolo Patricia Patrick Paul Paula Pavel Pedro Peter Philip Pierre Pieter Priya
Rachel Rafael Rahul Raj Rajesh Ramon Rebecca Ricardo Richard Riley Rita Robert Roberto
Robin Roman Ryan Sabrina Samir Samuel Sam Sandra Sanjay Sara Sarah Sean Sebastian Sergei
Sergio Shira Simon Simone Sofia Sophia Sophie Stefan Stefanie Stephanie Stephen Steven
Sunil Susan Sven Takeshi Tamara Tanya Tariq Teresa Thomas Tim Timothy Tobias Tom Tomas
Tony Tyler Valentina Vanessa Vera Victor Victoria Vikram Vincent Wei Wendy William Xavier
Yara Yasmin Yuki Yusuf Zainab Zara Zoe
""")

_SURNAMES = _words("""
Abbott Adams Ahmed Akhtar Ali Allen Alvarez Andersen Anderson Andersson Bailey Becker
Bennett Bergstrom Bianchi Brown Bruno Campbell Carter Castillo Chen Clarke Cohen Collins
Costa Cruz Davies Davis Diaz Dubois Edwards Evans Fernandez Ferrari Fischer Flores Garcia
Gomez Gonzalez Gupta Hansen Harris Hernandez Hoffmann Hughes Ivanov Ivanova Jackson Jansen
Jensen Johansson Johnson Jones Kaur Khan Kim Kowalski Kumar Larsen Lee Lewis Lopez Martin
Martinez Mensah Meyer Moreau Morris Muller Müller Murphy Nakamura Nguyen Nielsen Novak
Nowak Okafor Olsen Ortiz Patel Perez Petrov Phillips Rahman Ramirez Reyes Richter Roberts
Robinson Rodriguez Romano Rossi Russo Sanchez Santos Sato Schmidt Schneider Schulz Shah
Silva Singh Smith Suzuki Tanaka Taylor Thomas Thompson Torres Turner Wagner Walker Wang
Watanabe Weber Williams Wilson Wright Yamamoto Yilmaz Zhang O'Brien O'Connor O'Neill
Kelly Walsh Byrne Ryan Dunne Gallagher Kennedy Sullivan
""")

_WORD_NAMES = _words("""
Grace Frank Jack Jordan Kim Lee Martin Morgan Robin Young Brown Bruno Cruz Rose Victoria
Georgia Jean Jan Mark Will Bill May June Hope Joy Faith Summer Chase Hunter Page
""")

# Capitalised words a greeting or sign-off has that are not names.
_NOT_NAMES = _words("""
All Again Admin Afternoon Best Billing Cheers Customer Dear Evening Everyone Everybody Folks
Friend Friends Good Guys Hello Hey Hi Kind Many Morning Regards Sales Sent Sir Madam Support
Team Thanks Thank There Welcome Yours
""")
# fmt: on

_HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?"
# A word: letters, with inner apostrophes or hyphens (O'Brien, Anne-Marie, Müller); whether
# it may be a name (capitalised, not an acronym, not "Team") is _is_name's to say.
_WORD = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*"
_NAMES = rf"{_WORD}(?:[ \t]+{_WORD}){{0,2}}"

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,})(?![\w-])"
)
_URL = re.compile(r"\b(?:https?://|www\.)([^\s/?#<>\"']+)[^\s<>\"']*", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?<![\w@.-])((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:"
    + "|".join(_TLDS)
    + r"))(?![\w-])(?!\.[A-Za-z0-9])"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD_NUMBER = re.compile(r"(?<![\d.,-])\d(?:[ -]?\d){12,18}(?![\d.,]\d|\d)")
_CARD_TAIL = re.compile(
    r"\b(?:ending(?:\s+(?:in|with))?|last\s+(?:four|4)(?:\s+digits)?(?:\s+(?:are|of))?)"
    r"[\s:]*(?:[*xX•]+[\s-]?)?(\d{4})\b",
    re.IGNORECASE,
)
_MASKED_CARD = re.compile(r"(?:\*{2,}|[xX•]{4})[ -]?\d{4}\b")
_PHONE_PATTERNS = (
    # International: +44 20 7946 0958, +1 (555) 123-4567, 0049 30 1234567
    re.compile(
        r"(?<![\w+.,])(?:\+|00)\d{1,3}(?:[ .-]?(?:\(\d{1,5}\)|\d{1,5})){2,6}(?![\w]|[.,-]\d)"
    ),
    # North American: (555) 123-4567, 555-123-4567, 555.123.4567, 1-555-123-4567
    re.compile(r"(?<![\w.,-])(?:1[ .-])?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]\d{4}(?![\w]|[.,-]\d)"),
    # National with a trunk 0: 020 7946 0958, 07700 900123, 0170 1234567
    re.compile(r"(?<![\w.,-])0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}(?![\w]|[.,-]\d)"),
)
_PHONE_LABELLED = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|fax|whatsapp|sms|call\s+(?:me\s+)?(?:at|on)|"
    r"text\s+(?:me\s+)?(?:at|on))(?:\s+(?:number|no\.?|#))?\s*[:.-]?\s*"
    r"(\+?\d[\d ().-]{4,18}\d)(?![\w]|[.,-]\d)",
    re.IGNORECASE,
)
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\w]|\.\d)"
)
_IPV6 = re.compile(
    r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])"
    r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4}(?![\w:])"
)
_KEYWORD_REFERENCE = re.compile(
    r"\b(?:account|acct|customer|client|member(?:ship)?|order|invoice|inv|ticket|case|"
    r"booking|reservation|contract|policy|reference|ref|confirmation|tracking|shipment|"
    r"parcel|consignment|transaction|txn|receipt|subscription|user|id)\b\.?"
    r"(?:\s+(?:no\.?|number|num|nr\.?|id|ref|code))?\s*(?:[:#=]\s*|#)?"
    r"((?=[A-Za-z0-9/_-]*\d)[A-Za-z0-9][A-Za-z0-9/_-]{2,})(?![\w-])",
    re.IGNORECASE,
)
# Standard names that look like references: ISO-27001, CVE-2024-1234, ERR-1234 (an error
# code names a bug, nobody's account).
_NOT_REFERENCE_PREFIXES = _words(
    "ERR ERROR ISO IEC CVE RFC HTTP HTTPS UTF SHA TLS SSL AES RSA COVID PCI SOC GDPR FY"
)
_PREFIXED_REFERENCE = re.compile(
    r"\b([A-Z]{2,6})(?:[-_][A-Z]{2,6})*[-_]?\d[A-Z0-9]*(?:[-_/][A-Z0-9]+)*\b"
)
_HASH_REFERENCE = re.compile(r"(?<![\w&])#\d{3,}\b")
# Tracking numbers, licence keys: 8+ capitals and digits, at least two digits.
_CODE = re.compile(r"\b(?=[A-Z0-9]*[A-Z])(?=(?:[A-Z]*\d){2})[A-Z0-9]{8,}\b|\b1Z[A-Z0-9]{8,16}\b")
_LONG_NUMBER = re.compile(r"(?<![\d.,])\d{8,}(?![\d.,]\d|\d)")

_GREETING = re.compile(
    rf"^[ \t]*(?i:hi|hello|hey|hiya|dear|greetings|good[ \t]+(?:morning|afternoon|evening|day))"
    rf",?[ \t]+((?:{_HONORIFIC}[ \t]+)?{_NAMES}(?:[ \t]+(?:and|&)[ \t]+{_NAMES})?)"
    r"(?=[ \t]*(?:[,!.:;\n]|$))",
    re.MULTILINE,
)
# "Thanks for contacting Cloudpeak Support, Tom." / "Thank you, Anna!"
_VOCATIVE = re.compile(
    rf"^[ \t]*(?i:thanks|thank[ \t]+you|many[ \t]+thanks|welcome)\b[^\n]*?,[ \t]+"
    rf"((?:{_HONORIFIC}[ \t]+)?{_NAMES})[ \t]*[.!]?[ \t]*$",
    re.MULTILINE,
)
_SIGN_OFF = re.compile(
    r"(?im)^[ \t]*(?:thanks|thank\s+you|many\s+thanks|best|best\s+regards|kind\s+regards|"
    r"warm\s+regards|regards|cheers|sincerely|all\s+the\s+best|yours(?:\s+truly)?)[ \t]*[,!.]?"
    rf"[ \t]*\n[ \t]*({_NAMES})[ \t]*(?:\(|$)",
)
_DASH_SIGN_OFF = re.compile(rf"(?m)^[ \t]*[-–—][ \t]*({_NAMES})[ \t]*$")
_SENT_FROM = re.compile(rf"(?m)^[ \t]*({_NAMES})[ \t]*\n[ \t]*Sent from my\b")
# "Call from Tom Hernandez: ...", "My name is Elena and ...": the capitalised words that follow.
_INTRODUCTION = re.compile(rf"\b(?i:call\s+from|my\s+name\s+is)[ \t]+({_NAMES})")
_WORD_RE = re.compile(_WORD)


def _is_name(word: str) -> bool:
    letters = word.replace("'", "").replace("’", "").replace("-", "")
    return (
        len(letters) >= 2 and word[0].isupper() and not letters.isupper() and word not in _NOT_NAMES
    )


def _names_in(span: str) -> list[str]:
    """The name words of a matched greeting or sign-off (honorifics and "and" left out)."""
    words = _WORD_RE.findall(span)
    names = [w for w in words if w not in ("and",) and not re.fullmatch(_HONORIFIC, w)]
    return names if names and all(_is_name(w) for w in names) else []


@dataclass(frozen=True)
class CustomerName:
    first: str
    last: str = ""

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}".strip()


def customer_name(*, texts: Iterable[str] = (), replies: Iterable[str] = ()) -> CustomerName | None:
    """The customer's name, by vote: from the sign-offs and introductions of the texts they
    wrote (their tickets) and the greetings of the replies they got. None when unknown."""
    firsts: Counter[str] = Counter()
    fulls: Counter[tuple[str, str]] = Counter()

    def vote(words: list[str], weight: int) -> None:
        if not words:
            return
        firsts[words[0]] += weight
        if len(words) > 1:
            fulls[(words[0], words[-1])] += weight

    for text in texts:
        text = text or ""
        lowered = text.lower()
        # (the substring checks spare most texts the slower patterns)
        patterns = [_SIGN_OFF, _DASH_SIGN_OFF]
        if "sent from my" in lowered:
            patterns.append(_SENT_FROM)
        for pattern in patterns:
            for match in pattern.finditer(text):
                vote(_names_in(match.group(1)), 1)
        if "call from" not in lowered and "my name is" not in lowered:
            continue
        for match in _INTRODUCTION.finditer(text):
            words = _WORD_RE.findall(match.group(1))
            cut = next((i for i, w in enumerate(words) if not _is_name(w)), len(words))
            vote(words[:cut], 1)
    for reply in replies:
        for pattern in (_GREETING, _VOCATIVE):
            match = pattern.search(reply or "")  # the first greeting: the customer's
            if match and " and " not in match.group(1) and "&" not in match.group(1):
                vote(_names_in(match.group(1)), 2)
                break
    if not firsts:
        return None
    first = max(firsts, key=lambda n: (firsts[n], n))
    lasts = {last: n for (f, last), n in fulls.items() if f == first}
    last = max(lasts, key=lambda n: (lasts[n], n)) if lasts else ""
    return CustomerName(first=first, last=last)


def capitalised_words(text: str) -> set[str]:
    """The words of `text` that could be names (for `redact`'s keep_names)."""
    return {w for w in _WORD_RE.findall(text or "") if _is_name(w)}


def _kept(host: str, keep_domains: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    if host.rsplit(".", 1)[-1] in RESERVED_TLDS:
        return True
    return any(host == d or host.endswith("." + d) for d in keep_domains)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t\"'“‘(")
    return not before or before[-1] in ".!?:\n"


def _word_pattern(words: Iterable[str]) -> re.Pattern | None:
    words = sorted({w for w in words if w and w.strip()}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<![\w'’-])(?:" + "|".join(map(re.escape, words)) + r")(?![\w-])")


def redact(
    text: str,
    *,
    customer: str | None = None,
    customer_names: Iterable[str] = (),
    other_names: Iterable[str] = (),
    keep_names: Iterable[str] = (),
    keep_domains: Iterable[str] = (),
) -> str:
    """`text` with its personal data replaced.

    customer: the first name of the customer the text is for now; the greeting's name and
        `customer_names` become it (``[customer]`` when None).
    customer_names: the names of the customer the text was written for.
    other_names: further names of people in the text (``[name]``).
    keep_names: names that belong to the current customer's own ticket and may stay.
    keep_domains: the organization's own domains (addresses and links there stay).
    """
    if not text:
        return text
    keep_domains = tuple(d.lower().strip(".") for d in keep_domains if d)
    keep_names = {n for n in keep_names if n}
    person = customer or CUSTOMER
    spans: list[tuple[int, int, str]] = []

    def add(start: int, end: int, replacement: str) -> None:
        spans.append((start, end, replacement))

    for m in _EMAIL.finditer(text):
        if not _kept(m.group(1), keep_domains):
            add(m.start(), m.end(), EMAIL)
    for m in _URL.finditer(text):
        host = m.group(1).split("@")[-1].split(":")[0]
        if not _kept(host, keep_domains):
            add(m.start(), m.end(), URL)
    for m in _IBAN.finditer(text):
        if sum(c.isdigit() for c in m.group()) >= 8:
            add(m.start(), m.end(), REFERENCE)
    for m in _CARD_NUMBER.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if _luhn(digits):
            add(m.start(), m.end(), CARD)
    for m in _CARD_TAIL.finditer(text):
        add(m.start(1), m.end(1), CARD)
    for m in _MASKED_CARD.finditer(text):
        add(m.start(), m.end(), CARD)
    for pattern in _PHONE_PATTERNS:
        for m in pattern.finditer(text):
            if 7 <= sum(c.isdigit() for c in m.group()) <= 15:
                add(m.start(), m.end(), PHONE)
    for m in _PHONE_LABELLED.finditer(text):
        if sum(c.isdigit() for c in m.group(1)) >= 6:
            add(m.start(1), m.end(1), PHONE)
    for pattern in (_IPV4, _IPV6):
        for m in pattern.finditer(text):
            add(m.start(), m.end(), IP)
    for m in _KEYWORD_REFERENCE.finditer(text):
        value = m.group(1)
        digits = sum(c.isdigit() for c in value)
        letters = any(c.isalpha() for c in value)
        if (value.isdigit() and digits >= 3) or digits >= 4 or (letters and len(value) >= 6):
            add(m.start(1), m.end(1), REFERENCE)
    for m in _PREFIXED_REFERENCE.finditer(text):
        if m.group(1) not in _NOT_REFERENCE_PREFIXES and sum(c.isdigit() for c in m.group()) >= 4:
            add(m.start(), m.end(), REFERENCE)
    for pattern in (_HASH_REFERENCE, _CODE, _LONG_NUMBER):
        for m in pattern.finditer(text):
            prefix = re.match(r"[A-Z]*", m.group()).group()
            if prefix not in _NOT_REFERENCE_PREFIXES:
                add(m.start(), m.end(), REFERENCE)
    for m in _DOMAIN.finditer(text):
        if not _kept(m.group(1), keep_domains):
            add(m.start(), m.end(), DOMAIN)

    for pattern in (_GREETING, _VOCATIVE):
        for m in pattern.finditer(text):
            names = _names_in(m.group(1))
            if names and not (len(names) == 1 and names[0] in keep_names):
                add(m.start(1), m.end(1), person)
    for names, replacement in (
        (customer_names, person),
        ([n for n in other_names if n not in keep_names], NAME),
    ):
        known = _word_pattern(names)
        for m in known.finditer(text) if known else ():
            if not (m.group() in _WORD_NAMES and _sentence_start(text, m.start())):
                add(m.start(), m.end(), replacement)
    for m in _WORD_RE.finditer(text):
        word = m.group()
        base = re.sub(r"['’]s$", "", word)
        if base in keep_names or not (base in _GIVEN_NAMES or base in _SURNAMES):
            continue
        if base in _WORD_NAMES and _sentence_start(text, m.start()):
            continue
        add(m.start(), m.start() + len(base), NAME)

    # Earliest first, the longest of those starting together; overlapping ones are dropped.
    out, position = [], 0
    for start, end, replacement in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        if start < position:
            continue
        out.append(text[position:start])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)
