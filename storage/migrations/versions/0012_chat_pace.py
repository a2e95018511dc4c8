"""how fast each chat writes (a flood gets one notice); replies held back during a flood

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations') as batch_op:
        batch_op.add_column(sa.Column('pace', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('paced_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(
            sa.Column('withheld', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('withheld')
    with op.batch_alter_table('conversations') as batch_op:
        batch_op.drop_column('paced_at')
        batch_op.drop_column('pace')
