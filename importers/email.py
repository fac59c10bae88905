"""Email (mbox, Maildir, .eml) -> Interaction rows with their participants.

Each message becomes one ``Interaction`` (kind ``email``) and one ``PARTICIPATED_IN`` per person
(role ``from``/``to``/``cc``/``bcc``; a person listed twice keeps the first of those roles). People
are keyed by normalised address (``email:<address>``) and become a ``Rep`` when the address is in
one of the tenant's ``own_domains`` (or a subdomain), else a ``Contact``.

Duplicates: the same message seen twice is one interaction. The id comes from the Message-ID
(``msg:<id>``), and a copy under another Message-ID is recognised by its fingerprint (normalised
sender + UTC date to the minute + subject without Re:/Fwd: + sorted recipients); each merged copy
is a ``Note`` with code ``merged``. Pass one ``EmailDedupe`` to several calls to share that memory
(kept on disk: memory stays flat whatever the number of messages). Across
separate runs, ids from Message-ID keep re-imports idempotent; the stored ``fingerprint`` lets the
writer recognise a copy under another Message-ID imported in an earlier run.

Enron quirks handled: Cc copied into Bcc (when the Bcc list equals the Cc list it is dropped and
noted ``bcc_copy_of_cc``); display names taken from ``X-From``/``X-To``/``X-cc`` when the address
header has none; mangled addresses (``e-mail <.bob@enron.com>``) skipped with a note rather than
guessed. A message with no usable Date or From, or that the parser cannot read, is a ``Reject``
with its message number; nothing here raises on bad input.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.header import Header, decode_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape
from pathlib import Path
from typing import Final

from importers.mailsource import MAX_MESSAGE_BYTES, RawMessage, iter_messages
from importers.people import UNRESOLVED, PeopleSeen, own_domain_set, person_id, person_label
from importers.rows import NodeRow, Note, Reject, RelRow, Row, ext_id
from importers.textio import decode_bytes
from importers.validate import check_node
from importers.values import as_utc, normalise_email

ROLES: Final = (("from", "From"), ("to", "To"), ("cc", "Cc"), ("bcc", "Bcc"))
X_HEADERS: Final = {"from": "X-From", "to": "X-To", "cc": "X-cc", "bcc": "X-bcc"}
MAX_PARTICIPANTS: Final = 500
_PREFIX: Final = re.compile(r"^\s*((re|fw|fwd|aw|sv|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_MSGID: Final = re.compile(r"<([^<>\s]+)>")
_X_ENTRY: Final = re.compile(r'\s*"?([^"<>]*?)"?\s*<([^<>]*)>\s*,?')
_SIMPLE_NAME: Final = re.compile(r"^[^\W\d_][\w .'-]*$")
_TAGS: Final = re.compile(r"<[^>]*>")
_MBOXRD: Final = re.compile(r"^>(>*From )", re.MULTILINE)


class EmailDedupe:
    """Message-IDs and fingerprints seen so far, each mapped to the interaction id kept.

    Kept in an SQLite file (a temporary folder of its own unless ``path`` is given), not in dicts:
    in memory they cost ~250 bytes a message, the parser's whole growth on a 1 GB mbox (690k
    messages: 207 MB). On disk the memory stays flat whatever the mailbox size: SQLite's page cache,
    a write buffer of ``FLUSH_EVERY`` entries, and a fixed 8 MB bit filter that answers "never
    seen" without a query for almost every new key (2% false positives at 700k messages; more
    beyond, which costs queries, never correctness).

    Pickles as its file's path and filter, so the parser process (``importers.prefetch``) works on
    the same file; only the instance that created its folder deletes it, on ``close``.
    """

    FLUSH_EVERY: Final = 10_000
    FILTER_BITS: Final = 1 << 26

    def __init__(self, path: Path | None = None) -> None:
        self._own_dir: Path | None = None
        if path is None:
            _sweep_stale()
            self._own_dir = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
            path = self._own_dir / "seen.sqlite"
        self.path = path
        self._db = _seen_db(path)
        self._pending: dict[tuple[str, bytes], str] = {}
        self._filter = bytearray(self.FILTER_BITS // 8)

    def message_kept(self, message_id: str) -> str | None:
        """The interaction kept for this Message-ID, if one was seen."""
        return self._get("ids", _id_key(message_id))

    def fingerprint_kept(self, fingerprint: bytes) -> str | None:
        """The interaction kept for this fingerprint, if one was seen."""
        return self._get("fps", fingerprint)

    def remember(self, message_id: str | None, fingerprint: bytes, interaction_id: str) -> None:
        """Record a kept message whose Message-ID was unknown and whose fingerprint was unknown or
        already mapped to ``interaction_id`` (what ``parse_email`` checked just before)."""
        if message_id:
            self._put("ids", _id_key(message_id), interaction_id)
        self._put("fps", fingerprint, interaction_id)

    def remember_fingerprint(self, fingerprint: bytes, interaction_id: str) -> None:
        """Record a stored interaction's fingerprint (the first recorded for a key stays)."""
        if self._get("fps", fingerprint) is None:
            self._put("fps", fingerprint, interaction_id)

    def close(self) -> None:
        self._db.close()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    def __enter__(self) -> EmailDedupe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, object]:
        self._flush()
        return {"path": str(self.path), "filter": bytes(self._filter)}

    def __setstate__(self, state: dict[str, object]) -> None:
        bits = state["filter"]
        assert isinstance(bits, bytes)
        self._own_dir = None
        self.path = Path(str(state["path"]))
        self._db = _seen_db(self.path)
        self._pending = {}
        self._filter = bytearray(bits)

    def _bit(self, table: str, key: bytes) -> int:
        salt = 0x9E3779B97F4A7C15 if table == "fps" else 0
        return (int.from_bytes(key[-8:], "little") ^ salt) % self.FILTER_BITS

    def _get(self, table: str, key: bytes) -> str | None:
        bit = self._bit(table, key)
        if not self._filter[bit >> 3] & (1 << (bit & 7)):
            return None
        found = self._pending.get((table, key))
        if found is not None:
            return found
        row = self._db.execute(f"SELECT v FROM {table} WHERE k = ?", (key,)).fetchone()  # table: ids or fps
        return None if row is None else str(row[0])

    def _put(self, table: str, key: bytes, value: str) -> None:
        bit = self._bit(table, key)
        self._filter[bit >> 3] |= 1 << (bit & 7)
        self._pending.setdefault((table, key), value)
        if len(self._pending) >= self.FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        for table in ("ids", "fps"):
            rows = [(k, v) for (t, k), v in self._pending.items() if t == table]
            self._db.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", rows)
        self._db.commit()
        self._pending.clear()


SCRATCH_PREFIX: Final = "relgraph-email-seen-"


def _sweep_stale() -> None:
    """Remove the scratch folders of importing processes that are gone (a kill -9 leaves its own;
    the folder name carries the pid of the process that made it)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's
        return True
    return True


def _id_key(message_id: str) -> bytes:
    return hashlib.blake2b(message_id.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _seen_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA journal_mode=OFF")  # scratch data: rebuilt by the next run if lost
    db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE TABLE IF NOT EXISTS ids (k BLOB PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID")
    db.execute("CREATE TABLE IF NOT EXISTS fps (k BLOB PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID")
    return db


@dataclass(frozen=True)
class _Person:
    address: str
    name: str | None
    role: str


def parse_email(
    path: Path,
    *,
    own_domains: Collection[str] = (),
    body_chars: int = 2000,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    dedupe: EmailDedupe | None = None,
) -> Iterator[Row]:
    """Parse an mbox file, a Maildir, a single .eml, or a folder of any of these."""
    seen = dedupe if dedupe is not None else EmailDedupe()
    people = PeopleSeen()
    domains = own_domain_set(own_domains)
    try:
        for raw in iter_messages(path, max_message_bytes=max_message_bytes):
            if raw.problem:
                yield Reject(raw.source, raw.location, raw.problem, "", "Interaction")
                continue
            yield from _message(raw, seen, people, domains, body_chars)
    finally:
        if dedupe is None:
            seen.close()


def _message(
    raw: RawMessage, seen: EmailDedupe, people: PeopleSeen, domains: frozenset[str], body_chars: int
) -> Iterator[Row]:
    preview = raw.data[:2000].decode("utf-8", "replace")
    try:
        msg = message_from_bytes(raw.data, policy=compat32)
    except Exception as exc:
        yield Reject(raw.source, raw.location, f"unparsable message: {exc}", preview, "Interaction")
        return
    problem, when = _date(msg)
    if when is None:
        yield Reject(raw.source, raw.location, problem, preview, "Interaction")
        return
    notes: list[Note] = []
    persons = _participants(msg, raw, notes)
    sender = next((p for p in persons if p.role == "from"), None)
    if sender is None:
        yield Reject(raw.source, raw.location, "no usable From address", preview, "Interaction")
        return
    subject = _text(msg.get("Subject"))
    fingerprint = _fingerprint(sender.address, when, subject, [p.address for p in persons if p.role != "from"])
    message_id = _first_id(msg.get("Message-ID"))
    interaction_id = ext_id("msg", message_id) if message_id else f"msg:fp:{fingerprint.hex()}"
    merged = _merged(seen, message_id, fingerprint, interaction_id, raw)
    if merged is not None:
        yield merged
        return
    yield from notes  # only for the copy kept: a merged copy's quirks are the kept one's
    node = _interaction(msg, interaction_id, message_id, subject, when, fingerprint, body_chars, raw.kind)
    checked = list(check_node(node, source=raw.source, location=raw.location, raw=preview))
    if not any(isinstance(r, NodeRow) for r in checked):
        yield from checked
        return
    seen.remember(message_id, fingerprint, interaction_id)
    links: list[RelRow] = []
    for person in persons:
        pid = person_id(person.address)
        yield from people.rows(person.address, person.name, domains, source=raw.source, location=raw.location)
        role = {"role": person.role}
        links.append(
            RelRow("PARTICIPATED_IN", person_label(person.address, domains), pid, "Interaction", interaction_id, role)
        )
    yield from checked
    yield from links


def _merged(
    seen: EmailDedupe, message_id: str | None, fingerprint: bytes, interaction_id: str, raw: RawMessage
) -> Note | None:
    """A ``merged`` note when this message was already seen (same Message-ID or fingerprint)."""
    same_id = seen.message_kept(message_id) if message_id else None
    if same_id is not None:
        msg = f"duplicate Message-ID; merged into {same_id}"
        return Note(raw.source, raw.location, msg, "merged", "Interaction")
    kept = seen.fingerprint_kept(fingerprint)
    if kept is not None and kept != interaction_id:
        msg = f"same sender, minute, subject and recipients as {kept} (Message-ID differs); merged"
        return Note(raw.source, raw.location, msg, "merged", "Interaction")
    return None


# --- headers -------------------------------------------------------------------------------------
def _text(value: object) -> str | None:
    """A header's text: RFC 2047 words decoded, 8-bit bytes decoded by fallback; never raises."""
    if value is None:
        return None
    try:
        parts = decode_header(value)  # type: ignore[arg-type]
    except Exception:
        return " ".join(str(value).split()) or None
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogateescape")
        declared = None if charset in (None, "unknown-8bit") else charset
        out.append(decode_bytes(chunk, declared)[0])
    return " ".join("".join(out).split()) or None


def _raw_text(value: object) -> str:
    """A header as text *without* RFC 2047 decoding (address lists must be split first).

    With the compat32 policy a header holding raw 8-bit bytes comes back as a ``Header`` whose
    ``str()`` replaces them; its chunks still hold the original bytes, decoded here by fallback.
    """
    if not isinstance(value, Header):
        return str(value)
    out: list[str] = []
    for chunk, charset in decode_header(value):
        data = chunk if isinstance(chunk, bytes) else chunk.encode("utf-8", "surrogateescape")
        out.append(decode_bytes(data, None if charset in (None, "unknown-8bit") else charset)[0])
    return "".join(out)


def _date(msg: Message) -> tuple[str, datetime | None]:
    raw = msg.get("Date")
    if raw is None:
        return "no Date header", None
    try:
        return "", as_utc(parsedate_to_datetime(str(raw)))
    except (TypeError, ValueError, IndexError, OverflowError):
        return f"unparsable Date {str(raw)[:80]!r}", None


def _first_id(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    found = _MSGID.search(text)
    ident = found.group(1) if found else (text.split() or [""])[0].strip("<>")
    return ident[:998] or None


def _all_ids(value: object) -> list[str]:
    return [] if value is None else _MSGID.findall(str(value))


def _participants(msg: Message, raw: RawMessage, notes: list[Note]) -> list[_Person]:
    """People by role; a person keeps their first role; Enron's Bcc-copy-of-Cc dropped."""
    lists: dict[str, list[tuple[str, str | None]]] = {}
    for role, header in ROLES:
        lists[role] = _addresses(msg, role, header, raw, notes)
    cc = {a for a, _ in lists["cc"]}
    bcc = {a for a, _ in lists["bcc"]}
    if bcc and bcc == cc:
        lists["bcc"] = []
        notes.append(Note(raw.source, raw.location, "Bcc repeats Cc; Bcc ignored", "bcc_copy_of_cc", "Interaction"))
    persons: dict[str, _Person] = {}
    for role, _ in ROLES:
        for address, name in lists[role]:
            if address not in persons:
                persons[address] = _Person(address, name, role)
    if len(persons) > MAX_PARTICIPANTS:
        msg_text = f"{len(persons)} participants; kept the first {MAX_PARTICIPANTS}"
        notes.append(Note(raw.source, raw.location, msg_text, "participants_truncated", "Interaction"))
    return list(persons.values())[:MAX_PARTICIPANTS]


def _addresses(
    msg: Message, role: str, header: str, raw: RawMessage, notes: list[Note]
) -> list[tuple[str, str | None]]:
    values = [_raw_text(v) for v in msg.get_all(header) or []]
    if not values:
        return []
    out: list[tuple[str, str | None]] = []
    for display, address in getaddresses(values):
        normal = normalise_email(address)
        if normal is None and role == "from" and address:
            normal = _unresolved(display, address)
            text = f"sender address {address!r} is mangled; kept as an unresolved sender"
            notes.append(Note(raw.source, raw.location, text, "unresolved_sender", "Contact"))
        elif normal is None:
            if address or display:
                text = f"{role} address {address or display!r} is not usable; skipped"
                notes.append(Note(raw.source, raw.location, text, "bad_address", "Contact"))
            continue
        name = None if normal.startswith(UNRESOLVED) else _display_name(display, normal)
        out.append((normal, name))
    if any(name is None for _, name in out):
        out = _fill_x_names(out, msg.get(X_HEADERS[role]))
    return out


def _unresolved(display: str, address: str) -> str:
    """A stand-in key for a sender whose address is mangled (Enron's ``trading <.williams@enron.com>``).

    Keyed by display text *and* address, so ``credit <.williams@...>`` stays a different person;
    the prefix marks it so it is never mistaken for (or validated as) a real address.
    """
    return f"{UNRESOLVED}{' '.join(display.lower().split())} <{address.lower().strip()}>"


def _display_name(display: str, address: str) -> str | None:
    name = _text(display) if display else None
    if not name:
        return None
    name = name.strip("'\" ")
    if not name or "@" in name or name.lower() == address:
        return None
    return _first_last(name)


def _first_last(name: str) -> str:
    """``"Lavorato, John"`` -> ``"John Lavorato"`` (one comma: the directory's Last, First form)."""
    if name.count(",") == 1:
        last, first = (p.strip() for p in name.split(","))
        if _SIMPLE_NAME.match(last) and _SIMPLE_NAME.match(first):
            return f"{first} {last}"
    return name


def _fill_x_names(found: list[tuple[str, str | None]], x_value: object) -> list[tuple[str, str | None]]:
    """Names for unnamed addresses from Enron's ``X-To``-style headers, only when unambiguous.

    Entries like ``Name <addr>`` are matched by address; ``Name </O=ENRON/...>`` and plain
    comma-separated names are matched by position only when their count equals the address count.
    """
    text = _text(x_value)
    if not text:
        return found
    if "<" in text:
        entries = [(n.strip(), inner.strip().lower()) for n, inner in _X_ENTRY.findall(text)]
    else:
        entries = [(part.strip(), "") for part in text.split(",") if part.strip()]
    by_address = {inner: name for name, inner in entries if "@" in inner}
    positional = len(entries) == len(found)
    result: list[tuple[str, str | None]] = []
    for index, (address, name) in enumerate(found):
        if name is None:
            candidate = by_address.get(address) or (entries[index][0] if positional else None)
            name = _display_name(candidate, address) if candidate else None
        result.append((address, name))
    return result


def _fingerprint(sender: str, when: datetime, subject: str | None, recipients: list[str]) -> bytes:
    """16 bytes identifying a message independently of its Message-ID."""
    normal_subject = " ".join(_PREFIX.sub("", subject or "").lower().split())
    key = "\x1f".join((sender, when.strftime("%Y%m%d%H%M"), normal_subject, ",".join(sorted(set(recipients)))))
    return hashlib.sha256(key.encode("utf-8")).digest()[:16]


# --- body ----------------------------------------------------------------------------------------
def _interaction(
    msg: Message,
    interaction_id: str,
    message_id: str | None,
    subject: str | None,
    when: datetime,
    fingerprint: bytes,
    body_chars: int,
    kind: str,
) -> NodeRow:
    references = _all_ids(msg.get("References"))
    in_reply_to = _first_id(msg.get("In-Reply-To"))
    thread = references[0] if references else in_reply_to or message_id or interaction_id
    props = {
        "kind": "email",
        "subject": subject[:1000] if subject else None,
        "body": _body(msg, body_chars),
        "occurred_at": when,
        "message_id": message_id,
        "in_reply_to": in_reply_to,
        "thread_id": thread[:1000],
        "fingerprint": fingerprint.hex(),
        "source": kind,
    }
    return NodeRow("Interaction", interaction_id, {k: v for k, v in props.items() if v is not None})


def _body(msg: Message, limit: int) -> str | None:
    """The first ``limit`` characters of the text/plain part (text/html stripped as a fallback)."""
    plain, html = _text_parts(msg)
    part = plain or html
    if part is None:
        return None
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return None
    if not isinstance(payload, bytes):
        return None
    cut = payload[: limit * 4 + 64]
    text = decode_bytes(cut, part.get_content_charset(), final=len(cut) == len(payload))[0]
    if part is html:
        text = unescape(_TAGS.sub(" ", text))
    text = _MBOXRD.sub(r"\1", text.replace("\r\n", "\n")).strip()
    return text[:limit] or None


def _text_parts(msg: Message) -> tuple[Message | None, Message | None]:
    plain: Message | None = None
    html: Message | None = None
    for part in msg.walk():
        if part.is_multipart() or "attachment" in str(part.get("Content-Disposition", "")).lower():
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
    return plain, html
