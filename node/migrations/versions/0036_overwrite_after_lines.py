"""An overwriting import removes what its file leaves out only once its lines are applied:
the account each line named (`import_rows.account_id`) and whether the removals still wait
(`list_imports.removing`)

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", ID, nullable=True))
    with op.batch_alter_table("list_imports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("removing", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("list_imports", schema=None) as batch_op:
        batch_op.drop_column("removing")
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_column("account_id")
