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

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

from graph.errors import RelgraphError
from importers.rows import Row

CHUNK: Final = 1000
QUEUE_CHUNKS: Final = 8
_HEADER: Final = struct.Struct("!Q")
_REPO: Final = str(Path(__file__).resolve().parent.parent)


class ParserCrashed(Exception):
    """The parser in the child process failed with something other than a ``RelgraphError``."""


def _read_frame(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise ParserCrashed("the parser process ended without finishing")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise ParserCrashed("the parser process ended in the middle of a chunk")
    return pickle.loads(data)


def _pump(stream: IO[bytes], chunks: queue.Queue[tuple[str, Any]], stop: threading.Event) -> None:
    """Move frames from the pipe into ``chunks`` as fast as they come (a pipe holds only 64 KB: without
    this the child would wait whenever the parent is busy writing, and nothing would overlap)."""
    while not stop.is_set():
        try:
            item = _read_frame(stream)
        except (ParserCrashed, OSError, ValueError, pickle.UnpicklingError) as exc:
            item = ("crash", str(exc))
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.5)
                break
            except queue.Full:
                continue
        if item[0] != "rows":
            return


def parse_in_child(fmt: str, path: Path, kwargs: dict[str, Any]) -> Iterator[Row]:
    """The rows of ``PARSERS[fmt](path, **kwargs)``, parsed in another process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_REPO, os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "importers.prefetch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None and proc.stdout is not None
    chunks: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=QUEUE_CHUNKS)
    stop = threading.Event()
    pump = threading.Thread(target=_pump, args=(proc.stdout, chunks, stop), name=f"parse-{fmt}", daemon=True)
    try:
        proc.stdin.write(pickle.dumps((fmt, path, kwargs), protocol=pickle.HIGHEST_PROTOCOL))
        proc.stdin.close()
        pump.start()
        while True:
            kind, payload = chunks.get()
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
        fmt, path, kwargs = pickle.load(sys.stdin.buffer)
        from importers import PARSERS

        chunk: list[Row] = []
        try:
            for row in PARSERS[fmt](path, **kwargs):
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    _write_frame(out, ("rows", chunk))
                    chunk = []
            _write_frame(out, ("rows", chunk))
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
