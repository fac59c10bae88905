"""Node checking: bad optional values are set aside and noted, bad required values reject."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import email_validator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from importers.rows import NodeRow, Note, Reject
from importers.validate import FAST_CHECKS, MODELS, check_node, fast_valid, plain_email


def test_valid_row_passes_unchanged() -> None:
    row = NodeRow("Contact", "x:1", {"name": "Ada", "email": "ada@example.org"})
    assert list(check_node(row, source="f", location="line 2")) == [row]


def test_bad_optional_field_is_set_aside() -> None:
    row = NodeRow("Contact", "x:1", {"name": "Ada", "email": "not-an-email", "custom": {"a": 1}})
    out = list(check_node(row, source="f", location="line 2"))
    assert isinstance(out[0], Note) and out[0].code == "invalid_field"
    kept = out[1]
    assert isinstance(kept, NodeRow)
    assert "email" not in kept.props
    assert kept.props["custom"] == {"a": 1, "invalid": {"email": "not-an-email"}}


def test_missing_required_field_rejects() -> None:
    out = list(check_node(NodeRow("Interaction", "x:1", {"kind": "email"}), source="f", location="message 3"))
    assert len(out) == 1 and isinstance(out[0], Reject)
    assert "occurred_at" in out[0].reason and out[0].location == "message 3"


def test_interaction_ok() -> None:
    row = NodeRow("Interaction", "x:1", {"kind": "meeting", "occurred_at": datetime(2024, 1, 1, tzinfo=UTC)})
    assert list(check_node(row, source="f", location="l")) == [row]


# --- the fast path never accepts what the model refuses ----------------------------------------------
EMAIL_CHARS = "abcXYZ019.-_+@!#'`~=?^{|}\"<> \t\n()[]\\,;:é\u0130\u212a\u00df\uff0e\u3002"


def _model_accepts(label: str, row: NodeRow) -> bool:
    try:
        MODELS[label].model_validate({**row.props, "id": row.id})
    except ValidationError:
        return False
    return True


@settings(max_examples=3000, deadline=None)
@given(
    local=st.text(alphabet=EMAIL_CHARS, min_size=0, max_size=12),
    labels=st.lists(st.text(alphabet="ab9-XnN\u00e9_.", min_size=0, max_size=6), min_size=1, max_size=4),
    tld=st.sampled_from(["com", "COM", "test", "Local", "onion", "c0", "c", "example", "arpa", "-co", "co-", "x" * 64]),
)
def test_plain_email_only_accepts_what_the_model_accepts(local: str, labels: list[str], tld: str) -> None:
    address = f"{local}@{'.'.join([*labels, tld])}"
    if plain_email(address):
        assert _model_accepts("Contact", NodeRow("Contact", "x:1", {"name": "A", "email": address})), address


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_WHOLE = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@((?:{_LABEL}\.)+(?:[A-Za-z0-9][A-Za-z0-9-]*)?[A-Za-z])")


def _plain_email_in_one_pattern(value: str) -> bool:
    """``plain_email`` as it was: the whole address against one pattern, the domain checked after."""
    m = _WHOLE.fullmatch(value) if len(value) <= 254 else None
    if m is None:
        return False
    domain = m.group(1)
    if len(domain) > 253 or re.search(r"(?:^|\.)..--", domain):
        return False
    tld = domain[domain.rfind(".") + 1 :]
    return len(tld) <= 63 and tld.lower() not in email_validator.SPECIAL_USE_DOMAIN_NAMES


@settings(max_examples=2000, deadline=None)
@given(
    local=st.text(alphabet=EMAIL_CHARS + "@", min_size=0, max_size=12),
    labels=st.lists(st.text(alphabet="ab9-XnN\u00e9_.@", min_size=0, max_size=6), min_size=1, max_size=4),
    tld=st.sampled_from(["com", "COM", "test", "Local", "onion", "c0", "c", "example", "arpa", "-co", "x" * 64]),
)
def test_plain_email_split_at_the_at_sign_answers_as_one_pattern(local: str, labels: list[str], tld: str) -> None:
    address = f"{local}@{'.'.join([*labels, tld])}"
    assert plain_email(address) == _plain_email_in_one_pattern(address), address
    assert plain_email(local) == _plain_email_in_one_pattern(local), local


@settings(max_examples=500, deadline=None)
@given(st.text(min_size=0, max_size=80))
def test_plain_email_on_any_text(text: str) -> None:
    if plain_email(text):
        assert _model_accepts("Contact", NodeRow("Contact", "x:1", {"name": "A", "email": text})), text


def test_plain_email_limits() -> None:
    assert plain_email("ada.lovelace+crm@mail.acme-corp.co.uk")
    assert plain_email("O'Brien@Example.ORG")
    for bad in ("a@b.test", "a@b.local", "a@b", "a@b.c0", "a..b@c.com", ".a@c.com", "a@-b.com", "a@b.-com",
                "a@xn--p1ai.com", "a@ab--c.com", f"a@{'b' * 64}.com", "é@a.com", "a @b.com"):  # fmt: skip
        assert not plain_email(bad), bad
    long_local = "a" * 250 + "@example.com"
    assert not plain_email(long_local) and not _model_accepts(
        "Contact", NodeRow("Contact", "x:1", {"name": "A", "email": long_local})
    )


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=20_000_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.text(min_size=299, max_size=302),
    st.sampled_from(["USD", "usd", " USD", "won", "open", "email", "call", "a@b.com", "x@y.test", "", "  "]),
    st.dates(),
    st.datetimes(),
    st.lists(st.sampled_from(["a@b.com", "bad", "c@d.org"]), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.dictionaries(st.integers(), st.text(max_size=2), min_size=1, max_size=2),
    st.sampled_from(["ok\ud800", "\udcff", {"k\ud800": 1}, "Zoë", {"ü": [1, "\ud800"]}]),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    label=st.sampled_from(sorted(FAST_CHECKS)),
    data=st.data(),
    record_id=st.sampled_from(["x:1", "x\n", "", "a" * 201, "-x", "ok.id@x"]),
)
def test_fast_path_only_accepts_what_the_model_accepts(label: str, data: st.DataObject, record_id: str) -> None:
    names = [*sorted(FAST_CHECKS[label]), "not_a_field"]
    keys = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=6))
    props = {k: data.draw(VALUES) for k in keys}
    row = NodeRow(label, record_id, props)
    if fast_valid(row):
        assert _model_accepts(label, row), row


def test_fast_path_takes_ordinary_rows() -> None:
    """The common shapes of every parser go the fast way (else the speed-up silently vanishes)."""
    rows = [
        NodeRow("Contact", "hubspot:contact:1", {"name": "Ada Ng", "first_name": "Ada", "last_name": "Ng",
                "email": "ada.ng@co1.example", "phone": "+1 555", "title": "CTO", "custom": {"lead_status": "x"}}),
        NodeRow("Account", "hubspot:company:1", {"name": "Acme", "domain": "acme.com", "employees": 12,
                "annual_revenue": 1.5e6, "year_established": 1999}),
        NodeRow("Rep", "email:a@enron.com", {"name": "a@enron.com", "email": "a@enron.com", "active": True}),
        NodeRow("Deal", "maven:deal:1", {"name": "D", "stage": "Won", "status": "won", "amount": 10.0,
                "currency": "USD", "close_date": date(2024, 1, 2)}),
        NodeRow("Interaction", "email:m1", {"kind": "email", "occurred_at": datetime(2024, 1, 1, tzinfo=UTC),
                "subject": "Hi", "body": "text", "message_id": "<m1@x>", "fingerprint": "ab" * 16}),
        NodeRow("Product", "maven:product:gtx", {"name": "GTX", "series": "GT", "list_price": 550}),
    ]  # fmt: skip
    for row in rows:
        assert fast_valid(row), row
        assert _model_accepts(row.label, row)
