"""indexes for period reports: petitions by receipt, events by action and time

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_petitions_received_at', 'petitions', ['received_at'])
    op.create_index('ix_petition_events_action_at', 'petition_events', ['action', 'at'])


def downgrade() -> None:
    op.drop_index('ix_petition_events_action_at', table_name='petition_events')
    op.drop_index('ix_petitions_received_at', table_name='petitions')
