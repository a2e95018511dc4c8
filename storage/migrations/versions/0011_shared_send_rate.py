"""a send schedule per channel that every worker shares; attachment ids of any length

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'send_rates',
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('next_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('channel', name=op.f('pk_send_rates')),
    )
    # A Zalo photo's id is its URL, which can be longer than 255 characters.
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.alter_column(
            'file_id', existing_type=sa.String(length=255), type_=sa.Text(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.alter_column(
            'file_id', existing_type=sa.Text(), type_=sa.String(length=255), existing_nullable=False
        )
    op.drop_table('send_rates')
