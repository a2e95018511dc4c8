"""reception days called off

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reception_day_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('closed_by', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['closed_by'], ['officers.id'], name=op.f('fk_reception_day_closures_closed_by_officers')),
    sa.ForeignKeyConstraint(['schedule_id'], ['reception_schedules.id'], name=op.f('fk_reception_day_closures_schedule_id_reception_schedules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_day_closures')),
    sa.UniqueConstraint('schedule_id', 'day', name=op.f('uq_reception_day_closures_schedule_id'))
    )


def downgrade() -> None:
    op.drop_table('reception_day_closures')
