"""Job titles -> seniority level and department.

Why rules and not a model: titles are short, the vocabulary is small and stable, the traps are
well known ("Assistant to the CEO" is not a C-level; "Account Executive" is a salesperson; "Product
Owner" owns no company; "HR Business Partner" is not a law-firm partner), and every decision has
to be explainable in the org chart's evidence. A table of ordered patterns handles this in a few
microseconds per title and is easy to extend from the test table.

Levels (``Seniority``):

    5 executive        C-level, owner, founder, president, chairman, partner, managing director,
                       Geschäftsführer, Director General / Directeur Général
    4 vice_president   EVP / SVP / VP, general manager, general counsel, executive director
    3 director         director, head of, Leiter, non-officer "chief" (Chief Counsel), AVP
    2 manager          manager, team lead, supervisor
    1 individual_contributor   everything else that is a title (analyst, trader, engineer, ...)
    0 unknown          empty or unreadable

How: the title is lower-cased, accents are folded (ä -> a), dotted acronyms are closed (V.P. -> vp)
and abbreviations expanded (Sr -> senior, Mgr -> manager, VP -> vice president, ...). A phrase of
the form "assistant to the <X>" is cut off before "to": its level is the assistant's, its
department the principal's. Then the level patterns run most specific first; each match blanks out
its span so a later, more generic pattern cannot match it again ("vice president" hides
"president", "managing director" hides "director"). The highest level matched wins. The department
is the best-weighted keyword match (ties: the earliest in the title); "executive" is the weakest
department, used when nothing more specific is said ("CEO" -> executive, "President, Sales" ->
sales).

``confidence`` is the confidence of the winning level pattern: about 0.9 for unambiguous forms
(CEO, Vice President), lower for forms that vary by company (Partner 0.7, Lead 0.55, "X Manager"
roles that rarely manage people 0.6), 0.3 when no known word was found and the title is taken to be
an individual contributor's.
"""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum
from functools import lru_cache
from typing import Final, NamedTuple


class Seniority(IntEnum):
    UNKNOWN = 0
    INDIVIDUAL_CONTRIBUTOR = 1
    MANAGER = 2
    DIRECTOR = 3
    VICE_PRESIDENT = 4
    EXECUTIVE = 5


LABELS: Final = {level: level.name.lower() for level in Seniority}


class ParsedTitle(NamedTuple):
    level: int
    label: str
    department: str | None
    confidence: float


UNKNOWN: Final = ParsedTitle(0, "unknown", None, 0.0)

_ABBREVIATIONS: Final = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "mgr": "manager",
    "mngr": "manager",
    "mgmt": "management",
    "dir": "director",
    "vp": "vice president",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "avp": "assistant vice president",
    "gm": "general manager",
    "md": "managing director",
    "asst": "assistant",
    "assist": "assistant",
    "assoc": "associate",
    "exec": "executive",
    "admin": "administrative",
    "sysadmin": "system administrator",
    "eng": "engineer",
    "engr": "engineer",
    "engg": "engineering",
    "mktg": "marketing",
    "mkt": "marketing",
    "ops": "operations",
    "acct": "account",
    "acctg": "accounting",
    "pres": "president",
    "chmn": "chairman",
    "dept": "department",
    "intl": "international",
    "govt": "government",
    "gov": "government",
    "bizdev": "business development",
    "bd": "business development",
    "rep": "representative",
    "coord": "coordinator",
    "spec": "specialist",
    "supv": "supervisor",
    "supvr": "supervisor",
    "sw": "software",
    "swe": "software engineer",
    "sde": "software engineer",
    "cust": "customer",
    "svc": "service",
    "svcs": "services",
    "hrbp": "hr business partner",
    "rnd": "r&d",
}

_C_SUITE: Final = "ceo|cfo|coo|cto|cio|cmo|cro|cso|cpo|cco|cdo|cao|chro|ciso|clo|cxo|cbo|cgo|cpto|cno|cko|cso|cvo|cis?o"

# Cut "assistant to the CEO" before "to": the rest names the principal, not the holder's rank.
_PRINCIPAL = re.compile(
    r"\b(?:special |executive |personal |administrative )?"
    r"(?:assistant|secretary|aide|advisor|adviser|liaison|chief of staff|ea|pa)\s+(?:to|of|for)\s+(?:the\s+)?(.+)$"
)

Rule = tuple[re.Pattern[str], int, float]


def _rules(*rows: tuple[str, int, float]) -> tuple[Rule, ...]:
    return tuple((re.compile(p), level, conf) for p, level, conf in rows)


# Ordered most specific first. Level 0 means "hide this phrase from later rules, no level".
_LEVEL_RULES: Final = _rules(
    # traps: phrases containing a rank word that are not that rank
    (r"\bproduct owners?\b", 1, 0.8),
    (
        r"\b(?:process|system|systems|service|data|risk|budget|control|application|platform|feature|content|"
        r"relationship|account|solution|technical|asset)\s+owners?\b",
        1,
        0.6,
    ),
    (r"\b(?:account|sales|client|marketing|business development|channel)\s+executives?\b", 1, 0.85),
    (
        r"\bexecutive\s+(?:assistant|secretary|administrator|coordinator|search|recruiter|chef|producer|editor)s?\b",
        1,
        0.85,
    ),
    (r"\b(?:hr |human resources |people |finance |it )?business partners?\b", 1, 0.7),
    (
        r"\b(?:key account|account|product|project|program|programme|relationship|portfolio|case|territory|"
        r"community|property|category|brand|partner|social media|customer success|client success|content|"
        r"campaign|events?|office)\s+managers?\b",
        1,
        0.6,
    ),
    (
        r"\b(?:channel|alliance|alliances|technology|strategic|solution|solutions|implementation|reseller)\s+"
        r"partners?\b",
        0,
        0.0,
    ),
    (r"\blead(?:s)?\s+(?:generation|gen|qualification)\b", 0, 0.0),
    (r"\bvorstandsassistent(?:in)?\b", 1, 0.8),
    (r"\b(?:head|chief|managing|general) (?:chef|cook|nurse|coach|teller)\b", 2, 0.6),
    # executive (5)
    (rf"\b(?:{_C_SUITE})\b", 5, 0.95),
    (r"\bchief\s+(?:[a-z&]+\s+){0,4}officer\b", 5, 0.95),
    (r"\bchief executive\b", 5, 0.95),
    (r"\b(?:co )?founders?\b|\bfounding partner\b", 5, 0.9),
    (r"\b(?:co )?owners?\b|\bproprietor\b|\binhaber(?:in)?\b", 5, 0.85),
    (r"\b(?:vice|deputy)\s+chair(?:man|woman|person)?\b", 5, 0.85),
    (r"\bchair(?:man|woman|person)\b|\bboard chair\b|\bchair of the board\b", 5, 0.9),
    (r"\bchair\b", 3, 0.5),
    (r"\b(?:assistant|associate|deputy)\s+vice\s+president[ea]?s?\b", 3, 0.85),
    (
        r"\b(?:(?:senior|executive|group|corporate|regional|area|divisional|first)\s+)?vice\s+president[ea]?s?\b",
        4,
        0.95,
    ),
    (r"\bvice\s*presidente?\b|\bvizepr(?:ae|a)sident(?:in)?\b", 4, 0.9),
    (r"\bpresident[ea]?s?\b|\bpr(?:ae|a)sident(?:in)?\b", 5, 0.9),
    (r"\b(?:associate|assistant|deputy)\s+managing\s+director\b", 4, 0.7),
    (r"\bmanaging\s+directors?\b", 5, 0.8),
    (r"\b(?:managing|senior|general|equity|name)\s+partners?\b", 5, 0.9),
    (r"\b(?:associate|junior|salary|non equity)\s+partners?\b", 4, 0.7),
    (r"\bpartners?\b", 5, 0.7),
    (
        r"\b(?:director|directeur|directora|directrice|diretor|diretora|direttore)\s+general[e]?\b|"
        r"\bgeneral\s+director\b|\bdirector[a]? ejecutiv[oa]\b",
        5,
        0.85,
    ),
    (r"\bpdg\b|\bgesch(?:ae|a)ftsf(?:ue|u)hrer(?:in)?\b|\bvorstand\w*\b", 5, 0.9),
    (r"\bamministratore\s+delegato\b|\bconsejer[oa]\s+delegad[oa]\b|\bgerente\s+general\b", 5, 0.85),
    (
        r"\b(?:board member|member of the board|board of directors|non executive director|"
        r"nonexecutive director|independent director)\b",
        5,
        0.7,
    ),
    # vice president (4)
    (r"\b(?:assistant|deputy)\s+general\s+manager\b", 3, 0.6),
    (r"\bgeneral\s+managers?\b", 4, 0.75),
    (r"\bgeneral\s+counsel\b", 4, 0.8),
    (r"\bexecutive\s+directors?\b", 4, 0.7),
    (r"\bassistant treasurer\b", 3, 0.6),
    (r"\btreasurer\b|\bcorporate secretary\b|\bcompany secretary\b|\bprokurist(?:in)?\b", 4, 0.6),
    # director (3)
    (r"\b(?:assistant|associate|deputy)\s+director\b", 2, 0.6),
    (r"\bsenior\s+directors?\b", 3, 0.9),
    (
        r"\b(?:director|directeur|directrice|directora|diretor|diretora|direttore|direttrice|direktor(?:in)?)s?\b",
        3,
        0.85,
    ),
    (r"\bhead\b", 3, 0.8),
    (r"\b(?:team|gruppen|projekt)leiter(?:in)?\b", 2, 0.75),
    (r"\b\w*leiter(?:in)?\b", 3, 0.75),
    (r"\bchief\b", 3, 0.6),
    (r"\b(?:controller|comptroller)s?\b", 3, 0.6),
    (r"\bjef[ea]\b", 3, 0.6),
    # manager (2)
    (r"\b(?:assistant|deputy)\s+managers?\b", 2, 0.6),
    (r"\bmanagers?\b|\bgerente\b|\bgerant\b", 2, 0.8),
    (r"\bresponsable\b|\bchef de (?:service|projet|equipe|departement)\b", 2, 0.6),
    (r"\bsupervis(?:or|er|ora)s?\b|\bforem[ae]n\b|\bforewoman\b|\bsuperintendent\b", 2, 0.75),
    (r"\b(?:team|tech|technical|engineering|project|squad|group)\s+lead(?:er)?s?\b", 2, 0.7),
    (r"\bleader\b", 2, 0.6),
    (r"\blead\b", 2, 0.55),
    # individual contributors (1)
    (
        r"\b(?:analyst|associate|specialist|trader|engineer|developer|programmer|consultant|representative|"
        r"coordinator|assistant|administrator|accountant|attorney|lawyer|counsel|paralegal|clerk|scientist|"
        r"designer|architect|technician|officer|agent|intern|trainee|apprentice|student|receptionist|secretary|"
        r"buyer|planner|scheduler|originator|advisor|adviser|recruiter|economist|auditor|fellow|staff|writer|"
        r"editor|operator|investigator|nurse|teacher|salesperson|salesman|saleswoman|member|contractor|expert|"
        r"strategist|researcher|instructor|trainer|broker|underwriter|actuary|principal|generalist|"
        r"sachbearbeiter(?:in)?|referent(?:in)?|mitarbeiter(?:in)?|ingenieur(?:in)?|berater(?:in)?|"
        r"assistent(?:in)?|analyste|consultor[a]?|analista|ejecutiv[oa]|asesor[a]?|tecnico|vendedor[a]?)s?\b",
        1,
        0.75,
    ),
    (r"\bexecutives?\b", 1, 0.4),
)

# (pattern, department, weight). The best weight wins; ties go to the earliest match.
_DEPT_RULES: Final = tuple(
    (re.compile(p), dept, weight)
    for p, dept, weight in (
        (r"\bproduct marketing\b", "marketing", 4),
        (r"\binformation technology\b|\binformation systems?\b|\binformation security\b", "it", 4),
        (r"\bpeople operations\b|\bhr business partner\b", "hr", 4),
        (r"\bsales operations\b|\brevenue operations\b", "sales", 4),
        (r"\bcustomer success\b|\bcustomer service\b|\bcustomer support\b|\bclient services?\b", "customer_success", 4),
        (r"\bcustomer care\b|\bcustomer experience\b|\bkundenservice\b", "customer_success", 4),
        (
            r"\bgovernment(?:al)? affairs\b|\bregulatory\b|\bpublic policy\b|\bpublic affairs\b|\blobbying\b",
            "government_affairs",
            3,
        ),
        (
            r"\bsales\b|\bselling\b|\bvertrieb\w*|\bventas\b|\bventes\b|\bvendas\b|\bvendite\b|\bpresales\b|"
            r"\bbusiness development\b|\baccount executive\b|\baccount manage\w*|\bkey accounts?\b|\bsdr\b|\bbdr\b|"
            r"\borigination\b|\boriginators?\b|\bvendedor[a]?\b|\bsalesperson\b|\bsales(?:man|woman)\b",
            "sales",
            3,
        ),
        (r"\bcommercial\b|\brevenue\b|\bchannels?\b|\bpartnerships\b|\bnew business\b|\bcro\b", "sales", 2),
        (
            r"\bmarketing\b|\bbrand\b|\bdemand generation\b|\blead(?:s)? gen(?:eration)?\b|\bseo\b|\badvertising\b|"
            r"\bmercadotecnia\b|\bcmo\b",
            "marketing",
            3,
        ),
        (r"\bgrowth\b|\bcontent\b|\bevents?\b", "marketing", 2),
        (
            r"\bengineering\b|\bengineers?\b|\bdevelopers?\b|\bsoftware\b|\bdevops\b|\bsre\b|\bsite reliability\b|"
            r"\bqa\b|\bquality assurance\b|\bentwicklung\b|\bingenieur\w*|\bprogrammers?\b|\bfirmware\b|\bhardware\b|"
            r"\bcto\b",
            "engineering",
            3,
        ),
        (r"\barchitect\w*|\btechnical\b|\btechnology\b|\btech\b|\bplatform\b|\bdesarrollo\b", "engineering", 2),
        (r"\bproduct management\b|\bproduct managers?\b|\bproduct owners?\b", "product", 4),
        (r"\bproducts?\b|\bcpo\b", "product", 2),
        (
            r"\bfinance\b|\bfinancial\b|\bcfo\b|\bcontroll(?:er|ing)\b|\bcomptroller\b|\baccounting\b|"
            r"\baccountants?\b|\btreasury\b|\btreasurer\b|\btax\b|\baudit\w*|\bfp&a\b|\binvestor relations\b|"
            r"\baccounts (?:payable|receivable)\b|\bfinanz\w*|\bfinancier[e]?\b|\bfinanzas\b|\bfinances\b|"
            r"\bbuchhaltung\b|\bcomptabilite\b|\bcontabilidad\b",
            "finance",
            3,
        ),
        (r"\bcredit\b|\brisk\b|\bpayroll\b|\bbilling\b|\bcao\b", "finance", 2),
        (
            r"\blegal\b|\bcounsel\b|\battorneys?\b|\blawyers?\b|\bparalegals?\b|\bcompliance\b|\bclo\b|\blitigation\b|"
            r"\bjuridique\b|\bjuridico\b|\brechts\w*",
            "legal",
            3,
        ),
        (r"\bcontracts?\b", "legal", 2),
        (
            r"\bhuman resources\b|\bhr\b|\bpeople\b|\btalent\b|\brecruit\w*|\bpersonnel\b|\bchro\b|\bcompensation\b|"
            r"\bpersonal(?:leiter\w*|abteilung|wesen)\b|\brecursos humanos\b|\bressources humaines\b|\brrhh\b|\brh\b",
            "hr",
            3,
        ),
        (r"\bbenefits\b|\blearning and development\b", "hr", 2),
        (
            r"\bit\b|\bcio\b|\bciso\b|\bsystems? administrator\b|\bhelp ?desk\b|\bdatabase administrator\b|\bdba\b|"
            r"\bedv\b|\binformatique\b|\binformatica\b|\bsistemas\b",
            "it",
            3,
        ),
        (r"\binfrastructure\b|\bnetwork\w*|\bsecurity\b", "it", 2),
        (
            r"\boperations\b|\boperating\b|\bcoo\b|\blogistics\b|\bsupply chain\b|\bfacilities\b|\bmanufacturing\b|"
            r"\bwarehouse\b|\bfulfil?lment\b|\boperaciones\b|\bproduktion\b",
            "operations",
            3,
        ),
        (r"\bproduction\b|\bplant\b|\bscheduling\b|\bschedulers?\b|\bgas control\b", "operations", 2),
        (r"\bsupport\b", "customer_success", 2),
        (
            r"\bprocurement\b|\bpurchasing\b|\bsourcing\b|\beinkauf\b|\bachats\b|\bcompras\b|\bacquisti\b",
            "procurement",
            3,
        ),
        (r"\bbuyers?\b|\bvendor management\b", "procurement", 2),
        (r"\bresearch\w*|\bscientists?\b|\br&d\b|\blaborator\w*|\bforschung\b", "research", 3),
        (r"\blab\b", "research", 2),
        (r"\bdata scien\w*|\bbusiness intelligence\b|\bmachine learning\b|\bdata analy\w*|\bdata engineer", "data", 3),
        (r"\banalytics\b|\bdata\b", "data", 2),
        (
            r"\bcommunications?\b|\bpublic relations\b|\bpr\b|\bmedia relations\b|\bpress\b|\bkommunikation\b",
            "communications",
            3,
        ),
        (r"\bcorporate affairs\b", "communications", 2),
        (r"\btraders?\b|\btrading\b", "trading", 3),
        (r"\bdesk\b", "trading", 2),
        (r"\bstrategy\b|\bstrategic planning\b|\bcorporate development\b", "strategy", 2),
        (r"\bdesign\w*|\bux\b|\bui\b", "design", 2),
        (r"\bexecutive assistant\b|\bexecutive office\b|\boffice of the\b|\bchief of staff\b", "executive", 2),
        (
            r"\badministrative\b|\badministration\b|\breceptionist\b|\boffice manager\b|\bsecretary\b|\bclerks?\b",
            "administration",
            2,
        ),
        (
            rf"\b(?:{_C_SUITE})\b|\bchief executive\b|(?<!vice )\bpresident\b|\bfounder\b|\bowners?\b|"
            r"\bchair\w*|\bboard\b|"
            r"\bmanaging director\b|\bgeneral manager\b|\bgesch(?:ae|a)ftsf(?:ue|u)hrer\w*|\bvorstand\w*|\bpdg\b|"
            r"\bdirect\w* general\w*|\bmanaging partner\b|\bpartner\b",
            "executive",
            1,
        ),
        (
            r"\bassistant\b(?! (?:vice|director|manager|general|treasurer|managing|controller|secretary|counsel)\b)",
            "administration",
            1,
        ),
    )
)

_TOP_EXECUTIVE = re.compile(
    r"\bceo\b|\bchief executive\b|(?<!vice )\bpresident[ea]?\b|\bowner\b|\bfounder\b|"
    r"\bgesch(?:ae|a)ftsf(?:ue|u)hrer\w*|\bvorstandsvorsitzende\w*|"
    r"\bmanaging director\b|\bdirect\w* general\w*|\bgeneral director\b|\bpdg\b|"
    r"(?<!vice )(?<!deputy )\bchair(?:man|woman|person)\b|"
    r"\bmanaging partner\b|\bamministratore delegato\b|\bconsejer[oa] delegad[oa]\b|\bgerente general\b"
)

_DOTTED = re.compile(r"\b(?:[a-z]\.){2,}")
_SEPARATORS = re.compile(r"[,;:()\[\]/|+\-–—_'’`\"]")


@lru_cache(maxsize=65536)
def normalise_title(title: str) -> str:
    """Lower-case, accent-folded, abbreviation-expanded title text (what the rules match)."""
    text = title.lower().replace("ß", "ss").replace("&", " & ")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    text = _SEPARATORS.sub(" ", text.replace(".", " "))
    text = text.replace("r & d", "r&d").replace("fp & a", "fp&a")
    return " ".join(_ABBREVIATIONS.get(tok, tok) for tok in text.split())


def _department(text: str) -> tuple[str | None, int]:
    best: tuple[int, int, str] | None = None  # (-weight, position, department)
    for pattern, dept, weight in _DEPT_RULES:
        match = pattern.search(text)
        if match is not None:
            candidate = (-weight, match.start(), dept)
            if best is None or candidate < best:
                best = candidate
    return (None, 0) if best is None else (best[2], -best[0])


def _level(text: str) -> tuple[int, float]:
    level, confidence = 0, 0.0
    for pattern, rule_level, rule_conf in _LEVEL_RULES:
        hits = [m.span() for m in pattern.finditer(text)]
        if not hits:
            continue
        if rule_level > level or (rule_level == level and rule_conf > confidence):
            level, confidence = rule_level, rule_conf
        for start, end in hits:
            text = text[:start] + " " * (end - start) + text[end:]
    return level, confidence


@lru_cache(maxsize=65536)
def parse_title(title: str | None, department_hint: str | None = None) -> ParsedTitle:
    """Seniority level, its label, the department and a confidence for a job title.

    ``department_hint`` (e.g. ``WORKS_AT.department``) is used, through the same keyword table,
    when the title itself names no department.
    """
    if not title or not title.strip():
        if department_hint:
            return ParsedTitle(0, LABELS[Seniority.UNKNOWN], _department(normalise_title(department_hint))[0], 0.0)
        return UNKNOWN
    text = normalise_title(title)
    principal = _PRINCIPAL.search(text)
    if principal is not None:
        holder = text[: principal.start(1)]
        level, confidence = _level(holder)
        if level in (0, 5):  # "assistant to ...": the holder is an individual contributor
            level, confidence = 1, 0.8
        dept, weight = _department(principal.group(1))
        if dept is None or (dept == "executive" and weight <= 1):
            dept = "executive" if _level(principal.group(1))[0] >= 4 else _department(holder)[0]
        return ParsedTitle(level, LABELS[Seniority(level)], dept, confidence)
    level, confidence = _level(text)
    dept, _ = _department(text)
    if dept is None and department_hint:
        dept, _ = _department(normalise_title(department_hint))
    if dept is None and level == Seniority.EXECUTIVE:
        dept = "executive"
    if level == 0:
        level, confidence = 1, 0.3
    return ParsedTitle(level, LABELS[Seniority(level)], dept, confidence)


@lru_cache(maxsize=65536)
def is_top_executive(title: str | None) -> bool:
    """Whether the title names the head of the organisation (CEO, president, owner, founder,
    managing director, Geschäftsführer, chairman), not another C-level and not their assistant."""
    if not title:
        return False
    text = normalise_title(title)
    if _PRINCIPAL.search(text) is not None:
        return False
    return parse_title(title).level == Seniority.EXECUTIVE and _TOP_EXECUTIVE.search(text) is not None
