"""Run a parser in a child process, so that parsing and writing overlap on two cores.

Parsing mail is as slow as writing it (the stdlib email parser is pure Python), and both hold the
GIL, so in one process they add up. ``parse_in_child`` starts ``python -m importers.prefetch``
(a fresh interpreter: no fork of a process holding the database engine's threads, and unlike
``multiprocessing``'s spawn it never re-imports the caller's ``__main__``), sends it the parser's
arguments and reads its rows back in pickled chunks through a pipe. The pipe is the bound: the child
blocks when the parent is behind, so memory stays at a few chunks, and the import runs at the speed
of the slower side instead of the sum of both.

Errors cross over: a ``RelgraphError`` raised by the parser (``InvalidInput``: not a folder, bad
mapping) is raised again here; any other failure is a ``ParserCrashed`` (the service turns it into
a reject). If the parent dies (kill -9) the child's next write fails on the broken pipe and it
exits; if the consumer stops early the child is killed.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final

from graph.errors import RelgraphError
from importers.columns import Item, to_batches
from importers.rows import Row

CHUNK: Final = 1000
# Rows per chunk when chunks go as columns (``importers.columns``): longer lists, fewer frames.
COLUMN_CHUNK: Final = 4000
QUEUE_CHUNKS: Final = 8
_HEADER: Final = struct.Struct("!Q")
_REPO: Final = str(Path(__file__).resolve().parent.parent)
# The kind of a ("rows", [...]) frame as pickled, near its start: how the pump tells those from the
# last frame ("end", "error", "crash") without unpickling.
_ROWS_KIND: Final = b"\x8c\x04rows"


class ParserCrashed(Exception):
    """The parser in the child process failed with something other than a ``RelgraphError``."""


def _read_frame(stream: IO[bytes]) -> bytes:
    """One pickled frame as it came (unpickled by the consumer: see ``_Ahead``)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise ParserCrashed("the parser process ended without finishing")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise ParserCrashed("the parser process ended in the middle of a chunk")
    return data


class _Ahead:
    """How far the parser may run ahead of the consumer: ``chunks`` frames, or ``limit`` bytes of
    pickled frames (at least one frame) when given. Frames wait pickled: a chunk of CSV rows takes
    ~110 bytes a row pickled and ~1 KB as objects, so a byte bound lets the parser keep going
    through the seconds the consumer spends in one bulk write without holding their objects."""

    def __init__(self, chunks: int, limit: int | None) -> None:
        self.frames: queue.Queue[tuple[bytes | None, str]] = queue.Queue(maxsize=0 if limit else chunks)
        self.limit = limit
        self.held = 0
        self.room = threading.Condition()

    def put(self, data: bytes | None, crash: str, stop: threading.Event) -> None:
        size = len(data or b"")
        if self.limit is not None:
            with self.room:
                while self.held and self.held + size > self.limit and not stop.is_set():
                    self.room.wait(0.5)
                self.held += size
        while not stop.is_set():
            try:
                self.frames.put((data, crash), timeout=0.5)
                return
            except queue.Full:
                continue

    def get(self) -> tuple[str, Any]:
        data, crash = self.frames.get()
        if self.limit is not None:
            with self.room:
                self.held -= len(data or b"")
                self.room.notify()
        if data is None:
            return ("crash", crash)
        try:
            return pickle.loads(data)  # type: ignore[no-any-return]
        except (pickle.UnpicklingError, EOFError, ValueError) as exc:
            return ("crash", str(exc))


def _pump(stream: IO[bytes], ahead: _Ahead, stop: threading.Event) -> None:
    """Move frames from the pipe into ``ahead`` as fast as they come (a pipe holds only 64 KB: without
    this the child would wait whenever the parent is busy writing, and nothing would overlap)."""
    while not stop.is_set():
        try:
            data: bytes | None = _read_frame(stream)
            crash = ""
        except (ParserCrashed, OSError, ValueError) as exc:
            data, crash = None, str(exc)
        ahead.put(data, crash, stop)
        if data is None or _ROWS_KIND not in (data[11:17], data[2:8]):  # after PROTO (+ FRAME)
            return  # a crash, or the "end" / "error" frame


def parse_in_child(
    fmt: str,
    path: Path,
    kwargs: dict[str, Any],
    *,
    ahead_mb: int | None = None,
    gc_gen0: int | None = None,
    columns: bool = False,
) -> Iterator[Item]:
    """The rows of ``PARSERS[fmt](path, **kwargs)``, parsed in another process, which runs up to
    ``QUEUE_CHUNKS`` chunks ahead, or ``ahead_mb`` MB of pickled rows when given; ``gc_gen0`` sets
    its collector's first threshold (fewer collections while it allocates millions of rows).
    ``columns``: nodes and relationships come in batches as columns (``importers.columns.to_batches``
    of each chunk), which cost both processes less a row than row objects do."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_REPO, os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "importers.prefetch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None and proc.stdout is not None
    ahead = _Ahead(QUEUE_CHUNKS, ahead_mb * 1024 * 1024 if ahead_mb else None)
    stop = threading.Event()
    pump = threading.Thread(target=_pump, args=(proc.stdout, ahead, stop), name=f"parse-{fmt}", daemon=True)
    try:
        proc.stdin.write(pickle.dumps((fmt, path, kwargs, gc_gen0, columns), protocol=pickle.HIGHEST_PROTOCOL))
        proc.stdin.close()
        pump.start()
        while True:
            kind, payload = ahead.get()
            if kind == "rows":
                yield from payload
            elif kind == "end":
                return
            elif kind == "error":
                raise payload
            else:
                raise ParserCrashed(payload)
    finally:
        stop.set()
        with ahead.room:
            ahead.room.notify_all()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if pump.is_alive():
            pump.join(timeout=5)
        proc.stdout.close()


# --- the child -------------------------------------------------------------------------------------
def _write_frame(out: IO[bytes], item: tuple[str, Any]) -> None:
    data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEADER.pack(len(data)) + data)
    out.flush()


def _serve() -> None:
    out = os.fdopen(os.dup(1), "wb")
    sys.stdout = sys.stderr  # nothing else may write into the row stream
    try:
        fmt, path, kwargs, gc_gen0, columns = pickle.load(sys.stdin.buffer)
        if gc_gen0:
            gc.set_threshold(gc_gen0, *gc.get_threshold()[1:])
        from importers import PARSERS

        size = COLUMN_CHUNK if columns else CHUNK
        pack: Callable[[list[Row]], list[Item]] = to_batches if columns else list
        chunk: list[Row] = []
        try:
            for row in PARSERS[fmt](path, **kwargs):
                chunk.append(row)
                if len(chunk) >= size:
                    _write_frame(out, ("rows", pack(chunk)))
                    chunk = []
            _write_frame(out, ("rows", pack(chunk)))
            _write_frame(out, ("end", None))
        except RelgraphError as exc:
            _write_frame(out, ("error", exc))
        except (BrokenPipeError, KeyboardInterrupt):
            raise
        except Exception as exc:
            _write_frame(out, ("crash", f"{type(exc).__name__}: {exc}"))
    except BrokenPipeError:  # the importing process is gone
        os._exit(0)


if __name__ == "__main__":
    _serve()
