"""Candidate duplicates among contacts and accounts: scored, explained, and never merged here.

Pure functions over plain dicts (whatever the repositories return), so they can run on an import's
rows before writing or on the whole tenant in a batch job. A person decides; this module ranks.

Blocking keeps it far from O(n^2): records are only compared when they share a blocking key, an
email address, a phone number, a phonetic key of the last name with the first initial (nicknames
folded first: "Bob" blocks with "Robert"), or a domain / name key for accounts. A key shared by more
than ``max_block`` records (a switchboard number, "Smith J") is not expanded pairwise; its records
are sorted by name and only compared within a sliding window (sorted-neighbourhood), so the
worst case is O(n * window).

Scores combine independent evidence by noisy-OR, ``1 - prod(1 - w_i)``, so two weak signals
together outrank one, and no single weak signal reaches certainty:

- same email: 0.9; same mailbox name at another domain: 0.3; same phone: 0.5
- name: Jaro-Winkler of last names and of (nickname-folded) first names, counted from 0.85 up to
  0.7 for identical names; strongly different last names halve the total (a shared switchboard)
- same account: 0.3; shared neighbours (``neighbours`` mapping, e.g. people they email):
  0.4 x Jaccard
- accounts: same domain 0.85; legal-form-free names from 0.85 similarity up to 0.75; same parent 0.2
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Final

from rapidfuzz.distance import JaroWinkler

from importers.values import domain_from_url, normalise_email, phone_key

NICKNAMES: Final[dict[str, str]] = {
    **dict.fromkeys(("bob", "bobby", "rob", "robbie", "bert"), "robert"),
    **dict.fromkeys(("bill", "billy", "will", "willy", "liam"), "william"),
    **dict.fromkeys(("jim", "jimmy", "jamie"), "james"),
    **dict.fromkeys(("mike", "mikey", "mick", "micky"), "michael"),
    **dict.fromkeys(("dick", "rick", "ricky", "rich", "richie"), "richard"),
    **dict.fromkeys(("tom", "tommy"), "thomas"),
    **dict.fromkeys(("tony",), "anthony"),
    **dict.fromkeys(("kate", "katie", "kathy", "cathy", "kat", "catherine", "kathryn"), "katherine"),
    **dict.fromkeys(("liz", "lizzie", "beth", "betty", "eliza", "elisabeth"), "elizabeth"),
    **dict.fromkeys(("jen", "jenny", "jenn"), "jennifer"),
    **dict.fromkeys(("dave", "davy"), "david"),
    **dict.fromkeys(("dan", "danny"), "daniel"),
    **dict.fromkeys(("joe", "joey"), "joseph"),
    **dict.fromkeys(("sam", "sammy"), "samuel"),
    **dict.fromkeys(("steve", "stephen", "stevie"), "steven"),
    **dict.fromkeys(("alex", "sasha"), "alexander"),
    **dict.fromkeys(("andy", "drew"), "andrew"),
    **dict.fromkeys(("ben", "benny"), "benjamin"),
    **dict.fromkeys(("matt", "matty"), "matthew"),
    **dict.fromkeys(("nick", "nicky"), "nicholas"),
    **dict.fromkeys(("pat", "paddy"), "patrick"),
    **dict.fromkeys(("pete",), "peter"),
    **dict.fromkeys(("greg",), "gregory"),
    **dict.fromkeys(("jeff", "geoff", "geoffrey"), "jeffrey"),
    **dict.fromkeys(("jon", "johnny", "jack"), "john"),
    **dict.fromkeys(("ed", "eddie", "ted", "teddy"), "edward"),
    **dict.fromkeys(("charlie", "chuck"), "charles"),
    **dict.fromkeys(("larry",), "lawrence"),
    **dict.fromkeys(("sue", "susie"), "susan"),
    **dict.fromkeys(("peggy", "maggie", "meg"), "margaret"),
    **dict.fromkeys(("ron", "ronnie"), "ronald"),
    **dict.fromkeys(("don", "donnie"), "donald"),
    **dict.fromkeys(("ken", "kenny"), "kenneth"),
    **dict.fromkeys(("tim", "timmy"), "timothy"),
    **dict.fromkeys(("fred", "freddie"), "frederick"),
    **dict.fromkeys(("chris",), "christopher"),
    **dict.fromkeys(("vince",), "vincent"),
}
_TITLES: Final = frozenset({"dr", "mr", "mrs", "ms", "miss", "prof", "sir", "jr", "sr", "ii", "iii", "iv", "phd", "md"})
_LEGAL: Final = frozenset(
    {
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "llc",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "bv",
        "nv",
        "srl",
        "spa",
        "pty",
        "oy",
        "ab",
        "as",
        "kg",
        "the",
        "and",
        "group",
        "holdings",
    }
)
_SOUNDEX: Final = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556")


@dataclass(frozen=True, slots=True)
class Candidate:
    """Two records that may be one: ``left_id < right_id``; ``score`` in [0, 1]."""

    left_id: str
    right_id: str
    score: float
    reasons: tuple[str, ...]


# --- normalisation -------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Lower-case ASCII letters, digits and single spaces (accents folded, punctuation dropped)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text).split())


def soundex(word: str) -> str:
    """American Soundex (``Robert`` and ``Rupert`` -> ``R163``); ``""`` for no letters."""
    letters = re.sub(r"[^a-z]", "", fold(word))
    if not letters:
        return ""
    codes = letters.translate(_SOUNDEX)
    out = [letters[0].upper()]
    previous = codes[0]
    for letter, code in zip(letters[1:], codes[1:], strict=True):
        if code.isdigit() and code != previous:
            out.append(code)
        if letter not in "hw":
            previous = code
    return ("".join(out) + "000")[:4]


def split_name(record: Mapping[str, Any]) -> tuple[str, str]:
    """(first, last), folded: from first_name/last_name, else from name ("Last, First" aware)."""
    first, last = fold(str(record.get("first_name") or "")), fold(str(record.get("last_name") or ""))
    if first or last:
        return first, last
    name = str(record.get("name") or "")
    if name.count(",") == 1:
        last_part, first_part = name.split(",")
        name = f"{first_part} {last_part}"
    tokens = [t for t in fold(name).split() if t not in _TITLES]
    if not tokens:
        return "", ""
    return (tokens[0], tokens[-1]) if len(tokens) > 1 else ("", tokens[0])


def canonical_first(first: str) -> str:
    return NICKNAMES.get(first, first)


def _emails(record: Mapping[str, Any]) -> set[str]:
    values = [record.get("email"), *(record.get("other_emails") or [])]
    return {e for e in (normalise_email(str(v)) for v in values if v) if e}


def _phone(record: Mapping[str, Any]) -> str | None:
    raw = record.get("phone")
    key = phone_key(str(raw)) if raw else ""
    return key if len(key) >= 7 else None


def account_name_key(name: str) -> str:
    """``"ACME Corporation, Inc."`` -> ``"acme"``: folded, legal forms dropped."""
    tokens = [t for t in fold(name).split() if t not in _LEGAL]
    return " ".join(tokens) or fold(name)


def _domain(record: Mapping[str, Any]) -> str | None:
    raw = record.get("domain") or record.get("website")
    if not raw:
        return None
    try:
        return domain_from_url(str(raw))
    except ValueError:
        return None


# --- blocking ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Person:
    id: str
    first: str
    last: str
    given: str
    emails: frozenset[str]
    phone: str | None
    account: str | None
    sort_key: str


def _person(record: Mapping[str, Any]) -> _Person:
    first, last = split_name(record)
    account = record.get("account_id")
    return _Person(
        str(record["id"]),
        canonical_first(first),
        last,
        first,
        frozenset(_emails(record)),
        _phone(record),
        str(account) if account else None,
        f"{last} {canonical_first(first)}",
    )


def _person_keys(p: _Person) -> Iterable[str]:
    for email in p.emails:
        yield f"e:{email}"
    if p.phone:
        yield f"p:{p.phone}"
    if p.last:
        initial = p.first[:1]
        yield f"s:{soundex(p.last)}:{initial}"
        yield f"l:{p.last[:3]}:{initial}"


def candidate_pairs(
    keys: Mapping[str, Sequence[int]], sort_keys: Sequence[str], *, max_block: int, window: int
) -> set[tuple[int, int]]:
    """Index pairs sharing a key; oversized blocks compared only within a sorted window."""
    pairs: set[tuple[int, int]] = set()
    for members in keys.values():
        if len(members) < 2:
            continue
        if len(members) <= max_block:
            pairs.update((a, b) if a < b else (b, a) for a, b in combinations(members, 2))
            continue
        ordered = sorted(members, key=lambda i: sort_keys[i])
        for pos, a in enumerate(ordered):
            for b in ordered[pos + 1 : pos + window]:
                pairs.add((a, b) if a < b else (b, a))
    return pairs


def _blocks(items: Sequence[Iterable[str]]) -> dict[str, list[int]]:
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, keys in enumerate(items):
        for key in set(keys):
            blocks[key].append(index)
    return blocks


# --- scoring -------------------------------------------------------------------------------------
def _noisy_or(weights: Iterable[float]) -> float:
    remaining = 1.0
    for w in weights:
        remaining *= 1.0 - max(0.0, min(w, 1.0))
    return 1.0 - remaining


def _neighbour_evidence(a: str, b: str, neighbours: Mapping[str, Iterable[str]] | None) -> tuple[float, str | None]:
    if not neighbours:
        return 0.0, None
    left, right = set(neighbours.get(a, ())), set(neighbours.get(b, ()))
    shared = left & right
    if not shared:
        return 0.0, None
    jaccard = len(shared) / len(left | right)
    return 0.4 * jaccard, f"share {len(shared)} of {len(left | right)} neighbours"


def _name_evidence(a: _Person, b: _Person) -> tuple[float, list[str], bool]:
    """(weight, reasons, conflict): conflict when both have last names that clearly differ."""
    if not a.last or not b.last:
        return 0.0, [], False
    last_sim = JaroWinkler.similarity(a.last, b.last)
    first_sim = JaroWinkler.similarity(a.first, b.first) if a.first and b.first else 0.9
    similarity = 0.6 * last_sim + 0.4 * first_sim
    if last_sim < 0.75:
        return 0.0, [], True
    if similarity < 0.85:
        return 0.0, [], False
    weight = 0.7 * (similarity - 0.85) / 0.15 if similarity < 1.0 else 0.7
    reason = "same name" if similarity >= 1.0 else f"similar names ({similarity:.2f})"
    if a.given and b.given and a.given != b.given and a.first == b.first:
        reason += f" ({a.given} = {b.given}: nickname)"
    return weight, [reason], False


def score_contacts(a: _Person, b: _Person, neighbours: Mapping[str, Iterable[str]] | None = None) -> Candidate:
    weights: list[float] = []
    reasons: list[str] = []
    shared_emails = a.emails & b.emails
    if shared_emails:
        weights.append(0.9)
        reasons.append(f"same email {sorted(shared_emails)[0]}")
    elif {e.split("@")[0] for e in a.emails} & {e.split("@")[0] for e in b.emails}:
        weights.append(0.3)
        reasons.append("same mailbox name at another domain")
    if a.phone and a.phone == b.phone:
        weights.append(0.5)
        reasons.append("same phone")
    name_weight, name_reasons, conflict = _name_evidence(a, b)
    weights.append(name_weight)
    reasons.extend(name_reasons)
    if a.account and a.account == b.account:
        weights.append(0.3)
        reasons.append("same account")
    neighbour_weight, neighbour_reason = _neighbour_evidence(a.id, b.id, neighbours)
    weights.append(neighbour_weight)
    if neighbour_reason:
        reasons.append(neighbour_reason)
    score = _noisy_or(weights)
    if conflict and not shared_emails:
        score *= 0.5
        reasons.append("but last names differ")
    left, right = sorted((a.id, b.id))
    return Candidate(left, right, round(score, 4), tuple(reasons))


def contact_candidates(
    contacts: Sequence[Mapping[str, Any]],
    *,
    neighbours: Mapping[str, Iterable[str]] | None = None,
    threshold: float = 0.6,
    max_block: int = 200,
    window: int = 20,
) -> list[Candidate]:
    """Possible duplicate contacts, best first.

    Each dict needs ``id`` and any of ``name``, ``first_name``, ``last_name``, ``email``,
    ``other_emails``, ``phone``, ``account_id``. ``neighbours`` maps an id to the ids it is linked
    to (colleagues, correspondents) for the shared-neighbour evidence.
    """
    people = [_person(c) for c in contacts]
    pairs = candidate_pairs(
        _blocks([_person_keys(p) for p in people]), [p.sort_key for p in people], max_block=max_block, window=window
    )
    found = (score_contacts(people[i], people[j], neighbours) for i, j in pairs)
    return sorted((c for c in found if c.score >= threshold), key=lambda c: (-c.score, c.left_id, c.right_id))


# --- accounts ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Org:
    id: str
    name: str
    domain: str | None
    parent: str | None


def _org(record: Mapping[str, Any]) -> _Org:
    parent = record.get("parent_id")
    return _Org(
        str(record["id"]),
        account_name_key(str(record.get("name") or "")),
        _domain(record),
        str(parent) if parent else None,
    )


def _org_keys(o: _Org) -> Iterable[str]:
    if o.domain:
        yield f"d:{o.domain}"
    if o.name:
        first_token = o.name.split()[0]
        yield f"n:{soundex(first_token)}:{first_token[:2]}"
        yield f"x:{o.name.replace(' ', '')[:5]}"


def score_accounts(a: _Org, b: _Org, neighbours: Mapping[str, Iterable[str]] | None = None) -> Candidate:
    weights: list[float] = []
    reasons: list[str] = []
    if a.domain and a.domain == b.domain:
        weights.append(0.85)
        reasons.append(f"same domain {a.domain}")
    if a.name and b.name:
        similarity = JaroWinkler.similarity(a.name, b.name)
        if similarity >= 1.0:
            weights.append(0.75)
            reasons.append("same name (legal form ignored)")
        elif similarity >= 0.85:
            weights.append(0.75 * (similarity - 0.85) / 0.15)
            reasons.append(f"similar names ({similarity:.2f})")
    if a.parent and a.parent == b.parent:
        weights.append(0.2)
        reasons.append("same parent account")
    neighbour_weight, neighbour_reason = _neighbour_evidence(a.id, b.id, neighbours)
    weights.append(neighbour_weight)
    if neighbour_reason:
        reasons.append(neighbour_reason)
    left, right = sorted((a.id, b.id))
    return Candidate(left, right, round(_noisy_or(weights), 4), tuple(reasons))


def account_candidates(
    accounts: Sequence[Mapping[str, Any]],
    *,
    neighbours: Mapping[str, Iterable[str]] | None = None,
    threshold: float = 0.6,
    max_block: int = 200,
    window: int = 20,
) -> list[Candidate]:
    """Possible duplicate accounts, best first. Dicts need ``id`` and any of ``name``,
    ``domain``/``website``, ``parent_id``; ``neighbours`` as for contacts (e.g. shared contacts)."""
    orgs = [_org(a) for a in accounts]
    pairs = candidate_pairs(
        _blocks([_org_keys(o) for o in orgs]), [o.name for o in orgs], max_block=max_block, window=window
    )
    found = (score_accounts(orgs[i], orgs[j], neighbours) for i, j in pairs)
    return sorted((c for c in found if c.score >= threshold), key=lambda c: (-c.score, c.left_id, c.right_id))
