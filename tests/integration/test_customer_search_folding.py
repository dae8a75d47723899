"""Customer search in every script: any case variant of any word of a name finds the
customer, on SQLite and on PostgreSQL, through the read model the API searches."""

from __future__ import annotations

import itertools
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.history.projector import open_timeline_view
from services.history.timeline import PROJECTED_FROM, CustomerIndexed, TimelineView
from switchboard.settings import Settings
from switchboard.store import event_store_env
from tests.support.postgres import ThrowawayPostgres

SCRIPTS = {
    "latin": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZßéèüöäñåøÉÜÖÄÑ",
    "cyrillic": "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯіїєІЇЄ",
    "greek": "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΆΈΉΊΌΎΏ",
    "turkish": "abcçdefgğhıijklmnoöprsştuüvyzABCÇDEFGĞHIİJKLMNOÖPRSŞTUÜVYZ",
}


def turkish_upper(word: str) -> str:
    return word.replace("i", "İ").replace("ı", "I").upper()


def turkish_lower(word: str) -> str:
    return word.replace("I", "ı").replace("İ", "i").lower()


VARIANTS: dict[str, Callable[[str], str]] = {
    "as written": str,
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "swapcase": str.swapcase,
    "casefold": str.casefold,
    "turkish upper": turkish_upper,
    "turkish lower": turkish_lower,
}


@st.composite
def names(draw: st.DrawFn) -> list[str]:
    script = draw(st.sampled_from(sorted(SCRIPTS)))
    word = st.text(alphabet=SCRIPTS[script], min_size=2, max_size=8)
    return draw(st.lists(word, min_size=1, max_size=3))


@st.composite
def case_variants(draw: st.DrawFn, word: str) -> str:
    """A named variant, or each letter's case chosen on its own."""
    if draw(st.booleans()):
        return VARIANTS[draw(st.sampled_from(sorted(VARIANTS)))](word)
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if f else c.lower() for c, f in zip(word, flips, strict=True))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def view(request: pytest.FixtureRequest) -> Iterator[TimelineView]:
    data_dir = Path(tempfile.mkdtemp(prefix="switchboard-fold-"))
    url = None
    if request.param == "postgres":
        # The session's throwaway cluster (tests/conftest.py), a database of our own on it.
        cluster: ThrowawayPostgres = request.getfixturevalue("postgres_cluster")
        url = cluster.create_database(f"sb_{uuid.uuid4().hex[:12]}")
    opened = open_timeline_view(event_store_env(Settings(data_dir=data_dir, database_url=url), "t"))
    yield opened
    opened.close()


positions = itertools.count(1)


def index(view: TimelineView, name: str, organization: str | None = None) -> uuid.UUID:
    customer_id = uuid.uuid4()
    fields = {"name": name, "organization": organization}
    view.apply([CustomerIndexed(customer_id, fields)], Tracking(PROJECTED_FROM, next(positions)))
    return customer_id


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=names(), data=st.data())
def test_any_case_of_any_word_finds_the_customer(
    view: TimelineView, words: list[str], data: st.DataObject
) -> None:
    view.clear()  # one customer per example: a LIMIT never hides it behind others
    as_name = index(view, " ".join(words))
    as_organization = index(view, "Someone", organization=" ".join(words))
    for word in words:
        query = data.draw(case_variants(word), label=f"variant of {word!r}")
        found = view.search(query, 10)
        assert as_name in found, (query, words)
        assert as_organization in found, (query, words)


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("Олег Смирнов", "олег"),
        ("Олег Смирнов", "СМИР"),
        ("Пётр Ёлкин", "петр"),
        ("ŞEYMA IŞIK", "şeyma"),
        ("ŞEYMA IŞIK", "ışık"),
        ("ŞEYMA IŞIK", "işik"),
        ("İlker Işıl", "ILKER"),
        ("Straße AG", "STRASSE"),
        ("Σωκράτης", "ΣΩΚΡΆΤΗΣ"),
        # Typed on a Latin keyboard: the Latin spelling is kept beside the Cyrillic.
        ("Олег Смирнов", "oleg"),
        ("Олег Смирнов", "SMIRNOV"),
        ("Юлия Щербакова", "Yuliya Shcherbakova"),
        ("Олександр Ґалаґан", "oleksandr"),
    ],
)
def test_the_reported_names_are_found(view: TimelineView, name: str, query: str) -> None:
    customer_id = index(view, name)
    assert customer_id in view.search(query, 100)


def test_search_does_not_match_everything(view: TimelineView) -> None:
    view.clear()
    index(view, "Олег Смирнов")
    assert view.search("ольга", 10) == []
    assert view.search("50%", 10) == []  # LIKE's wildcards are literal in a query
    assert view.search("в o", 10) == []  # nothing matches across a name and its spelling


def test_a_read_model_made_before_folding_is_folded_at_start(tmp_path: Path) -> None:
    """An older SQLite read model (no folded columns) gets them and is searchable."""
    import sqlite3

    settings_ = Settings(data_dir=tmp_path)
    env = event_store_env(settings_, "timeline")
    with sqlite3.connect(env["SQLITE_DBNAME"]) as db:
        db.execute(
            "CREATE TABLE customer_index (customer_id TEXT PRIMARY KEY, name TEXT, "
            "organization TEXT)"
        )
        customer_id = uuid.uuid4()
        db.execute("INSERT INTO customer_index VALUES (?, ?, ?)", (str(customer_id), "Олег", None))
    opened = open_timeline_view(env)
    try:
        assert opened.search("ОЛЕГ", 10) == [customer_id]
    finally:
        opened.close()
