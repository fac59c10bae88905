"""Where email messages come from: mbox files, Maildir folders, single .eml files, folders of them.

``iter_messages`` yields each message's raw bytes with where it was found (file, message number),
one at a time. mbox files are scanned line by line for ``From `` separator lines (at the start of
the file or after a blank line, as mboxo/mboxrd writers put them) rather than with
``mailbox.mbox``: the stdlib class first builds a table of contents of the whole file (one pass and
a list of offsets per message, plus file locking) before giving the first message; scanning keeps
memory at one message, gives the first message at once, and lets one huge message be skipped
(``max_message_bytes``) instead of being loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from graph.errors import InvalidInput

MAX_MESSAGE_BYTES: Final = 25 * 1024 * 1024
_CHUNK: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message's bytes, or why it could not be read (``data`` is then ``b""``)."""

    source: str
    location: str
    data: bytes
    problem: str | None = None
    kind: str = "mbox"


def is_mbox(path: Path) -> bool:
    """mbox files start with a ``From `` line (or are named ``*.mbox``); a message starts with a header."""
    if path.suffix.lower() in (".mbox", ".mbx"):
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def is_maildir(path: Path) -> bool:
    return path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir())


def iter_messages(path: Path, *, max_message_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[RawMessage]:
    """Every message under ``path`` (file or folder), in a stable order (sorted names)."""
    if path.is_file():
        yield from _file_messages(path, path.name, max_message_bytes)
    elif is_maildir(path):
        yield from _maildir(path, path, max_message_bytes)
    elif path.is_dir():
        for child in sorted(p for p in path.rglob("*") if not _hidden(p.relative_to(path))):
            rel = str(child.relative_to(path))
            if is_maildir(child):
                yield from _maildir(child, path, max_message_bytes)
            elif child.is_file() and not _inside_maildir(child, path):
                yield from _file_messages(child, rel, max_message_bytes)
    else:
        raise InvalidInput(f"{path} is neither a file nor a folder")


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _inside_maildir(child: Path, root: Path) -> bool:
    return any(is_maildir(parent) for parent in child.parents if parent != root and root in parent.parents)


def _maildir(folder: Path, root: Path, max_bytes: int) -> Iterator[RawMessage]:
    """Messages in ``new/`` and ``cur/`` (``tmp/`` holds deliveries in progress: skipped)."""
    for sub in ("new", "cur"):
        box = folder / sub
        if not box.is_dir():
            continue
        for item in sorted(box.iterdir()):
            if item.is_file() and not item.name.startswith("."):
                yield _single(item, str(item.relative_to(root)), max_bytes, "maildir")


def _file_messages(path: Path, source: str, max_bytes: int) -> Iterator[RawMessage]:
    if is_mbox(path):
        yield from _mbox(path, source, max_bytes)
    else:
        yield _single(path, source, max_bytes, "eml")


def _single(path: Path, source: str, max_bytes: int, kind: str) -> RawMessage:
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return RawMessage(source, "file", b"", f"cannot read: {exc.strerror or exc}", kind)
    if len(data) > max_bytes:
        return RawMessage(source, "file", b"", f"message larger than {max_bytes} bytes; skipped", kind)
    return RawMessage(source, "message 1", data, None, kind)


def _mbox(path: Path, source: str, max_bytes: int) -> Iterator[RawMessage]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield RawMessage(source, "file", b"", f"cannot read: {exc.strerror or exc}")
        return
    with fh:
        yield from _scan(fh, source, max_bytes)


def _scan(fh: BinaryIO, source: str, max_bytes: int) -> Iterator[RawMessage]:
    """Split an mbox stream at ``From `` lines; keep at most ``max_bytes`` of one message."""
    number = 0
    parts: list[bytes] = []
    size = 0
    oversize = False
    previous_blank = True
    junk_reported = False
    while True:
        line = fh.readline(_CHUNK)
        if not line:
            break
        if line.startswith(b"From ") and (previous_blank or number == 0):
            if number:
                yield _finish(source, number, parts, oversize, max_bytes)
            number += 1
            parts, size, oversize = [], 0, False
        elif number == 0:
            if line.strip() and not junk_reported:
                yield RawMessage(source, "before message 1", b"", "data before the first From line; skipped")
                junk_reported = True
        elif not oversize:
            size += len(line)
            if size > max_bytes:
                oversize, parts = True, []
            else:
                parts.append(line)
        previous_blank = line in (b"\n", b"\r\n")
    if number:
        yield _finish(source, number, parts, oversize, max_bytes)


def _finish(source: str, number: int, parts: list[bytes], oversize: bool, max_bytes: int) -> RawMessage:
    location = f"message {number}"
    if oversize:
        return RawMessage(source, location, b"", f"message larger than {max_bytes} bytes; skipped")
    return RawMessage(source, location, b"".join(parts))
