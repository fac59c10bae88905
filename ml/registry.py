"""A versioned model registry on disk.

Layout::

    <data_dir>/models/<tenant>/<kind>/<version>/meta.json     what was trained on what, and how well
    <data_dir>/models/<tenant>/<kind>/<version>/...           the artifacts (gbdt.txt, gnn.pt, ...)
    <data_dir>/models/<tenant>/<kind>/latest                  the version served (one line)

``kind`` is ``deal-win`` or ``links``. Versions sort by time (``20261121T122700123456Z``). A version
is written under a temporary name and renamed into place when complete, and ``latest`` is
replaced atomically (``os.replace``), so a reader never sees half a model. ``meta.json`` holds the
data snapshot (counts per table, read time, cut date, a hash of the ids), the metrics, the model
kinds and which one is served.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from graph.errors import InvalidInput, NotFound
from graph.store import check_tenant

KINDS: Final = ("deal-win", "links")
LATEST: Final = "latest"
META: Final = "meta.json"


@dataclass
class ModelVersion:
    """One trained version: where its files are and its metadata."""

    tenant: str
    kind: str
    version: str
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)

    def file(self, name: str) -> Path:
        return self.path / name


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def dump_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temp file + rename); NaN becomes null."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(_nan_to_none(data), default=_json_default, indent=1))
    os.replace(tmp, path)


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(v) for v in value]
    return value


class Registry:
    """Models of every tenant under one root (``<data_dir>/models``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _dir(self, tenant: str, kind: str) -> Path:
        check_tenant(tenant)
        if kind not in KINDS:
            raise InvalidInput(f"unknown model kind {kind!r}: one of {', '.join(KINDS)}")
        return self.root / tenant / kind

    def start(self, tenant: str, kind: str) -> ModelVersion:
        """A new version in a temporary folder; ``publish`` makes it visible."""
        version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        tmp = self._dir(tenant, kind) / f".tmp-{version}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        return ModelVersion(tenant, kind, version, tmp, {"tenant": tenant, "kind": kind, "version": version})

    def publish(self, mv: ModelVersion, *, make_latest: bool = True) -> ModelVersion:
        """Write ``meta.json``, move the folder into place and point ``latest`` at it."""
        mv.meta.setdefault("created_at", datetime.now(UTC).isoformat())
        dump_json(mv.path / META, mv.meta)
        final = self._dir(mv.tenant, mv.kind) / mv.version
        os.replace(mv.path, final)
        mv.path = final
        if make_latest:
            self.set_latest(mv.tenant, mv.kind, mv.version)
        return mv

    def discard(self, mv: ModelVersion) -> None:
        shutil.rmtree(mv.path, ignore_errors=True)

    def set_latest(self, tenant: str, kind: str, version: str) -> None:
        folder = self._dir(tenant, kind)
        if not (folder / version / META).is_file():
            raise NotFound(f"no {kind} model version {version!r} for tenant {tenant!r}")
        tmp = folder / f".{LATEST}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(version + "\n")
        os.replace(tmp, folder / LATEST)

    def latest_version(self, tenant: str, kind: str) -> str | None:
        """The served version's name, or None (a cheap file read: called on every request)."""
        try:
            version = (self._dir(tenant, kind) / LATEST).read_text().strip()
        except FileNotFoundError:
            return None
        return version or None

    def latest(self, tenant: str, kind: str) -> ModelVersion | None:
        version = self.latest_version(tenant, kind)
        return self.get(tenant, kind, version) if version else None

    def get(self, tenant: str, kind: str, version: str) -> ModelVersion:
        path = self._dir(tenant, kind) / version
        if not version or "/" in version or version.startswith(".") or not (path / META).is_file():
            raise NotFound(f"no {kind} model version {version!r} for tenant {tenant!r}")
        meta = json.loads((path / META).read_text())
        return ModelVersion(tenant, kind, version, path, meta)

    def versions(self, tenant: str, kind: str) -> list[str]:
        folder = self._dir(tenant, kind)
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and (p / META).is_file())

    def update_meta(self, mv: ModelVersion, **changes: Any) -> None:
        """Merge ``changes`` into a published version's ``meta.json`` (e.g. the last scoring run)."""
        mv.meta.update(changes)
        dump_json(mv.path / META, mv.meta)
