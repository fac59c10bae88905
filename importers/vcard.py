"""vCard (2.1, 3.0, 4.0) -> Contact rows, plus Account + WORKS_AT from ORG.

Cards by ``KIND``: ``individual`` (the default) -> Contact; ``org`` -> Account; ``group`` and
``location`` have no place in the model and are noted (``card_skipped``), not silently dropped.

Ids: ``vcard:<UID>`` (``urn:uuid:`` prefix dropped) so that two cards with one UID are one contact
(the second is noted as ``merged``), else ``vcard:email:<first address>``, else
``vcard:name:<slug of FN>``. Organisations: ``vcard:org:<slug of name>`` so that a person's ORG and an
organisation card of the same name meet. ORG's extra components (units) become the department.
The preferred value (``PREF=1`` or ``TYPE=pref``) wins for email and phone; other addresses go to
``other_emails``. Less common properties (NICKNAME, BDAY, ROLE, CATEGORIES, URL) go to ``custom``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from importers.common import emit_node, require_file, without_none
from importers.contentlines import Component, ContentLine, decoded_value, iter_components, split_escaped, unescape
from importers.rows import NodeRow, Note, Reject, RelRow, Row, ext_id, name_id
from importers.values import domain_from_url, normalise_email, parse_date


def parse_vcard(path: Path, *, namespace: str = "vcard") -> Iterator[Row]:
    """Parse a .vcf file (any number of cards), or every .vcf in a folder (sorted)."""
    files = sorted(path.glob("*.vcf")) if path.is_dir() else [require_file(path)]
    seen: set[str] = set()
    orgs: set[str] = set()
    for file in files:
        for item in iter_components(file, "VCARD"):
            if isinstance(item, Reject):
                yield Reject(item.source, item.location, item.reason, item.raw, "Contact")
                continue
            yield from _card(item, file.name, namespace, seen, orgs)


def _pref(lines: list[ContentLine]) -> list[ContentLine]:
    """Preferred first: ``PREF=1`` (4.0) or ``TYPE=pref`` (3.0), then file order."""

    def rank(line: ContentLine) -> int:
        pref = line.param("PREF")
        if pref and pref.isdigit():
            return int(pref)
        return 1 if "pref" in line.types() else 101

    return sorted(lines, key=rank)


def _text(card: Component, name: str) -> str | None:
    line = card.first(name)
    if line is None:
        return None
    value = unescape(decoded_value(line)).strip()
    return value or None


def _card(card: Component, source: str, namespace: str, seen: set[str], orgs: set[str]) -> Iterator[Row]:
    location = f"line {card.line}"
    for problem in card.problems:
        yield Note(source, location, problem, "vcard_property_skipped", "Contact")
    kind = (_text(card, "KIND") or "individual").lower()
    if kind == "org":
        yield from _org_card(card, source, namespace, orgs)
        return
    if kind in ("group", "location"):
        label = _text(card, "FN") or "?"
        yield Note(source, location, f"{kind} card {label!r} skipped: no such record in the model", "card_skipped")
        return
    emails = [e for e in (normalise_email(decoded_value(line)) for line in _pref(card.all("EMAIL"))) if e]
    name = _full_name(card) or (emails[0] if emails else None)
    if name is None:
        yield Reject(source, location, "card has no FN, N or EMAIL", card.raw, "Contact")
        return
    contact_id = _contact_id(card, namespace, emails, name)
    if contact_id in seen:
        yield Note(source, location, f"card {contact_id} seen before; merged (later values win)", "merged", "Contact")
    seen.add(contact_id)
    props, problems = _contact_props(card, name, emails)
    checked = list(emit_node(NodeRow("Contact", contact_id, props), source, location, card.raw, problems))
    yield from checked
    if any(isinstance(r, NodeRow) for r in checked):
        yield from _works_at(card, contact_id, source, namespace, orgs)


def _full_name(card: Component) -> str | None:
    fn = _text(card, "FN")
    if fn:
        return fn
    n = card.first("N")
    if n is None:
        return None
    parts = [*split_escaped(decoded_value(n), ";"), "", "", "", "", ""]
    family, given, additional, prefix, suffix = (p.strip() for p in parts[:5])
    return " ".join(p for p in (prefix, given, additional, family, suffix) if p) or None


def _contact_id(card: Component, namespace: str, emails: list[str], name: str) -> str:
    uid = _text(card, "UID")
    if uid:
        return ext_id(namespace, uid.removeprefix("urn:uuid:"))
    if emails:
        return ext_id(f"{namespace}:email", emails[0])
    return name_id(f"{namespace}:name", name)


def _contact_props(card: Component, name: str, emails: list[str]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    n = card.first("N")
    parts = (split_escaped(decoded_value(n), ";") if n else []) + ["", ""]
    phones = [_phone(line) for line in _pref(card.all("TEL"))]
    city, country = _address(card)
    urls = [unescape(decoded_value(u)).strip() for u in card.all("URL")]
    linkedin = next((u for u in urls if "linkedin.com" in u.lower()), None)
    custom = without_none(
        {
            "nickname": _text(card, "NICKNAME"),
            "birthday": _iso_date(_text(card, "BDAY"), problems),
            "role": _text(card, "ROLE"),
            "categories": _text(card, "CATEGORIES"),
            "urls": [u for u in urls if u and u != linkedin],
            "other_phones": [p for p in phones[1:] if p],
        }
    )
    props = {
        "name": name,
        "first_name": parts[1].strip() or None,
        "last_name": parts[0].strip() or None,
        "email": emails[0] if emails else None,
        "other_emails": emails[1:],
        "phone": phones[0] if phones else None,
        "title": _text(card, "TITLE"),
        "department": _org(card)[1],
        "city": city,
        "country": country,
        "linkedin_url": linkedin,
        "notes": _text(card, "NOTE"),
        "custom": custom,
    }
    return without_none(props), problems


def _iso_date(value: str | None, problems: list[str]) -> str | None:
    if not value:
        return None
    try:
        return parse_date(value[:10] if "-" in value else value[:8]).isoformat()
    except ValueError:
        problems.append(f"BDAY: not a date: {value[:30]!r}")
        return None


def _phone(line: ContentLine) -> str:
    return unescape(decoded_value(line)).strip().removeprefix("tel:")


def _address(card: Component) -> tuple[str | None, str | None]:
    """(city, country) of the preferred ADR, work addresses before home ones."""
    lines = _pref(card.all("ADR"))
    lines.sort(key=lambda line: 0 if "work" in line.types() else 1)
    if not lines:
        return None, None
    parts = split_escaped(decoded_value(lines[0]), ";") + [""] * 7
    return parts[3].strip() or None, parts[6].strip() or None


def _org(card: Component) -> tuple[str | None, str | None]:
    """(organisation name, units joined as a department) from ORG."""
    line = card.first("ORG")
    if line is None:
        return None, None
    parts = [p.strip() for p in split_escaped(decoded_value(line), ";") if p.strip()]
    if not parts:
        return None, None
    return parts[0], " / ".join(parts[1:]) or None


def _works_at(card: Component, contact_id: str, source: str, namespace: str, orgs: set[str]) -> Iterator[Row]:
    org, department = _org(card)
    if org is None:
        return
    account_id = name_id(f"{namespace}:org", org)
    if account_id not in orgs:
        orgs.add(account_id)
        yield from emit_node(NodeRow("Account", account_id, {"name": org}), source, f"line {card.line}", card.raw)
    job = without_none({"title": _text(card, "TITLE"), "department": department})
    yield RelRow("WORKS_AT", "Contact", contact_id, "Account", account_id, job)


def _org_card(card: Component, source: str, namespace: str, orgs: set[str]) -> Iterator[Row]:
    """An organisation's own card: an Account with its domain, city and country."""
    location = f"line {card.line}"
    name = _org(card)[0] or _text(card, "FN")
    if name is None:
        yield Reject(source, location, "org card has no ORG or FN", card.raw, "Account")
        return
    account_id = name_id(f"{namespace}:org", name)
    problems: list[str] = []
    url = _text(card, "URL")
    domain = None
    if url:
        try:
            domain = domain_from_url(url)
        except ValueError as exc:
            problems.append(f"URL: {exc}")
    city, country = _address(card)
    emails = [e for e in (normalise_email(decoded_value(line)) for line in card.all("EMAIL")) if e]
    phones = [_phone(line) for line in _pref(card.all("TEL"))]
    custom = without_none(
        {"email": emails[0] if emails else None, "phone": phones[0] if phones else None, "unit": _org(card)[1]}
    )
    props = without_none({"name": name, "domain": domain, "city": city, "country": country, "custom": custom})
    orgs.add(account_id)
    yield from emit_node(NodeRow("Account", account_id, props), source, location, card.raw, problems)
