"""public consultations (lấy ý kiến): question sets, participants, answers kept apart

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('summarised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['officers.id'], name=op.f('fk_consultations_created_by_officers')),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_consultations_unit_code_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultations_closes_at'), ['closes_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_unit_code'), ['unit_code'], unique=False)

    op.create_table('consultation_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('village', sa.String(length=32), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_consultation_participants_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_participants_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_participants')),
    sa.UniqueConstraint('consultation_id', 'citizen_id', name=op.f('uq_consultation_participants_consultation_id'))
    )
    with op.batch_alter_table('consultation_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_participants_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('consultation_answer_sets',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('village', sa.String(length=32), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_consultation_answer_sets_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_answer_sets_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_answer_sets')),
    sa.UniqueConstraint('consultation_id', 'citizen_id', name=op.f('uq_consultation_answer_sets_consultation_id'))
    )
    with op.batch_alter_table('consultation_answer_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_answer_sets_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('consultation_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_set_id', sa.String(length=32), nullable=False),
    sa.Column('question', sa.Integer(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('mark', sa.String(length=16), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['answer_set_id'], ['consultation_answer_sets.id'], name=op.f('fk_consultation_answers_answer_set_id_consultation_answer_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_answers'))
    )
    with op.batch_alter_table('consultation_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_answers_answer_set_id'), ['answer_set_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consultation_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_answers_answer_set_id'))
    op.drop_table('consultation_answers')
    with op.batch_alter_table('consultation_answer_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_answer_sets_consultation_id'))
    op.drop_table('consultation_answer_sets')
    with op.batch_alter_table('consultation_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_participants_consultation_id'))
    op.drop_table('consultation_participants')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultations_unit_code'))
        batch_op.drop_index(batch_op.f('ix_consultations_closes_at'))
    op.drop_table('consultations')
