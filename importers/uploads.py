"""Uploaded import files: a multipart body streamed straight to disk, and zip archives unpacked.

``MultipartSink`` is fed the request body chunk by chunk (the API reads ``request.stream()``) and
writes the one file part to the job's folder as it arrives, so a 2 GB upload never sits in memory
nor in a temporary file elsewhere; it stops with ``UploadTooLarge`` as soon as the file passes the
limit. Small text fields (``format``, ``options``) are kept in memory, capped.

Folder formats (Maven's four CSVs, a Salesforce export, a Maildir) travel as one ``.zip``:
``unpack`` extracts it under the job folder, refusing absolute paths, ``..``, links and archives
that would expand past the size limit (a zip bomb), and returns the folder to import.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Final

from python_multipart.multipart import MultipartParser, parse_options_header

from graph.errors import InvalidInput

MAX_FIELD_BYTES: Final = 1024 * 1024
MAX_FIELDS: Final = 20
MAX_ZIP_MEMBERS: Final = 100_000
_SAFE_NAME: Final = re.compile(r"[^A-Za-z0-9_.@-]+")


class UploadTooLarge(InvalidInput):
    """The upload is larger than the limit (HTTP 413)."""


def safe_filename(name: str | None, default: str = "upload") -> str:
    """A file name that cannot leave its folder: the last path component, odd characters replaced."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).strip("._")
    return cleaned[:120] or default


@dataclass
class Upload:
    """What a multipart body held: text fields, and the one file written to disk."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    file_path: Path | None = None
    filename: str | None = None
    size: int = 0

    def field(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None


class MultipartSink:
    """Parse a ``multipart/form-data`` body incrementally; the file part goes to ``dest_dir``."""

    def __init__(self, content_type: str | None, dest_dir: Path, *, limit: int, file_field: str = "file") -> None:
        ctype, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            raise InvalidInput("send the file as multipart/form-data (fields: file, format, options)")
        self.dest_dir = dest_dir
        self.limit = limit
        self.file_field = file_field
        self.upload = Upload()
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._is_file = False
        self._buffer = bytearray()
        self._out: IO[bytes] | None = None
        self._error: InvalidInput | None = None
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    # --- feeding ---------------------------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except InvalidInput:
            raise
        except Exception as exc:  # the parser's own errors: a malformed body
            raise InvalidInput(f"malformed multipart body: {exc}") from exc
        if self._error is not None:
            raise self._error

    def finish(self) -> Upload:
        try:
            self._parser.finalize()
        except Exception as exc:
            raise InvalidInput(f"malformed multipart body: {exc}") from exc
        self._close()
        if self.upload.file_path is None:
            raise InvalidInput(f"no file: send it in the multipart field {self.file_field!r}")
        return self.upload

    def abort(self) -> None:
        """Close and delete what was written (after an error)."""
        self._close()
        if self.upload.file_path is not None:
            self.upload.file_path.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    # --- callbacks -------------------------------------------------------------------------------
    def _part_begin(self) -> None:
        self._headers = {}
        self._name = None
        self._is_file = False
        self._buffer = bytearray()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        self._name = name
        filename = params.get(b"filename")
        self._is_file = filename is not None and name == self.file_field
        if self._is_file:
            if self.upload.file_path is not None:
                self._error = InvalidInput("send one file per import")
                return
            assert filename is not None
            original = filename.decode("utf-8", "replace")
            self.upload.filename = original
            path = self.dest_dir / safe_filename(original)
            self.dest_dir.mkdir(parents=True, exist_ok=True)
            self._out = path.open("wb")
            self.upload.file_path = path
        elif sum(len(v) for v in self.upload.fields.values()) >= MAX_FIELDS:
            self._error = InvalidInput(f"too many form fields (at most {MAX_FIELDS})")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._error is not None:
            return
        if self._is_file:
            self.upload.size += end - start
            if self.upload.size > self.limit:
                self._error = UploadTooLarge(f"the file is larger than the limit of {self.limit} bytes")
                return
            assert self._out is not None
            self._out.write(data[start:end])
        else:
            self._buffer += data[start:end]
            if len(self._buffer) > MAX_FIELD_BYTES:
                self._error = InvalidInput(f"form field {self._name!r} is larger than {MAX_FIELD_BYTES} bytes")

    def _part_end(self) -> None:
        if self._is_file:
            self._close()
        elif self._name is not None and self._error is None:
            value = bytes(self._buffer).decode("utf-8", "replace")
            self.upload.fields.setdefault(self._name, []).append(value)


# --- zip archives --------------------------------------------------------------------------------
def _member_path(root: Path, name: str) -> Path:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise InvalidInput(f"archive member {name!r} has an unsafe path")
    return root.joinpath(*parts)


def unpack(archive: Path, dest: Path, *, limit: int) -> Path:
    """Extract ``archive`` into ``dest`` safely; what to import: a lone top entry, else ``dest``."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                raise InvalidInput(f"archive has more than {MAX_ZIP_MEMBERS} files")
            if sum(m.file_size for m in members) > limit:
                raise UploadTooLarge(f"the archive expands past the limit of {limit} bytes")
            dest.mkdir(parents=True, exist_ok=True)
            written = 0
            for member in members:
                if stat.S_ISLNK(member.external_attr >> 16):
                    raise InvalidInput(f"archive member {member.filename!r} is a link")
                target = _member_path(dest, member.filename)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, target.open("wb") as out:
                    while chunk := src.read(1024 * 1024):
                        written += len(chunk)
                        if written > limit:  # sizes in the directory can lie
                            raise UploadTooLarge(f"the archive expands past the limit of {limit} bytes")
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, EOFError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise InvalidInput(f"cannot unpack the archive: {exc}") from exc
    except InvalidInput:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    entries = [p for p in dest.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    return entries[0] if len(entries) == 1 else dest
