"""Country pages: field-level validation, revisions with their authors, staleness, Markdown
rendered safely, and the language a reader is shown."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType
from content import countries, erasure, languages
from content.country_fields import CountryPageError, CountryPageFields, validate
from content.sanitize import LINK_REL, clean_document_html, clean_html, render_markdown
from tests.rig import world

pytestmark = pytest.mark.anyio
TODAY = date(2026, 11, 23)


def fields(**changes: object) -> CountryPageFields:
    values = CountryPageFields(
        country="de",
        language="EN",
        title="Sex work in Germany",
        legal="Sex work is legal; registration under the *ProstSchG*.",
        health="Anonymous tests at [the health office](https://gesundheitsamt.example).",
        sources=["https://www.gesetze-im-internet.de/prostschg/", "  ", "ProstSchG § 3"],
        last_reviewed=date(2026, 9, 1),
        note="First version",
    )
    for name, value in changes.items():
        setattr(values, name, value)
    return values


def errors_of(values: CountryPageFields) -> dict[str, str]:
    with pytest.raises(CountryPageError) as raised:
        validate(values, today=TODAY)
    return raised.value.errors


def test_valid_page_is_normalised() -> None:
    values = fields(language="pt-br")
    validate(values, today=TODAY)
    assert (values.country, values.language) == ("DE", "pt-BR")
    assert values.sources == ["https://www.gesetze-im-internet.de/prostschg/", "ProstSchG § 3"]


def test_each_bad_field_gets_its_own_message() -> None:
    errors = errors_of(
        fields(
            country="XX",
            language="not a tag",
            title=" ",
            work="x" * 20_001,
            sources=["y" * 501],
            last_reviewed=date(2027, 1, 1),
            note="z" * 301,
        )
    )
    assert set(errors) == {
        "country", "language", "title", "work", "sources", "last_reviewed", "note"
    }  # fmt: skip
    assert "BCP 47" in errors["language"]
    assert errors["title"] == "This field is required."
    assert errors["last_reviewed"] == "The date of the last review cannot be in the future."


def test_a_page_needs_a_section_and_a_review_date() -> None:
    errors = errors_of(fields(legal="", health="  ", last_reviewed=None))
    assert errors == {
        "legal": "Write at least one section.",
        "last_reviewed": "Give the date the page was last reviewed.",
    }


def test_markdown_is_rendered_without_raw_html_or_unsafe_links() -> None:
    rendered = render_markdown(
        "# Rules\n\n<script>alert(1)</script> <b onclick=x>bold</b>\n\n"
        "[bad](javascript:alert(1)) [good](https://example.org) **strong**"
    )
    assert "<h4>Rules</h4>" in rendered
    assert "<script" not in rendered and "<b " not in rendered
    assert "&lt;script&gt;" in rendered
    assert 'href="javascript' not in rendered
    assert f'<a href="https://example.org" rel="{LINK_REL}">good</a>' in rendered
    assert "<strong>strong</strong>" in rendered


def test_remote_html_loses_scripts_and_links_get_a_safe_rel() -> None:
    markup = (
        '<h2>Law</h2><script>steal()</script><a href="https://x.example" rel="me" '
        'target="_blank">x</a><a href="javascript:steal()">y</a><img src=x onerror=steal()>'
    )
    document = clean_document_html(markup)
    assert document == (
        f'Law<a href="https://x.example" rel="{LINK_REL}">x</a><a rel="{LINK_REL}">y</a>'
    )
    assert "<h4>x</h4>" in clean_document_html("<h4>x</h4>")
    assert clean_html("<h4>x</h4>") == "x"


def test_the_reader_gets_the_best_available_language() -> None:
    available = ["en", "fr", "pt-BR"]
    assert languages.requested("fr-CH, fr;q=0.9, en;q=0.8, de;q=0") == ["fr-CH", "fr", "en"]
    assert languages.negotiate(available, "fr-CH, en;q=0.8") == "fr"
    assert languages.negotiate(available, "de, pt;q=0.5") == "pt-BR"
    assert languages.negotiate(available, "de;q=1, fr;q=0") == "en"
    assert languages.negotiate(available, "fr", override="pt-br") == "pt-BR"
    assert languages.negotiate(available, "fr", override="xx") == "fr"
    assert languages.negotiate(["ro", "hu"], "de") == "ro"
    assert languages.negotiate(["ro", "hu"], "garbage;q=x, *") == "ro"
    assert languages.native_name("fr") == "français"
    assert languages.native_name("de") == "Deutsch"


async def test_each_save_is_a_revision_with_its_author(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        org = await world.local_actor(session, "hydra", ActorType.ORGANIZATION)
        sam = await world.local_member(session, "sam")
        uri = countries.local_uri(world.BASE_URL, "DE", "hydra")
        first = fields()
        validate(first, today=TODAY)
        page = await countries.save_revision(session, org, sam, first, uri)
        second = fields(legal="Registration is **compulsory**.", note="Registration")
        validate(second, today=TODAY)
        again = await countries.save_revision(session, org, sam, second, uri)
        french = fields(language="fr", title="Le travail du sexe en Allemagne", note="")
        validate(french, today=TODAY)
        await countries.save_revision(session, org, sam, french, uri)
        assert again.id == page.id and page.revision == 2
        assert page.legal_html == "<p>Registration is <strong>compulsory</strong>.</p>\n"
        assert [title for _, title, _ in page.sections()] == [
            "Legal framework for sex work", "Access to health care"
        ]  # fmt: skip
        history = await countries.history(session, org, "DE")
        assert [(r.number, language, r.note) for r, language in history] == [
            (1, "fr", ""), (2, "en", "Registration"), (1, "en", "First version")
        ]  # fmt: skip
        assert history[1][0].author_name == "sam"
        current = await countries.current_revision(session, page)
        assert current is not None and current.values("DE", "en").legal == second.legal
        assert [p.language for p in await countries.by_uri(session, uri)] == ["en", "fr"]
        assert await countries.countries(session) == [("DE", 1)]
        await erasure.erase_local_account(session, sam)
        history = await countries.history(session, org, "DE")
        assert {(r.author_id, r.author_name) for r, _ in history} == {(None, "")}


async def test_a_page_not_reviewed_for_twelve_months_is_stale(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        org = await world.local_actor(session, "hydra", ActorType.ORGANIZATION)
        uri = countries.local_uri(world.BASE_URL, "DE", "hydra")
        values = fields(last_reviewed=date(2025, 11, 22))
        validate(values, today=TODAY)
        page = await countries.save_revision(session, org, org, values, uri)
        assert page.stale(TODAY)
        assert not page.stale(date(2026, 11, 22))
