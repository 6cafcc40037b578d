"""known servers carry their registrable domain (`site`), so that one domain's owner, who
makes sub-domains for nothing, cannot have the node record servers without end: at most
`quarantine.MAX_HOSTS_PER_SITE` new hosts of one site are met

Revision ID: 0063
Revises: 0062
Create Date: 2026-12-05 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from moderation.domain_names import site_of

revision = "0063"
down_revision = "0062"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("known_servers", sa.Column("site", sa.String(length=255), nullable=True))
    op.create_index(op.f("ix_known_servers_site"), "known_servers", ["site"])
    bind = op.get_bind()
    domains = [row[0] for row in bind.execute(sa.text("SELECT domain FROM known_servers"))]
    update = sa.text("UPDATE known_servers SET site = :site WHERE domain = :domain")
    for start in range(0, len(domains), 1000):
        batch = domains[start : start + 1000]
        bind.execute(update, [{"site": site_of(name), "domain": name} for name in batch])


def downgrade() -> None:
    op.drop_index(op.f("ix_known_servers_site"), table_name="known_servers")
    op.drop_column("known_servers", "site")
