"""Zalo Official Account: its rotating tokens, and the inbox read by chat for the reply window

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('zalo_oa_tokens',
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('app_id', name=op.f('pk_zalo_oa_tokens'))
    )
    op.create_index('ix_inbox_chat', 'inbox', ['channel', 'chat_id', 'received_at'])


def downgrade() -> None:
    op.drop_index('ix_inbox_chat', table_name='inbox')
    op.drop_table('zalo_oa_tokens')
