"""Suggested connections for a contact: people they probably know or should meet next, with reasons.

Candidates are the contact's colleagues (current accounts) and the people their contacts know
(friends of friends), minus the people they already know (shared an interaction). People who know
more than ``HUB`` others (our reps, typically) are not expanded: through them every contact would
be a candidate; they still count as shared contacts of the candidates found otherwise. Each candidate
is scored by the tenant's latest ``links`` model (GraphSAGE embeddings from training + the MLP
decoder over live pair features: common neighbours, Adamic-Adar, same account, reporting line), or,
without a model or for a contact the model has not seen, by the Adamic-Adar heuristic (the
answer's ``model_kind`` says which). Everything is read with a handful of targeted queries.

Reasons: "shares 3 contacts: A, B and C"; "works at the same account as X and Y, whom you already
know"; "works at Acme, as you do"; "in your reporting line".
"""

from __future__ import annotations

import json
import math
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from graph import schema
from graph.cypher import label_of
from graph.errors import NotFound
from graph.store import GraphStore
from ml.models.link_pred import LinkModel
from ml.registry import ModelVersion, Registry

# Every query is anchored by ``{uid: $uid}`` (a primary-key lookup; ``IN`` lists scanned the label).
ME: Final = (
    "MATCH (x:Contact {uid: $uid}) OPTIONAL MATCH (x)-[w:WORKS_AT]->(a:Account) "
    "RETURN x.uid AS uid, x.name AS name, a.uid AS account, a.name AS account_name, w.until AS until"
)
# The people ``x`` shares an interaction with, with their current accounts (at most ``$limit`` rows).
NEIGHBOURS: Final = (
    "MATCH (x:{x_label} {{uid: $uid}})-[:PARTICIPATED_IN]->(i:Interaction)<-[:PARTICIPATED_IN]-(n) "
    "WITH DISTINCT n WHERE n.uid <> $uid "
    "OPTIONAL MATCH (n)-[w:WORKS_AT]->(a:Account) "
    "RETURN n.uid AS n, {label} AS label, n.name AS name, n.title AS title, a.uid AS account, "
    "a.name AS account_name, w.until AS until LIMIT $limit"
)
DEGREE: Final = (
    "MATCH (x:{x_label} {{uid: $uid}})-[:PARTICIPATED_IN]->(i:Interaction)<-[:PARTICIPATED_IN]-(n) "
    "WITH DISTINCT n WHERE n.uid <> $uid RETURN count(n) AS n"
)
HUB_KNOWS: Final = (
    "MATCH (x:{x_label} {{uid: $uid}})-[:PARTICIPATED_IN]->(i:Interaction)<-[:PARTICIPATED_IN]-(n) "
    "WITH DISTINCT n WHERE n.uid IN $candidates RETURN n.uid AS n"
)
COLLEAGUES: Final = (
    "MATCH (c:Contact)-[w:WORKS_AT]->(a:Account {uid: $uid}) WITH c, w, a WHERE w.until IS NULL "
    "RETURN c.uid AS uid, c.name AS name, c.title AS title, a.uid AS account, a.name AS account_name"
)
LINES: Final = "MATCH (x:Contact {uid: $uid})-[:REPORTS_TO]-(m:Contact) RETURN m.uid AS uid"
HUB: Final = 200  # people who know more are not expanded (our reps, typically); see suggested_connections
MAX_LIMIT: Final = 50


@dataclass
class LoadedLinks:
    version: ModelVersion
    model: LinkModel
    embeddings: np.ndarray  # [n_people, H]
    index: dict[str, int]


class LinkCache:
    """Loaded ``links`` versions per (registry root, tenant)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], LoadedLinks] = {}
        self._lock = threading.Lock()

    def get(self, registry: Registry, tenant: str) -> LoadedLinks | None:
        version = registry.latest_version(tenant, "links")
        if version is None:
            return None
        key = (str(registry.root.resolve()), tenant)
        hit = self._items.get(key)
        if hit is not None and hit.version.version == version:
            return hit
        with self._lock:
            mv = registry.get(tenant, "links", version)
            people = json.loads(mv.file("people.json").read_text())
            hit = LoadedLinks(
                mv,
                LinkModel.load(mv.path),
                np.load(mv.file("embeddings.npy")),
                {str(u): i for i, u in enumerate(people)},
            )
            self._items[key] = hit
            return hit


CACHE: Final = LinkCache()


def _names(names: list[str]) -> str:
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _strip(tenant: str, uid: str) -> str:
    prefix = f"{tenant}/"
    return uid[len(prefix) :] if uid.startswith(prefix) else uid


def suggested_connections(
    *,
    store: GraphStore,
    tenant: str,
    contact_id: str,
    registry: Registry,
    cache: LinkCache = CACHE,
    limit: int = 10,
) -> dict[str, Any]:
    """Up to ``limit`` people the contact is likely to know next, best first, with reasons."""
    limit = max(1, min(limit, MAX_LIMIT))
    me = schema.uid(tenant, contact_id)
    rows = store.read(tenant, ME, {"uid": me})
    if not rows:
        raise NotFound(f"contact {contact_id!r} not found")
    my_accounts = {str(r["account"]): str(r["account_name"]) for r in rows if r["account"] and r["until"] is None}
    label = label_of(store.dialect, "n")
    info: dict[str, dict[str, Any]] = {}
    account_of: dict[str, tuple[str, str]] = {}

    def neighbours(uid: str, x_label: str, cap: int) -> list[str]:
        query = NEIGHBOURS.format(x_label=x_label, label=label)
        out: list[str] = []
        for r in store.read(tenant, query, {"uid": uid, "limit": cap}):
            n = str(r["n"])
            if n not in info:
                info[n] = {"label": r["label"], "name": r["name"], "title": r["title"]}
                out.append(n)
            elif n not in out:
                out.append(n)
            if r["account"] is not None and r["until"] is None:
                acct = (str(r["account"]), str(r["account_name"]))
                if n not in account_of or acct[0] < account_of[n][0]:
                    account_of[n] = acct
        return out

    known = set(neighbours(me, "Contact", 100_000))
    # friends of friends through each known person; a hub (knows more than HUB people) is not
    # expanded, it only counts as a shared contact of candidates found otherwise
    via: dict[str, set[str]] = defaultdict(set)
    degree: dict[str, int] = {}
    hubs: list[str] = []
    for k in sorted(known):
        x_label = str(info[k]["label"])
        theirs = neighbours(k, x_label, HUB + 1)
        if len(theirs) > HUB:
            hubs.append(k)
            got = store.read(tenant, DEGREE.format(x_label=x_label), {"uid": k})
            degree[k] = int(got[0]["n"]) if got else len(theirs)
            continue
        degree[k] = len(theirs)
        for m in theirs:
            via[m].add(k)
    colleagues: set[str] = set()
    for acct in sorted(my_accounts):
        for r in store.read(tenant, COLLEAGUES, {"uid": acct}):
            c = str(r["uid"])
            colleagues.add(c)
            info.setdefault(c, {"label": "Contact", "name": r["name"], "title": r["title"]})
            account_of.setdefault(c, (str(r["account"]), str(r["account_name"])))
    candidates = sorted((set(via) | colleagues) - known - {me})
    for h in hubs:
        if candidates:
            query = HUB_KNOWS.format(x_label=str(info[h]["label"]))
            for r in store.read(tenant, query, {"uid": h, "candidates": candidates}):
                via[str(r["n"])].add(h)
    staff_known: dict[str, list[str]] = defaultdict(list)
    for k in sorted(known):
        if k in account_of:
            staff_known[account_of[k][0]].append(k)
    lines = {str(r["uid"]) for r in store.read(tenant, LINES, {"uid": me})}
    my_primary = min(my_accounts) if my_accounts else None
    feats = np.zeros((len(candidates), 4), dtype=np.float32)
    for i, c in enumerate(candidates):
        common = via.get(c, set())
        feats[i, 0] = len(common)
        feats[i, 1] = sum(1.0 / math.log(degree[n]) for n in common if degree[n] > 1)
        feats[i, 2] = float(my_primary is not None and account_of.get(c, ("",))[0] == my_primary)
        feats[i, 3] = float(c in lines)
    loaded = cache.get(registry, tenant)
    if loaded is not None and me in loaded.index and candidates:
        emb = loaded.embeddings
        hu = np.repeat(emb[loaded.index[me]][None, :], len(candidates), axis=0)
        hv = np.stack([emb[loaded.index[c]] if c in loaded.index else np.zeros(emb.shape[1]) for c in candidates])
        scores = loaded.model.decode_numpy(hu.astype(np.float32), hv.astype(np.float32), feats)
        kind, version = "graphsage", loaded.version.version
    else:
        scores = feats[:, 1] + 0.5 * feats[:, 2] + feats[:, 3] + 0.01 * feats[:, 0]
        kind, version = "heuristic (Adamic-Adar)", None
    order = np.lexsort((np.asarray(candidates, dtype=object), -scores))[:limit]
    out = []
    for i in order:
        c = candidates[int(i)]
        out.append(
            {
                "person_id": _strip(tenant, c),
                "kind": str(info.get(c, {}).get("label", "Contact")).lower(),
                "name": info.get(c, {}).get("name"),
                "title": info.get(c, {}).get("title"),
                "score": round(float(scores[int(i)]), 4),
                "reasons": _reasons(c, via, info, account_of, staff_known, my_primary, lines),
            }
        )
    note = None
    if loaded is None:
        note = f"no links model for this tenant: run `relgraph train links --tenant {tenant}` (heuristic used)"
    elif me not in loaded.index:
        note = "this contact is newer than the links model: heuristic used until the next training"
    return {
        "contact_id": contact_id,
        "model_kind": kind,
        "model_version": version,
        "known_people": len(known),
        "suggestions": out,
        "note": note,
    }


def _reasons(
    c: str,
    via: dict[str, set[str]],
    info: dict[str, dict[str, Any]],
    account_of: dict[str, tuple[str, str]],
    staff_known: dict[str, list[str]],
    my_primary: str | None,
    lines: set[str],
) -> list[str]:
    out = []
    if c in lines:
        out.append("in your reporting line")
    common = sorted(via.get(c, set()), key=lambda n: str(info.get(n, {}).get("name") or n))
    if common:
        shown = [str(info.get(n, {}).get("name") or n) for n in common[:3]]
        more = f" and {len(common) - 3} more" if len(common) > 3 else ""
        out.append(f"shares {len(common)} contact{'s' if len(common) != 1 else ''}: {_names(shown)}{more}")
    acct = account_of.get(c)
    if acct is not None:
        mates = [str(info.get(k, {}).get("name") or k) for k in staff_known.get(acct[0], []) if k != c]
        if mates:
            out.append(f"works at the same account as {_names(mates[:3])}, whom you already know")
        elif acct[0] == my_primary:
            out.append(f"works at {acct[1]}, as you do")
    return out
