"""Duplicate candidates: explained scores, nicknames, blocking that scales."""

from __future__ import annotations

import random
import time

from importers.dedupe import account_candidates, account_name_key, contact_candidates, soundex, split_name


def pair(candidates: list, a: str, b: str):  # type: ignore[no-untyped-def]
    left, right = sorted((a, b))
    return next((c for c in candidates if (c.left_id, c.right_id) == (left, right)), None)


def test_helpers() -> None:
    assert soundex("Robert") == soundex("Rupert") == "R163"
    assert soundex("Ashcraft") == "A261"
    assert split_name({"name": "Skilling, Jeff"}) == ("jeff", "skilling")
    assert split_name({"name": "Dr. Ada King Lovelace"}) == ("ada", "lovelace")
    assert account_name_key("ACME Corporation, Inc.") == account_name_key("Acme Corp") == "acme"


def test_contact_evidence_and_reasons() -> None:
    contacts = [
        {"id": "a", "name": "Bob Smith", "email": "bob@acme.example", "account_id": "acc"},
        {"id": "b", "first_name": "Robert", "last_name": "Smith", "account_id": "acc"},
        {"id": "c", "name": "Smith, Robert", "email": "BOB@acme.example"},
        {"id": "d", "name": "Alice Jones", "phone": "+1 (555) 123-4567"},
        {"id": "e", "name": "Carl Weber", "phone": "555.123.4567"},
        {"id": "f", "name": "Jon Smyth", "email": "jon@other.example"},
    ]
    found = contact_candidates(contacts, threshold=0.0)
    ac = pair(found, "a", "c")
    assert ac and ac.score > 0.95 and "same email bob@acme.example" in ac.reasons
    ab = pair(found, "a", "b")
    assert ab and 0.6 < ab.score < ac.score
    assert any("nickname" in r for r in ab.reasons) and "same account" in ab.reasons
    de = pair(found, "d", "e")  # a shared switchboard number, different people
    assert de and de.score < 0.3 and "but last names differ" in de.reasons
    assert all(0.0 <= c.score <= 1.0 for c in found)
    assert [c for c in contact_candidates(contacts) if c.score < 0.6] == []


def test_neighbours_raise_the_score() -> None:
    contacts = [{"id": "x", "name": "Maria Gonzalez"}, {"id": "y", "name": "Maria Gonzales"}]
    alone = contact_candidates(contacts, threshold=0.0)[0]
    together = contact_candidates(contacts, threshold=0.0, neighbours={"x": {"p", "q", "r"}, "y": {"p", "q"}})[0]
    assert together.score > alone.score and any("neighbours" in r for r in together.reasons)


def test_accounts() -> None:
    accounts = [
        {"id": "1", "name": "Acme Corporation", "domain": "acme.example"},
        {"id": "2", "name": "ACME Corp.", "website": "https://www.acme.example/about"},
        {"id": "3", "name": "Acme Widgets Ltd"},
        {"id": "4", "name": "Globex"},
    ]
    found = account_candidates(accounts)
    assert [(c.left_id, c.right_id) for c in found] == [("1", "2")]
    assert found[0].reasons == ("same domain acme.example", "same name (legal form ignored)")


def test_blocking_scales_to_many_contacts() -> None:
    rng = random.Random(7)
    firsts = ["ana", "ben", "chloe", "dmitri", "emma", "farid", "grace", "hugo", "ines", "jonas"]
    lasts = [f"{a}{b}{c}" for a in "bdfgklmnprst" for b in "aeiou" for c in ("ler", "son", "ski", "ton", "wick")]
    contacts = [
        {"id": f"c{i}", "first_name": rng.choice(firsts), "last_name": rng.choice(lasts), "email": f"p{i}@x.example"}
        for i in range(20_000)
    ]
    contacts.append(
        {
            "id": "dup",
            "first_name": contacts[0]["first_name"],
            "last_name": contacts[0]["last_name"],
            "email": "p0@x.example",
        }
    )
    start = time.perf_counter()
    found = contact_candidates(contacts, threshold=0.9)
    elapsed = time.perf_counter() - start
    print(f"dedupe: 20,001 contacts in {elapsed:.2f}s, {len(found)} candidates >= 0.9")
    assert pair(found, "c0", "dup") is not None
    assert elapsed < 60
