"""officer work: second complaints, group representatives, rating reasons, identity grants,
receptions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('petitions') as batch:
        batch.add_column(sa.Column('representatives', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_petitions_parent_id_petitions'), 'petitions', ['parent_id'], ['id'])
    with op.batch_alter_table('ratings') as batch:
        batch.add_column(sa.Column('reason', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('comment', sa.Text(), nullable=True))
    op.create_table('identity_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('granted_by', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['granted_by'], ['officers.id'], name=op.f('fk_identity_grants_granted_by_officers')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_identity_grants_officer_id_officers')),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_identity_grants_petition_id_petitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_grants')),
    sa.UniqueConstraint('petition_id', 'officer_id', name=op.f('uq_identity_grants_petition_id'))
    )
    op.create_index(op.f('ix_identity_grants_petition_id'), 'identity_grants', ['petition_id'], unique=False)
    op.create_table('receptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('head_in_person', sa.Boolean(), nullable=False),
    sa.Column('group_size', sa.Integer(), nullable=False),
    sa.Column('visitor_name', sa.String(length=200), nullable=True),
    sa.Column('visitor_phone', sa.String(length=32), nullable=True),
    sa.Column('field', sa.String(length=32), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_receptions_petition_id_petitions')),
    sa.ForeignKeyConstraint(['recorded_by'], ['officers.id'], name=op.f('fk_receptions_recorded_by_officers')),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_receptions_unit_code_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receptions'))
    )
    op.create_index(op.f('ix_receptions_received_at'), 'receptions', ['received_at'], unique=False)
    op.create_index(op.f('ix_receptions_unit_code'), 'receptions', ['unit_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_receptions_unit_code'), table_name='receptions')
    op.drop_index(op.f('ix_receptions_received_at'), table_name='receptions')
    op.drop_table('receptions')
    op.drop_index(op.f('ix_identity_grants_petition_id'), table_name='identity_grants')
    op.drop_table('identity_grants')
    with op.batch_alter_table('ratings') as batch:
        batch.drop_column('comment')
        batch.drop_column('reason')
    with op.batch_alter_table('petitions') as batch:
        batch.drop_constraint(op.f('fk_petitions_parent_id_petitions'), type_='foreignkey')
        batch.drop_column('parent_id')
        batch.drop_column('representatives')
