"""Search benchmark: the embedded tantivy index next to SQLite FTS5, same documents, same run.

    python bench/search.py --docs 1000000      # the issue's scale (about 10 minutes on 2 cores)
    python bench/search.py --docs 100000       # quick

What it prints, for both engines: build time, size on disk, p50/p99 latency (ms) of term, fuzzy,
prefix, filtered (term + account) and phrase queries and of suggestions, and typo recall, plus
the ratios. Latencies are of the whole call a service makes: for tantivy ``SearchIndex.search``
(query plan, engine, stored-field fetch, highlights of every field), for FTS5 one SQL statement
with ``bm25`` ranking and ``highlight()`` of both columns. Queries run one at a time in one thread.

Data: deterministic synthetic contacts (seeded), names from a few hundred real first names and
surnames including non-ASCII ones, about 3% CJK names, 50 contacts per account.

Typo recall: 1,000 real full names with typos, half with one edit in one word, half with one edit in
each word ("Jonh Smtih"); an edit is a substitution, insertion, deletion or adjacent transposition.
A query is recalled when a top-10 hit carries the intended name. Several contacts share each full
name (a few hundred names of each kind, a million contacts), and a name cannot tell namesakes apart,
so "exact contact in the top 10" is also printed, for information. Two edits inside one word are
reported separately: Elasticsearch's AUTO rule (which we follow) allows one edit in a word of 3-5
characters, so those are expected to miss for short names, on Elasticsearch too. FTS5 has no fuzzy
matching: its typo recall is what exact matching of the typed words finds.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.backends.tantivy import TantivyIndex, open_tantivy_index
from search.models import SearchDoc, SearchQuery
from search.text import WORD

TENANT = "bench"

# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words("""
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew
Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason
Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel
Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Douglas
Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Gerald Harold Sean Austin Carl
Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce Gabriel Logan Albert Willie Alan Juan Wayne
Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Mason Philip Louis Mary Patricia Jennifer Linda
Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret Sandra Ashley Kimberly Emily
Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca Sharon Laura Cynthia Kathleen
Amy Angela Shirley Anna Brenda Pamela Emma Nicole Helen Samantha Katherine Christine Debra Rachel
Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren
Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara
Madison Frances Kathryn Janice Jean Abigail Alice Judy Sophia Grace Denise Amber Doris Marilyn Danielle
Beverly Isabella Theresa Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori Zoë Søren Łukasz
José François Jürgen Björn Åsa Øystein Małgorzata Dorothée Chloé Renée Siân Seán Niamh Oğuz Çağla
Agnieszka Wojciech Zoltán Ildikó Jiří Tomáš Ségolène Hélène Mónica Inés Joël Maël Anaïs Bård Kåre
Ærling Sigurður Þóra Guðrún Ingrid Astrid Lars Mikkel Jörg Günther Käthe Ömer Ayşe Mehmet Dariusz
Paweł Kryštof Ana Li Bo Yu Wei Jun Hiroshi Yuki Aiko Kenji Priya Arjun Rahul Ananya Fatima Omar Yusuf
Amara Kwame Chidi Nia Mateo Santiago Valentina Camila Lucía Sebastián Ximena Thiago Gonçalo João
""")

LAST = _words("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark
Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson
Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards
Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey
Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza
Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry
Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan
Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera
Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald
Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson
Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black
Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols
Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen
Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews
Núñez Müller Ødegaard Kowalski Wójcik Łukaszewicz García Søndergaard Öztürk Dvořák Novák Horváth
Šimić Jørgensen Kierkegaard Åberg Lindström Björklund Häkkinen Mäkinen Virtanen Nieminen Schröder
Schäfer Weiß Krüger Köhler Lefèvre Dubois Moreau Rousseau Bézier Peña Ibáñez Muñoz Gómez Cañas
Zieliński Lewandowski Dąbrowski Kamiński Szymański Woźniak Kozłowski Jankowski Mazur Krawczyk
Yılmaz Kaya Demir Şahin Çelik Doğan Papadopoulos Georgiou Rossi Russo Ferrari Esposito Bianchi
Romano Colombo Ricci Marino Greco Bruno Gallo Conti Costa Giordano Mancini Rizzo Lombardi Moretti
Tanaka Suzuki Takahashi Watanabe Yamamoto Nakamura Kobayashi Sato Ito Kato Yoshida Yamada Sasaki
Singh Kumar Sharma Gupta Mehta Reddy Iyer Nair Das Okafor Mensah Adeyemi Okonkwo Abubakar Diallo
O'Brien O'Connor Ó Súilleabháin MacLeod Fitzgerald Gallagher Byrne Doyle Quinn Kavanagh Ng Wu Xu
""")

CJK_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
CJK_GIVEN = "小明伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛超霞平刚桂英华建国志红玉兰"

TITLES = """VP Sales|Head of Procurement|Chief Technology Officer|Chief Executive Officer|Chief Financial
Officer|IT Director|Software Engineer|Senior Software Engineer|Product Manager|Account Executive|
Sales Manager|Marketing Director|Operations Manager|Data Scientist|Security Architect|HR Business
Partner|General Counsel|Controller|Office Manager|Customer Success Manager|Solutions Architect|Head of
Data|Engineering Manager|Director of Finance|Buyer|Category Manager|Supply Chain Lead|Analyst|
Consultant|Founder|Board Member|Chief Operating Officer|Head of Partnerships|Business Analyst|
Project Manager|QA Lead|DevOps Engineer|Designer|Recruiter|Legal Counsel""".replace("\n", " ").split("|")

ACCOUNT_WORDS = _words("""Acme Globex Initech Umbrella Stark Wayne Wonka Tyrell Cyberdyne Soylent Hooli Vandelay
Massive Dynamic Aperture Oscorp Nakatomi Gringotts Monarch Sirius Northwind Contoso Fabrikam Litware
Adatum Tailspin Woodgrove Proseware Lucerne Fourth Coffee Alpine Blue Yonder Margie Trey Wingtip Zava
Nordlys Fjord Kraków Zürich Müller Øresund Bergen Lyon Porto Sevilla Atlas Boreal Cobalt Delta Ember
Falcon Granite Harbor Iris Juniper Kestrel Lumen Meridian Nimbus Onyx Pioneer Quartz Raven Summit Tidal
Umber Vertex Willow Xenon Yarrow Zenith Aurora Beacon Cascade Dune Echo Fathom Glacier Horizon Ion
Jade Kinetic Lattice Mosaic Nova Orbit Prism Quantum Ridge Solstice Terra Unity Vector Wave""")
ACCOUNT_KINDS = _words("""Logistics Systems Labs Analytics Foods Energy Health Capital Robotics Software Media
Holdings Partners Consulting Pharma Motors Airlines Retail Bank Insurance Foundry Networks Security
Materials Biotech Studios Telecom Shipping Hotels""")
LEGAL = ["Inc", "Ltd", "GmbH", "SA", "AB", "AS", "SpA", "BV", "LLC", "Group", "Co"]

CITIES = """London Paris Berlin Madrid Rome Lisbon Dublin Amsterdam Brussels Vienna Zürich Geneva Oslo
Tromsø Bergen Stockholm Malmö Göteborg Copenhagen Aarhus Helsinki Tampere Reykjavík Warsaw Kraków Łódź
Gdańsk Wrocław Prague Brno Budapest Bratislava Ljubljana Zagreb Belgrade Bucharest Sofia Athens Istanbul
İzmir Ankara München Köln Düsseldorf Hamburg Frankfurt Stuttgart Lyon Marseille Toulouse Nice Bordeaux
Sevilla Valencia Barcelona Málaga Bilbao Porto Milano Torino Napoli Firenze Bologna New_York Boston
Chicago Austin Denver Seattle Portland San_Francisco Los_Angeles San_Diego Miami Atlanta Toronto
Montréal Québec Vancouver Calgary México Bogotá Lima Santiago São_Paulo Buenos_Aires Tokyo Osaka Seoul
Singapore Sydney Melbourne Auckland Mumbai Bengaluru Lagos Nairobi Accra Cape_Town Dubai 北京 上海 東京""".replace(
    "_", " "
).split()

NOTE_WORDS = _words("""met at conference interested in renewal budget approved next quarter follow up call
scheduled demo pricing concern competitor evaluation champion introduced procurement legal review
security questionnaire pilot expansion upsell onboarding feedback positive negative decision maker
travelling until contract signed invoice overdue referral from webinar trade show coffee lunch golf
prefers email phone mornings afternoons timezone reorganisation new role promoted left company hiring
team growing cost cutting migration cloud integration api roadmap request feature bug support ticket
escalation renewal risk churn happy reference case study quote discount multi year agreement""")


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    first: str
    last: str
    title: str
    account: str
    account_id: str
    city: str
    email: str
    notes: str | None

    @property
    def name(self) -> str:
        return self.last if not self.first else f"{self.first} {self.last}"

    @property
    def is_cjk(self) -> bool:
        return not self.first


_SLUG_FOLD: dict[str, str | int | None] = {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "ß": "ss", "đ": "d"}
_SLUG_TABLE = str.maketrans(_SLUG_FOLD)


def ascii_slug(text: str) -> str:
    """For e-mail addresses: strip accents, keep letters and digits."""
    folded = unicodedata.normalize("NFKD", text).translate(_SLUG_TABLE)
    return "".join(c for c in folded.lower() if c.isascii() and c.isalnum())


def accounts(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """``n`` accounts as (id, name, e-mail domain)."""
    out: list[tuple[str, str, str]] = []
    for i in range(n):
        name = f"{rng.choice(ACCOUNT_WORDS)} {rng.choice(ACCOUNT_KINDS)} {rng.choice(LEGAL)}"
        domain = f"{ascii_slug(name.rsplit(' ', 1)[0])}{i}.com"
        out.append((f"a{i}", name, domain))
    return out


def contacts(n: int, seed: int = 7) -> list[Contact]:
    """``n`` contacts over ``max(n // 50, 10)`` accounts, deterministic for a given seed."""
    rng = random.Random(seed)
    accts = accounts(rng, max(n // 50, 10))
    out: list[Contact] = []
    for i in range(n):
        if rng.random() < 0.03:
            first = ""
            last = rng.choice(CJK_SURNAMES) + "".join(rng.choices(CJK_GIVEN, k=rng.choice((1, 2))))
            local = f"user{i}"
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = f"{ascii_slug(first)}.{ascii_slug(last)}{i % 97}"
        account_id, account, domain = rng.choice(accts)
        notes = " ".join(rng.choices(NOTE_WORDS, k=rng.randint(5, 14))) if rng.random() < 0.35 else None
        out.append(
            Contact(
                id=f"c{i}",
                first=first,
                last=last,
                title=rng.choice(TITLES).strip(),
                account=account,
                account_id=account_id,
                city=rng.choice(CITIES),
                email=f"{local}@{domain}",
                notes=notes,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Typos
# --------------------------------------------------------------------------------------------
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def fold(text: str) -> str:
    """Accent-free lowercase, to tell a real typo from a mere accent change."""
    return ascii_slug(text) if text else text


def edit(word: str, rng: random.Random) -> str:
    """One random edit: substitution, insertion, deletion or adjacent transposition."""
    while True:
        op = rng.choice(("sub", "ins", "del", "swap"))
        i = rng.randrange(len(word) + (op == "ins"))
        if op == "sub":
            out = word[:i] + rng.choice(LETTERS) + word[i + 1 :]
        elif op == "ins":
            out = word[:i] + rng.choice(LETTERS) + word[i:]
        elif op == "del" and len(word) > 1:
            out = word[:i] + word[i + 1 :]
        elif op == "swap" and i + 1 < len(word) and word[i] != word[i + 1]:
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            continue
        if fold(out) != fold(word):
            return out


def typo_queries(
    people: Sequence[Contact], rng: random.Random, n: int, *, same_word: bool = False
) -> list[tuple[Contact, str]]:
    """``n`` (person, typo'd full name) pairs (see the module docstring for the mix)."""
    out: list[tuple[Contact, str]] = []
    for i, person in enumerate(people[:n]):
        first, last = person.first, person.last
        if same_word:
            if rng.random() < 0.5:
                first = edit(edit(first, rng), rng)
            else:
                last = edit(edit(last, rng), rng)
        elif i % 2 == 0:
            if rng.random() < 0.5:
                first = edit(first, rng)
            else:
                last = edit(last, rng)
        else:
            first, last = edit(first, rng), edit(last, rng)
        out.append((person, f"{first} {last}"))
    return out


# --------------------------------------------------------------------------------------------
# Engines under test
# --------------------------------------------------------------------------------------------
def chunks(items: Sequence[Contact], size: int) -> Iterator[Sequence[Contact]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def to_search_doc(c: Contact) -> SearchDoc:
    return SearchDoc(
        tenant=TENANT,
        type="contact",
        id=c.id,
        name=c.name,
        emails=(c.email,),
        title=c.title,
        account=c.account,
        account_id=c.account_id,
        city=c.city,
        notes=c.notes,
    )


@dataclass
class Build:
    seconds: float
    cpu: float
    """Process CPU seconds, all threads (tantivy indexes on its own threads)."""
    bytes: int
    extra: str


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_tantivy(people: Sequence[Contact], path: Path) -> tuple[TantivyIndex, Build]:
    index = open_tantivy_index(path, writer_heap_bytes=256_000_000)
    model_s = model_cpu = 0.0
    start, cpu = time.perf_counter(), time.process_time()
    for chunk in chunks(people, 20_000):
        t0, c0 = time.perf_counter(), time.process_time()
        docs = [to_search_doc(c) for c in chunk]
        model_s += time.perf_counter() - t0
        model_cpu += time.process_time() - c0
        index.upsert(docs)
    index.refresh()
    total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    note = f"(+{model_s:.1f} s building SearchDoc models, not counted)"
    return index, Build(total - model_s, total_cpu - model_cpu, dir_size(path), note)


FTS_SCHEMA = """CREATE VIRTUAL TABLE docs USING fts5(
    name, body, id UNINDEXED, tenant UNINDEXED, account_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"""


def build_fts(people: Sequence[Contact], path: Path) -> tuple[sqlite3.Connection, Build]:
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(FTS_SCHEMA)
    start, cpu = time.perf_counter(), time.process_time()
    with conn:
        conn.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
            (
                (
                    c.name,
                    " ".join(x for x in (c.email, c.title, c.account, c.city, c.notes) if x),
                    c.id,
                    TENANT,
                    c.account_id,
                )
                for c in people
            ),
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return conn, Build(seconds, cpu, path.stat().st_size, "(prefix index 2,3 chars)")


def fts_terms(text: str) -> list[str]:
    return [m.group().lower() for m in WORD.finditer(text)]


def fts_match(text: str, *, prefix: bool = False, phrase: bool = False, column: str = "") -> str:
    """A safe FTS5 MATCH expression: every word quoted, so nothing the user typed is syntax."""
    terms = fts_terms(text)
    if not terms:
        return '""'
    col = f"{column} : " if column else ""
    if phrase:
        return col + '"' + " ".join(terms) + '"'
    parts = [f'{col}"{t}"' for t in terms]
    if prefix:
        parts[-1] += "*"
    return " AND ".join(parts)


FTS_SEARCH = (
    "SELECT id, name, highlight(docs, 0, '<em>', '</em>'), highlight(docs, 1, '<em>', '</em>') FROM docs "
    "WHERE docs MATCH ? AND tenant = ? {extra} ORDER BY bm25(docs, 4.0, 1.0) LIMIT 10"
)


def fts_search(conn: sqlite3.Connection, match: str, account_id: str | None = None) -> list[tuple[str, str]]:
    if account_id is None:
        rows = conn.execute(FTS_SEARCH.format(extra=""), (match, TENANT)).fetchall()
    else:
        rows = conn.execute(FTS_SEARCH.format(extra="AND account_id = ?"), (match, TENANT, account_id)).fetchall()
    return [(r[0], r[1]) for r in rows]


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------
@dataclass
class Timings:
    wall: list[float]
    cpu: list[float]
    """CPU time of the calling thread: both engines search in the caller's thread, so this is the
    work a query costs, robust to other processes competing for the CPUs (wall time is not)."""


def latencies(calls: Sequence[Callable[[], object]], warmup: int = 20) -> Timings:
    """Milliseconds per call (wall and thread CPU), after ``warmup`` untimed calls."""
    for call in calls[:warmup]:
        call()
    out = Timings([], [])
    for call in calls:
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        call()
        out.wall.append((time.perf_counter_ns() - t0) / 1e6)
        out.cpu.append((time.thread_time_ns() - c0) / 1e6)
    return out


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Row:
    label: str
    tantivy: Timings
    fts: Timings


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=1000, help="timed queries per kind on tantivy")
    parser.add_argument("--fts-queries", type=int, default=300, help="timed queries per kind on FTS5")
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir, removed)")
    args = parser.parse_args(argv)

    work = args.dir or Path(tempfile.mkdtemp(prefix="relgraph-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        run(args, work)
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    print(f"search bench: {args.docs:,} contacts, seed {args.seed}, {os.cpu_count()} CPUs, work dir {work}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (other processes share these CPUs)")
    t0 = time.perf_counter()
    people = contacts(args.docs, args.seed)
    print(f"generated data in {time.perf_counter() - t0:.1f} s")

    index, tb = build_tantivy(people, work / "tantivy")
    print(f"tantivy built: {tb.seconds:.1f} s {tb.extra}")
    conn, fb = build_fts(people, work / "fts5.db")
    print(f"FTS5 built: {fb.seconds:.1f} s")

    rng = random.Random(args.seed + 1)
    latin = [c for c in people if not c.is_cjk]
    sample = rng.sample(latin, min(len(latin), max(args.queries, 1000)))
    nq, nf = args.queries, args.fts_queries
    typo_pairs = typo_queries(sample, rng, 1000)
    typos = [q for _, q in typo_pairs]
    typos_same_word = typo_queries(rng.sample(latin, min(len(latin), 1000)), rng, 1000, same_word=True)

    def ts(q: str, account_id: str | None = None, fuzzy: bool = True) -> Callable[[], object]:
        return lambda: index.search(TENANT, SearchQuery(q=q, account_id=account_id, limit=10, fuzzy=fuzzy))

    def sg(prefix: str) -> Callable[[], object]:
        return lambda: index.suggest(TENANT, prefix)

    def fq(match: str, account_id: str | None = None) -> Callable[[], object]:
        return lambda: fts_search(conn, match, account_id)

    kinds: dict[str, tuple[list[Callable[[], object]], list[Callable[[], object]]]] = {
        "term (full name)": (
            [ts(c.name) for c in sample[:nq]],
            [fq(fts_match(c.name)) for c in sample[:nf]],
        ),
        "  same, exact words only": (
            [ts(c.name + " ", fuzzy=False) for c in sample[:nq]],
            [fq(fts_match(c.name)) for c in sample[:nf]],
        ),
        "fuzzy (typo'd name)": ([ts(q) for q in typos[:nq]], [fq(fts_match(q)) for q in typos[:nf]]),
        "prefix (john smi)": (
            [ts(f"{c.first} {c.last[:3]}") for c in sample[:nq]],
            [fq(fts_match(f"{c.first} {c.last[:3]}", prefix=True)) for c in sample[:nf]],
        ),
        "filtered (surname + account)": (
            [ts(c.last, c.account_id) for c in sample[:nq]],
            [fq(fts_match(c.last), c.account_id) for c in sample[:nf]],
        ),
        'phrase ("john smith")': (
            [ts(f'"{c.name}"') for c in sample[:nq]],
            [fq(fts_match(c.name, phrase=True)) for c in sample[:nf]],
        ),
        "suggest (jo / john s)": (
            [sg(_prefix(c, i)) for i, c in enumerate(sample[:nq])],
            [fq(fts_match(_prefix(c, i), prefix=True, column="name")) for i, c in enumerate(sample[:nf])],
        ),
    }
    rows = []
    for label, (tantivy_calls, fts_calls) in kinds.items():
        rows.append(Row(label, latencies(tantivy_calls), latencies(fts_calls)))
        print(f"  measured {label}")

    def tantivy_top(q: str) -> list[tuple[str, str]]:
        return [(h.id, h.title) for h in index.search(TENANT, SearchQuery(q=q, limit=10)).hits]

    def fts_top(q: str) -> list[tuple[str, str]]:
        return fts_search(conn, fts_match(q))

    recall = {"tantivy": recall_of(tantivy_top, typo_pairs), "FTS5": recall_of(fts_top, typo_pairs)}
    recall_same = {
        "tantivy": recall_of(tantivy_top, typos_same_word),
        "FTS5": recall_of(fts_top, typos_same_word),
    }
    report(args, tb, fb, index, rows, recall, recall_same)
    index.close()
    conn.close()
    suggest_over_http(work, [_prefix(c, i) for i, c in enumerate(sample[:nq])])
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


def suggest_over_http(work: Path, prefixes: Sequence[str]) -> None:
    """GET /search/suggest through the real app (uvicorn, auth, tenant scope) on the same index."""
    import httpx

    from bench.common import Server, free_port
    from graph.backends.embedded import LadybugStore
    from graph.repositories.keys import create_key

    data = work / "app"
    data.mkdir(exist_ok=True)
    (work / "tantivy").rename(data / "search")  # the app finds its index at <data dir>/search
    store = LadybugStore(data)
    key = create_key(store=store, tenant=TENANT, role="viewer").key
    store.close()
    with Server("real", free_port(), data_dir=data) as srv:
        srv.wait_ready("/health")
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{srv.port}", headers=auth) as client:
            calls = [lambda p=p: client.get("/search/suggest", params={"q": p}).raise_for_status() for p in prefixes]
            t = latencies(calls)
    print(
        f"suggest over HTTP (uvicorn, 1 client, keep-alive), {len(prefixes)} prefixes: "
        f"p50 {pct(t.wall, 0.5):.2f} ms, p99 {pct(t.wall, 0.99):.2f} ms [target p99 <= 15 ms]"
    )


def _prefix(c: Contact, i: int) -> str:
    """Suggest inputs: 2, 3 or 4 letters of a first name, or a first name and 1-2 letters."""
    kind = i % 4
    if kind == 3:
        return f"{c.first} {c.last[: 1 + i % 2]}"
    return c.first[: 2 + kind]


@dataclass
class Recall:
    by_name: float
    by_id: float
    misses: list[str]


def recall_of(top10: Callable[[str], list[tuple[str, str]]], pairs: Sequence[tuple[Contact, str]]) -> Recall:
    """Share of typo queries whose intended name (and, for information, contact) is in the top 10."""
    named = exact = 0
    misses: list[str] = []
    for person, query in pairs:
        hits = top10(query)
        if any(title == person.name for _, title in hits):
            named += 1
        else:
            misses.append(f"{query!r} -> {person.name!r}")
        exact += any(hit_id == person.id for hit_id, _ in hits)
    n = max(len(pairs), 1)
    return Recall(named / n, exact / n, misses)


def report(
    args: argparse.Namespace,
    tb: Build,
    fb: Build,
    index: TantivyIndex,
    rows: Sequence[Row],
    recall: dict[str, Recall],
    recall_same: dict[str, Recall],
) -> None:
    mb = 1024 * 1024
    print()
    n_t, n_f = len(rows[0].tantivy.wall), len(rows[0].fts.wall)
    print(f"=== {args.docs:,} contacts; tantivy {n_t} / FTS5 {n_f} queries per kind ===")
    print(f"{'':34}{'tantivy':>18}{'FTS5':>18}{'FTS5/tantivy':>14}   (ratio > 1: tantivy is faster/smaller)")
    print(f"{'build (s)':34}{tb.seconds:>18.1f}{fb.seconds:>18.1f}{fb.seconds / tb.seconds:>14.2f}")
    print(f"{'build CPU (s, all threads)':34}{tb.cpu:>18.1f}{fb.cpu:>18.1f}{fb.cpu / tb.cpu:>14.2f}")
    print(f"{'size on disk (MB)':34}{tb.bytes / mb:>18.0f}{fb.bytes / mb:>18.0f}{fb.bytes / tb.bytes:>14.2f}")
    print(f"{'':34}{'p50 / p99 ms':>18}{'p50 / p99 ms':>18}{'p50 / p99':>14}")
    for kind in ("wall", "cpu"):
        if kind == "cpu":
            print(f"{'  same queries, thread CPU time:':34}")
        for row in rows:
            tv, fv = getattr(row.tantivy, kind), getattr(row.fts, kind)
            t50, t99 = statistics.median(tv), pct(tv, 0.99)
            f50, f99 = statistics.median(fv), pct(fv, 0.99)
            print(
                f"{row.label:34}{f'{t50:.2f} / {t99:.2f}':>18}{f'{f50:.2f} / {f99:.2f}':>18}"
                f"{f'{f50 / t50:.2g} / {f99 / t99:.2g}':>14}"
            )
    print(f"{'typo recall@10, intended name':34}{recall['tantivy'].by_name:>18.1%}{recall['FTS5'].by_name:>18.1%}")
    print(f"{'  (exact contact, information)':34}{recall['tantivy'].by_id:>18.1%}{recall['FTS5'].by_id:>18.1%}")
    print(
        f"{'2 edits in one word (AUTO: 1 edit':34}{recall_same['tantivy'].by_name:>18.1%}"
        f"{recall_same['FTS5'].by_name:>18.1%}"
    )
    print(f"{'  for 3-5 letters), name in top 10':34}")
    print(f"tantivy {tb.extra}; FTS5 {fb.extra}")
    print(f"tantivy segments after build: {index_segments(index)}; peak RSS {peak_rss_mb():.0f} MB (both engines)")
    print(
        "per query: tantivy = SearchIndex.search (every word exact OR fuzzy (AUTO) in name/body, last word also as a"
        " prefix, match count, highlights of all fields); FTS5 = exact words (AND), bm25, highlight() of 2 columns"
    )
    misses = recall["tantivy"].misses
    if misses:
        print(f"tantivy typo misses ({len(misses)}), first 10: " + "; ".join(misses[:10]))


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def index_segments(index: TantivyIndex) -> int:
    return index.segment_count()


if __name__ == "__main__":
    main()
