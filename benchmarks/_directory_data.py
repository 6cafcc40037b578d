"""A migrated database of organisations and their service listings, loaded in bulk.

`build(url, shape)` fills an empty database (SQLite or PostgreSQL) with `Shape.organisations`
organisation actors (a tenth of them local, the rest on other nodes) and `Shape.listings`
listings across 40 European countries, with one to three categories and one to four
languages each, and verification dates over three years (so about a third are stale).
Rows go in with executemany or COPY, as benchmarks/_timeline_data.py loads them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from activitypub import generate_keypair
from benchmarks._timeline_data import (
    ACCOUNT_COLUMNS,
    LOCAL_BASE,
    NOW,
    Tables,
    _load_postgres,
    _load_sqlite,
    ids_at,
)
from content.languages import primary
from content.listing_fields import LABELS
from content.text_search import search_text
from node.database import is_sqlite, migrate

COUNTRIES = (
    "AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LT LU LV MD ME MK MT NL NO PL PT "
    "RO RS SE SI SK UA AL BA XK TR"
).split()
LANGUAGES = (
    "en de fr es it pt pt-BR ro bg hu pl cs sk sl hr sr uk ru el tr nl sv da fi lt lv et sq "
    "zh th tl es-419 ar fa ha yo ig"
).split()
WORDS = (
    "health centre clinic drop-in night day walk-in counselling legal aid collective "
    "network outreach peer safe space shelter house union advice service point project"
).split()
CITY_COUNT = 25  # cities per country: `C{country}{n}town`


@dataclass(frozen=True)
class Shape:
    """How big the directory is."""

    listings: int = 100_000
    organisations: int = 400
    servers: int = 60
    seed: int = 11


LISTING_COLUMNS = [
    "id", "uri", "account_id", "name", "organisation", "country", "region", "city", "summary",
    "cost", "free", "anonymous", "papers_required", "insurance_required", "opening_hours",
    "phone", "email", "website", "messaging", "street_address", "postal_code",
    "address_hidden", "last_verified", "verified_by", "category_codes", "language_tags",
    "search_text", "created_at", "updated_at",
]  # fmt: skip


def build(url: str, shape: Shape = Shape()) -> None:
    """Migrate the empty database at `url` and fill it."""
    migrate(url)
    rng = random.Random(shape.seed)
    tables = _tables(shape, rng)
    if is_sqlite(url):
        _load_sqlite(url.removeprefix("sqlite:///"), tables)
    else:
        _load_postgres(url, tables)


def _tables(shape: Shape, rng: random.Random) -> Tables:
    keys = generate_keypair()
    times = [NOW - timedelta(days=1000) + timedelta(minutes=n) for n in range(shape.organisations)]
    accounts, origins = [], []
    for number, account_id in enumerate(ids_at(times)):
        local = number % 10 == 0
        domain = None if local else f"org{number % shape.servers}.example"
        base = LOCAL_BASE if local else f"https://{domain}"
        username = f"org{number}"
        uri = f"{base}/users/{username}"
        accounts.append(
            (account_id, username, domain, "Organization", f"Organisation {number}", "", uri,
             f"{base}/@{username}", f"{uri}/inbox", f"{uri}/outbox", f"{base}/inbox",
             f"{uri}/followers", f"{uri}/following", None, f"{uri}#main-key",
             keys.public_pem, keys.private_pem if local else None, False, True,
             times[number], None if local else NOW, None, None)
        )  # fmt: skip
        origins.append((account_id, base))
    start = NOW - timedelta(days=900)
    created = [start + timedelta(seconds=n * 700) for n in range(shape.listings)]
    listings, categories, languages = [], [], []
    codes = list(LABELS)
    for number, listing_id in enumerate(ids_at(created)):
        account_id, base = origins[rng.randrange(len(origins))]
        country = rng.choice(COUNTRIES)
        city = f"C{country}{rng.randrange(CITY_COUNT)}town"
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {number}"
        organisation = f"Organisation {rng.randrange(shape.organisations)}"
        summary = " ".join(rng.choices(WORDS, k=12))
        picked = rng.sample(codes, rng.randint(1, 3))
        tags = rng.sample(LANGUAGES, rng.randint(1, 4))
        verified = date(2026, 11, 1) - timedelta(days=rng.randrange(3 * 365))
        search = search_text(name, organisation, city, "", summary)
        listings.append(
            (listing_id, f"{base}/directory/{listing_id}", account_id, name, organisation,
             country, "", city, summary, "", rng.random() < 0.6, rng.random() < 0.4,
             rng.random() < 0.2, rng.random() < 0.2, "Mo-Fr 10:00-16:00", "", "", "", "", "",
             "", False, verified.isoformat(), organisation, " ".join(picked), " ".join(tags),
             search, created[number], created[number])
        )  # fmt: skip
        categories.extend((listing_id, code) for code in picked)
        languages.extend((listing_id, tag, primary(tag)) for tag in tags)
    return {
        "accounts": (ACCOUNT_COLUMNS, accounts),
        "listings": (LISTING_COLUMNS, listings),
        "listing_categories": (["listing_id", "code"], categories),
        "listing_languages": (["listing_id", "tag", "language"], languages),
    }
