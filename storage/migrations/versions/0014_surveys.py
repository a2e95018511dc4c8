"""satisfaction surveys: one questionnaire per unit, one invitation per person per period;
how many followers a consultation's announcement reached; the outbox's unsent rows by chat (the
fair sweep's lookup, a minute a sweep over a backlog of 10 000 without it)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outbox_unsent_chat', ['channel', 'chat_id', 'id'], unique=False,
            sqlite_where=sa.text('sent_at IS NULL AND failed_at IS NULL'),
            postgresql_where=sa.text('sent_at IS NULL AND failed_at IS NULL'),
        )
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template', sa.String(length=32), nullable=False),
    sa.Column('period', sa.String(length=32), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scope_unit', sa.String(length=32), nullable=False),
    sa.Column('sample', sa.Integer(), nullable=True),
    sa.Column('started_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['scope_unit'], ['units.code'], name=op.f('fk_surveys_scope_unit_units')),
    sa.ForeignKeyConstraint(['started_by'], ['officers.id'], name=op.f('fk_surveys_started_by_officers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_scope_unit'), ['scope_unit'], unique=False)

    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reached', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('survey_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_consultations_survey_id_surveys'), 'surveys', ['survey_id'], ['id'])

    op.create_table('survey_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=32), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_survey_invitations_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_survey_invitations_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_invitations_survey_id_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_invitations')),
    sa.UniqueConstraint('period', 'citizen_id', name=op.f('uq_survey_invitations_period'))
    )
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_invitations_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_invitations_survey_id'), ['survey_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_invitations_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_invitations_consultation_id'))
    op.drop_table('survey_invitations')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consultations_survey_id_surveys'), type_='foreignkey')
        batch_op.drop_column('survey_id')
        batch_op.drop_column('reached')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_scope_unit'))
    op.drop_table('surveys')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_outbox_unsent_chat',
            sqlite_where=sa.text('sent_at IS NULL AND failed_at IS NULL'),
            postgresql_where=sa.text('sent_at IS NULL AND failed_at IS NULL'),
        )
