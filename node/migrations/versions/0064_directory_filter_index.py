"""PostgreSQL: one GIN index over a listing's country, categories and languages, so a search
with two or three of those filters intersects their lists in the index instead of joining
thousands of category and language rows (issue 18: three filters and a word took 22-29 ms)

Revision ID: 0064
Revises: 0063
Create Date: 2026-12-05 22:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0064"
down_revision = "0063"
branch_labels = None
depends_on = None

# The terms of a listing, as content.directory.filter_terms names what a search asks for:
# k:country, c:category, t:tag and l:primary language (lower case). Strict, with a body
# that is not (string_to_array), so PostgreSQL does not inline it and its COST holds: that
# tells the planner that evaluating it row by row is dear, so it reads the index instead of
# walking the newest listings through it (45 ms for a category and a language).
FUNCTION = r"""
CREATE FUNCTION listing_filters(country text, categories text, tags text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 5000 AS $$
  SELECT string_to_array(
    'k:' || country
    || regexp_replace(' ' || categories, ' +([^ ]+)', ' c:\1', 'g')
    || regexp_replace(' ' || tags, ' +([^ ]+)', ' t:\1', 'g')
    || lower(regexp_replace(' ' || tags, ' +([^ -]+)[^ ]*', ' l:\1', 'g')),
    ' ')
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        op.execute(
            "CREATE INDEX ix_listings_filters ON listings "
            "USING gin (listing_filters(country, category_codes, language_tags))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_listings_filters")
        op.execute("DROP FUNCTION listing_filters(text, text, text)")
