"""Email: the real Enron sample (counts, duplicates, quirks) and invented messages for the edge cases."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from importers.email import EmailDedupe, parse_email
from importers.mailsource import iter_messages
from importers.rows import Row
from tests.importers.helpers import check_rows, data_dir, nodes, notes, rejects, rels

ENRON_MESSAGES = 11_761


@pytest.fixture(scope="module")
def enron_rows() -> list[Row]:
    return check_rows(parse_email(data_dir("enron-mbox-sample"), own_domains={"enron.com"}))


def test_enron_every_message_accounted_for(enron_rows: list[Row]) -> None:
    interactions = nodes(enron_rows, "Interaction")
    merged = notes(enron_rows, "merged")
    assert len(interactions) + len(merged) + len(rejects(enron_rows)) == ENRON_MESSAGES
    assert len(interactions) == 10_082
    assert len(merged) == 1_679  # the same mail in sent_items and _sent_mail under other Message-IDs
    assert rejects(enron_rows) == []
    assert len({i.id for i in interactions}) == len(interactions)


def test_enron_quirks(enron_rows: list[Row]) -> None:
    codes = Counter(n.code for n in notes(enron_rows))
    assert codes["bcc_copy_of_cc"] == 811  # 883 messages have Bcc == Cc; 72 of them are merged copies
    assert not any(r.props["role"] == "bcc" for r in rels(enron_rows, "PARTICIPATED_IN"))
    assert codes["unresolved_sender"] == 58  # "trading <.williams@enron.com>": kept, not guessed
    assert codes["bad_address"] > 0
    people = {n.id: n for n in nodes(enron_rows) if n.label in ("Rep", "Contact")}
    harry = people["email:harry.arora@enron.com"]
    assert harry.label == "Rep" and harry.props["name"] == "Harry Arora"  # name from X-From
    assert all(p.label == "Rep" for pid, p in people.items() if pid.endswith("@enron.com"))
    assert any(p.label == "Contact" for p in people.values())


def test_enron_message_fields(enron_rows: list[Row]) -> None:
    first = next(
        n for n in nodes(enron_rows, "Interaction") if n.id == "msg:11959247.1075848347316.JavaMail.evans@thyme"
    )
    assert first.props["subject"] == "Re: TSS Presentation"
    assert first.props["occurred_at"] == datetime(2001, 2, 6, 11, 26, tzinfo=UTC)
    assert first.props["body"].startswith("How does 3 pm look ?")
    assert first.props["thread_id"] == first.props["message_id"] == "11959247.1075848347316.JavaMail.evans@thyme"
    roles = sorted((r.src_id, r.props["role"]) for r in rels(enron_rows, "PARTICIPATED_IN") if r.dst_id == first.id)
    assert roles == [
        ("email:carlos.alatorre@enron.com", "to"),
        ("email:harry.arora@enron.com", "from"),
        ("email:leonardo.pacheco@enron.com", "to"),
    ]


def test_enron_is_idempotent_and_fast(enron_rows: list[Row]) -> None:
    start = time.perf_counter()
    again = list(parse_email(data_dir("enron-mbox-sample"), own_domains={"enron.com"}))
    elapsed = time.perf_counter() - start
    print(f"enron: {ENRON_MESSAGES} messages in {elapsed:.2f}s = {ENRON_MESSAGES / elapsed:,.0f} messages/s")
    assert again == enron_rows


# --- invented messages ---------------------------------------------------------------------------
def msg(headers: str, body: bytes = b"Hello\n") -> bytes:
    return headers.strip().replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


BASE = """
Message-ID: <m1@ourco.example>
Date: Tue, 05 Mar 2024 10:15:42 +0100
From: "Ines Varga" <Ines.Varga@ourco.example>
To: =?iso-8859-1?q?M=FCller=2C_J=F6rg?= <joerg@example.de>, odile@quillfeather.example
Cc: tobias@quillfeather.example
Bcc: tobias@quillfeather.example
Subject: =?utf-8?q?Caf=C3=A9_pricing?=
Content-Type: text/plain; charset=windows-1252
"""

REPLY = """
Message-ID: <m2@quillfeather.example>
In-Reply-To: <m1@ourco.example>
References: <m0@ourco.example> <m1@ourco.example>
Date: Tue, 05 Mar 2024 12:00:00 +0000
From: odile@quillfeather.example
To: ines.varga@ourco.example
Subject: RE: Café pricing
"""


def mbox(*messages: bytes) -> bytes:
    sep = b"From sender@example Tue Mar  5 10:15:42 2024\n"
    return b"".join(sep + m.replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n\n" for m in messages)


def test_edge_cases_in_an_mbox(tmp_path: Path) -> None:
    copy = BASE.replace("<m1@ourco.example>", "<m1-copy@ourco.example>").replace("10:15:42", "10:15:05")
    copy = copy.replace("Subject: =?utf-8?q?Caf=C3=A9_pricing?=", "Subject: Re: Fwd: =?utf-8?q?Caf=C3=A9_pricing?=")
    multipart = msg(
        """
Message-ID: <m3@ourco.example>
Date: Wed, 06 Mar 2024 09:00:00 -0500
From: ines.varga@ourco.example
To: pim@lanternfish.example
Subject: multipart
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="XX"
""",
        b"--XX\nContent-Type: text/html; charset=utf-8\n\n<p>html &amp; only</p>\n--XX\n"
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + b"UGzDpGluIHRleHQ=\n--XX--\n",
    )
    path = tmp_path / "box.mbox"
    path.write_bytes(
        mbox(
            msg(BASE, "Price: 5 €\n\n>From the desk of Ines\n".encode("cp1252")),
            msg(REPLY),
            msg(BASE),  # same Message-ID again
            msg(copy),  # same message under another Message-ID, seconds and Re:/Fwd: differ
            multipart,
            msg("Message-ID: <nodate@x.example>\nFrom: a@x.example\nTo: b@x.example\nSubject: no date"),
            msg("Message-ID: <baddate@x.example>\nDate: someday soon\nFrom: a@x.example\nSubject: bad"),
            msg("Message-ID: <nofrom@x.example>\nDate: Tue, 05 Mar 2024 10:15:42 +0100\nTo: b@x.example"),
        )
    )
    rows = check_rows(parse_email(path, own_domains={"ourco.example"}))
    mails = {n.id: n.props for n in nodes(rows, "Interaction")}
    assert set(mails) == {"msg:m1@ourco.example", "msg:m2@quillfeather.example", "msg:m3@ourco.example"}
    first = mails["msg:m1@ourco.example"]
    assert first["subject"] == "Café pricing"
    assert first["occurred_at"] == datetime(2024, 3, 5, 9, 15, 42, tzinfo=UTC)
    assert first["body"] == "Price: 5 €\n\nFrom the desk of Ines"  # cp1252 and mboxrd unescaping
    assert len(first["fingerprint"]) == 32
    assert mails["msg:m2@quillfeather.example"]["thread_id"] == "m0@ourco.example"
    assert mails["msg:m2@quillfeather.example"]["in_reply_to"] == "m1@ourco.example"
    assert mails["msg:m3@ourco.example"]["body"] == "Pläin text"  # base64 utf-8 text/plain preferred over html
    assert [n.location for n in notes(rows, "merged")] == ["message 3", "message 4"]
    assert [(r.location, r.reason.split(" ")[0]) for r in rejects(rows)] == [
        ("message 6", "no"),  # no Date header
        ("message 7", "unparsable"),  # Date: someday soon
        ("message 8", "no"),  # no usable From address
    ]
    assert "From" in rejects(rows)[2].reason and "Date" in rejects(rows)[0].reason
    people = {n.id: n for n in nodes(rows) if n.label in ("Rep", "Contact")}
    assert people["email:joerg@example.de"].props["name"] == "Jörg Müller"
    assert people["email:ines.varga@ourco.example"].label == "Rep"
    roles = {(r.src_id, r.props["role"]) for r in rels(rows) if r.dst_id == "msg:m1@ourco.example"}
    assert ("email:tobias@quillfeather.example", "cc") in roles
    assert ("email:tobias@quillfeather.example", "bcc") not in roles
    assert len(notes(rows, "bcc_copy_of_cc")) == 1


def test_maildir_eml_and_shared_dedupe(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1.host:2,S").write_bytes(msg(BASE))
    (maildir / "new" / "2.host").write_bytes(msg(REPLY))
    (maildir / "tmp" / "3.host").write_bytes(b"half written")
    single = tmp_path / "one.eml"
    single.write_bytes(msg(BASE))
    with EmailDedupe() as seen:
        first = check_rows(parse_email(maildir, dedupe=seen))
        assert len(nodes(first, "Interaction")) == 2
        second = check_rows(parse_email(single, dedupe=seen))
        assert nodes(second, "Interaction") == [] and len(notes(second, "merged")) == 1


def test_dedupe_on_disk_first_wins_pickles_as_its_file_and_cleans_up() -> None:
    seen = EmailDedupe()
    seen.FLUSH_EVERY = 3  # type: ignore[misc]  # exercise the flushes
    fps = [bytes([i]) * 16 for i in range(10)]
    for i, fp in enumerate(fps):
        seen.remember(f"<m{i}@x>", fp, f"msg:m{i}")
    seen.remember("<m0@x>", fps[0], "msg:other")  # already known: the first stays
    seen.remember_fingerprint(fps[1], "msg:stored")
    assert seen.message_kept("<m0@x>") == "msg:m0"
    assert seen.fingerprint_kept(fps[1]) == "msg:m1"
    assert seen.message_kept("<nope@x>") is None and seen.fingerprint_kept(b"z" * 16) is None
    assert len(seen._pending) < 3
    copy = pickle.loads(pickle.dumps(seen))  # what the parser process receives
    assert copy.path == seen.path and copy.fingerprint_kept(fps[9]) == "msg:m9"
    copy.remember("<new@x>", b"n" * 16, "msg:new")
    copy.close()  # not its folder: left alone
    assert seen.path.exists()
    seen.close()
    assert not seen.path.parent.exists()


def test_oversized_message_and_junk_before_first_separator(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    path.write_bytes(b"junk line\n\n" + mbox(msg(BASE, b"x" * 5000), msg(REPLY)))
    found = list(iter_messages(path, max_message_bytes=10_000))
    assert [(m.location, m.problem is None) for m in found] == [
        ("before message 1", False),
        ("message 1", True),
        ("message 2", True),
    ]
    rows = check_rows(parse_email(path, max_message_bytes=2_000))
    assert [r.location for r in rejects(rows)] == ["before message 1", "message 1"]
    assert len(nodes(rows, "Interaction")) == 1


def test_raw_8bit_headers_are_decoded_by_fallback(tmp_path: Path) -> None:
    head = b"From x Tue Mar  5 10:15:42 2024\nMessage-ID: <u1@x.example>\nDate: Tue, 05 Mar 2024 10:15:42 +0100\n"
    path = tmp_path / "raw.mbox"
    path.write_bytes(
        head
        + 'From: Zoë Ångström <zoe@x.example>\nTo: "Renée, X" <renee@y.example>, bad <@>\n'.encode()
        + "Cc: José <jose@w.example>\nSubject: Ünïcode\n".encode("latin-1")
        + b"\nbody \xff\n"
    )
    rows = check_rows(parse_email(path))
    names = {n.id: n.props["name"] for n in nodes(rows) if n.label == "Contact"}
    assert names == {
        "email:zoe@x.example": "Zoë Ångström",
        "email:renee@y.example": "X Renée",
        "email:jose@w.example": "José",
    }
    assert nodes(rows, "Interaction")[0].props["subject"] == "Ünïcode"
    assert len(notes(rows, "bad_address")) == 1


def test_scratch_folders_of_dead_importers_are_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kill -9 leaves the dedupe's scratch folder behind; the next import removes it."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"relgraph-email-seen-{int(gone.stdout)}-abc"
    alive = tmp_path / f"relgraph-email-seen-{os.getpid()}-def"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "seen.sqlite").write_bytes(b"")
    with EmailDedupe() as seen:
        assert seen.path.parent.parent == tmp_path
        assert not dead.exists() and alive.exists()
