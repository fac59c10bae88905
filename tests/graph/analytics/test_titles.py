"""Job titles -> (level, label, department, confidence): a table of real-looking titles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.analytics.titles import LABELS, ParsedTitle, Seniority, is_top_executive, normalise_title, parse_title

E, VP, D, M, IC = 5, 4, 3, 2, 1

TABLE: list[tuple[str, int, str | None]] = [
    # C-level and owners
    ("CEO", E, "executive"),
    ("Chief Executive Officer", E, "executive"),
    ("C.E.O.", E, "executive"),
    ("President and CEO", E, "executive"),
    ("Founder & CEO", E, "executive"),
    ("Co-Founder & CTO", E, "engineering"),
    ("CFO", E, "finance"),
    ("Chief Financial Officer", E, "finance"),
    ("CTO", E, "engineering"),
    ("Chief Technology Officer", E, "engineering"),
    ("COO", E, "operations"),
    ("Chief Operating Officer", E, "operations"),
    ("CIO", E, "it"),
    ("CMO", E, "marketing"),
    ("Chief Marketing Officer", E, "marketing"),
    ("Chief Revenue Officer", E, "sales"),
    ("Chief People Officer", E, "hr"),
    ("CHRO", E, "hr"),
    ("Chief Information Security Officer", E, "it"),
    ("Chief Legal Officer", E, "legal"),
    ("President", E, "executive"),
    ("President, Sales", E, "sales"),
    ("Owner", E, "executive"),
    ("Business Owner", E, "executive"),
    ("Founder", E, "executive"),
    ("Chairman", E, "executive"),
    ("Chairman of the Board", E, "executive"),
    ("Vice Chairman", E, "executive"),
    ("Executive Chairman", E, "executive"),
    ("Board Member", E, "executive"),
    ("Partner", E, "executive"),
    ("Managing Partner", E, "executive"),
    ("Senior Partner", E, "executive"),
    ("Managing Director", E, "executive"),
    ("MD", E, "executive"),
    ("Managing Director, Government Affairs", E, "government_affairs"),
    ("Managing Director - Research", E, "research"),
    # non-English
    ("Geschäftsführer", E, "executive"),
    ("Geschaeftsfuehrer", E, "executive"),
    ("Geschäftsführerin", E, "executive"),
    ("Vorstandsvorsitzender", E, "executive"),
    ("Directeur Général", E, "executive"),
    ("PDG", E, "executive"),
    ("Director General", E, "executive"),
    ("Directora General", E, "executive"),
    ("Gerente General", E, "executive"),
    ("Amministratore Delegato", E, "executive"),
    ("Directeur", D, None),
    ("Directeur Commercial", D, "sales"),
    ("Directeur Financier", D, "finance"),
    ("Director de Ventas", D, "sales"),
    ("Leiter Vertrieb", D, "sales"),
    ("Abteilungsleiter Einkauf", D, "procurement"),
    ("Bereichsleiter Finanzen", D, "finance"),
    ("Teamleiter IT", M, "it"),
    ("Gerente de Ventas", M, "sales"),
    ("Responsable Marketing", M, "marketing"),
    ("Vizepräsident Vertrieb", VP, "sales"),
    # VPs
    ("VP", VP, None),
    ("VP Sales", VP, "sales"),
    ("V.P. Marketing", VP, "marketing"),
    ("Vice President, Sales", VP, "sales"),
    ("Vice-President Engineering", VP, "engineering"),
    ("VP of IT", VP, "it"),
    ("SVP Sales", VP, "sales"),
    ("Senior Vice President, Finance", VP, "finance"),
    ("EVP, Operations", VP, "operations"),
    ("Executive Vice President & General Counsel", VP, "legal"),
    ("Vice President & Chief Counsel", VP, "legal"),
    ("Vice President, Trading", VP, "trading"),
    ("Enron Wholesale Services - Vice President", VP, None),
    ("VP Sales & Marketing", VP, "sales"),
    ("General Manager", VP, "executive"),
    ("General Counsel", VP, "legal"),
    ("Executive Director", VP, None),
    ("Treasurer", VP, "finance"),
    # directors / heads
    ("AVP", D, None),
    ("Assistant Vice President", D, None),
    ("Director", D, None),
    ("Director of Engineering", D, "engineering"),
    ("Dir. of Marketing", D, "marketing"),
    ("Sr. Director of Human Resources", D, "hr"),
    ("Senior Director, Product Management", D, "product"),
    ("Director, Gas Trading", D, "trading"),
    ("Director of Operations", D, "operations"),
    ("Head of Sales", D, "sales"),
    ("Head of IT", D, "it"),
    ("Head, Investor Relations", D, "finance"),
    ("Global Head of Procurement", D, "procurement"),
    ("Chief of Staff", D, "executive"),
    ("Chief Counsel", D, "legal"),
    ("Controller", D, "finance"),
    ("Financial Controller", D, "finance"),
    # managers / leads
    ("Manager", M, None),
    ("Sales Manager", M, "sales"),
    ("Engineering Manager", M, "engineering"),
    ("Sr. Mgr, Accounts Payable", M, "finance"),
    ("Senior Manager", M, None),
    ("Manager, Regulatory Affairs", M, "government_affairs"),
    ("People Operations Manager", M, "hr"),
    ("Information Technology Manager", M, "it"),
    ("Mgr Customer Service", M, "customer_success"),
    ("Team Lead", M, None),
    ("Tech Lead", M, "engineering"),
    ("Lead Engineer", M, "engineering"),
    ("Supervisor, Warehouse", M, "operations"),
    ("Associate Director", M, None),
    ("Assistant Manager", M, None),
    # individual contributors (incl. traps)
    ("Assistant to the CEO", IC, "executive"),
    ("Executive Assistant", IC, "executive"),
    ("Executive Assistant to the President", IC, "executive"),
    ("Assistant to VP Sales", IC, "sales"),
    ("Administrative Assistant", IC, "administration"),
    ("Receptionist", IC, "administration"),
    ("Account Executive", IC, "sales"),
    ("Senior Account Executive", IC, "sales"),
    ("Sales Executive", IC, "sales"),
    ("Product Owner", IC, "product"),
    ("Product Manager", IC, "product"),
    ("Senior Product Manager", IC, "product"),
    ("Account Manager", IC, "sales"),
    ("Key Account Manager", IC, "sales"),
    ("Project Manager", IC, None),
    ("Customer Success Manager", IC, "customer_success"),
    ("Office Manager", IC, "administration"),
    ("HR Business Partner", IC, "hr"),
    ("Channel Partner Manager", IC, "sales"),
    ("Lead Generation Specialist", IC, "marketing"),
    ("Trader", IC, "trading"),
    ("Sr. Trader", IC, "trading"),
    ("Analyst", IC, None),
    ("Associate", IC, None),
    ("Specialist", IC, None),
    ("Sr Specialist", IC, None),
    ("Senior Specialist", IC, None),
    ("Senior Counsel", IC, "legal"),
    ("Attorney", IC, "legal"),
    ("Paralegal", IC, "legal"),
    ("Scheduler", IC, "operations"),
    ("Software Engineer", IC, "engineering"),
    ("Sr. SWE", IC, "engineering"),
    ("Member of Technical Staff", IC, "engineering"),
    ("Data Scientist", IC, "data"),
    ("Recruiter", IC, "hr"),
    ("Accountant", IC, "finance"),
    ("Buyer", IC, "procurement"),
    ("Intern", IC, None),
    ("Consultant", IC, None),
    ("Principal Consultant", IC, None),
    ("Credit Analyst", IC, "finance"),
    ("Sachbearbeiterin", IC, None),
]


@pytest.mark.parametrize(("title", "level", "department"), TABLE)
def test_title_table(title: str, level: int, department: str | None) -> None:
    parsed = parse_title(title)
    assert (parsed.level, parsed.department) == (level, department), parsed
    assert parsed.label == LABELS[Seniority(level)]
    assert 0.0 < parsed.confidence <= 1.0


TOP = [
    ("CEO", True),
    ("President & CEO", True),
    ("Founder", True),
    ("Owner", True),
    ("Geschäftsführer", True),
    ("Chairman", True),
    ("CFO", False),
    ("Vice President", False),
    ("Vice Chairman", False),
    ("Assistant to the CEO", False),
    ("Executive Assistant to the President", False),
    ("Product Owner", False),
    ("Director", False),
    (None, False),
]


@pytest.mark.parametrize(("title", "top"), TOP)
def test_top_executive(title: str | None, top: bool) -> None:
    assert is_top_executive(title) is top


def test_empty_and_unknown() -> None:
    assert parse_title("") == ParsedTitle(0, "unknown", None, 0.0)
    assert parse_title(None) == ParsedTitle(0, "unknown", None, 0.0)
    assert parse_title("   ").level == 0
    blob = parse_title("Wizard of Light Bulb Moments")
    assert blob.level == 1 and blob.confidence <= 0.3


def test_department_hint_used_only_when_title_has_none() -> None:
    assert parse_title("Director", "Sales").department == "sales"
    assert parse_title("Director of Engineering", "Sales").department == "engineering"
    assert parse_title(None, "Human Resources").department == "hr"


def test_confidence_reflects_ambiguity() -> None:
    assert parse_title("CEO").confidence > parse_title("Partner").confidence > parse_title("Lead").confidence


def test_normalise() -> None:
    assert normalise_title("Sr. V.P., Mktg & Ops") == "senior vice president marketing & operations"
    assert normalise_title("Geschäftsführerin") == "geschaftsfuhrerin"


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_never_fails_on_arbitrary_text(text: str) -> None:
    parsed = parse_title(text)
    assert 0 <= parsed.level <= 5 and 0.0 <= parsed.confidence <= 1.0
    assert parsed.label == LABELS[Seniority(parsed.level)]
