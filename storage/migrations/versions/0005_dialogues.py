"""dialogues and reception days

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_subscriptions_citizen_id_citizens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('citizen_id', 'place', name=op.f('uq_subscriptions_citizen_id'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_place'), ['place'], unique=False)

    op.create_table('dialogues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('registration_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('subscribers_may_ask', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attendance', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['officers.id'], name=op.f('fk_dialogues_created_by_officers')),
    sa.ForeignKeyConstraint(['leader_id'], ['officers.id'], name=op.f('fk_dialogues_leader_id_officers')),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_dialogues_unit_code_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogues'))
    )
    with op.batch_alter_table('dialogues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogues_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogues_unit_code'), ['unit_code'], unique=False)

    op.create_table('reception_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts', sa.String(length=5), nullable=False),
    sa.Column('ends', sa.String(length=5), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_reception_schedules_officer_id_officers')),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_reception_schedules_unit_code_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_schedules'))
    )
    with op.batch_alter_table('reception_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reception_schedules_unit_code'), ['unit_code'], unique=False)

    op.create_table('dialogue_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dialogue_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('merged_into', sa.Integer(), nullable=True),
    sa.Column('unit_code', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('petition_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_dialogue_questions_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogues.id'], name=op.f('fk_dialogue_questions_dialogue_id_dialogues')),
    sa.ForeignKeyConstraint(['merged_into'], ['dialogue_questions.id'], name=op.f('fk_dialogue_questions_merged_into_dialogue_questions')),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_dialogue_questions_petition_id_petitions')),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_dialogue_questions_unit_code_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_questions'))
    )
    with op.batch_alter_table('dialogue_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_questions_dialogue_id'), ['dialogue_id'], unique=False)

    op.create_table('dialogue_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dialogue_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_dialogue_registrations_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogues.id'], name=op.f('fk_dialogue_registrations_dialogue_id_dialogues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_registrations')),
    sa.UniqueConstraint('dialogue_id', 'citizen_id', name=op.f('uq_dialogue_registrations_dialogue_id'))
    )
    with op.batch_alter_table('dialogue_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_registrations_dialogue_id'), ['dialogue_id'], unique=False)

    op.create_table('reception_bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('slot_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reception_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_reception_bookings_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['reception_id'], ['receptions.id'], name=op.f('fk_reception_bookings_reception_id_receptions')),
    sa.ForeignKeyConstraint(['schedule_id'], ['reception_schedules.id'], name=op.f('fk_reception_bookings_schedule_id_reception_schedules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reception_bookings'))
    )
    with op.batch_alter_table('reception_bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reception_bookings_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reception_bookings_schedule_id'), ['schedule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reception_bookings_slot_at'), ['slot_at'], unique=False)

    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dialogue_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_petitions_dialogue_id_dialogues'), 'dialogues', ['dialogue_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_petitions_dialogue_id_dialogues'), type_='foreignkey')
        batch_op.drop_column('dialogue_id')

    with op.batch_alter_table('reception_bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reception_bookings_slot_at'))
        batch_op.drop_index(batch_op.f('ix_reception_bookings_schedule_id'))
        batch_op.drop_index(batch_op.f('ix_reception_bookings_citizen_id'))

    op.drop_table('reception_bookings')
    with op.batch_alter_table('dialogue_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_registrations_dialogue_id'))

    op.drop_table('dialogue_registrations')
    with op.batch_alter_table('dialogue_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_questions_dialogue_id'))

    op.drop_table('dialogue_questions')
    with op.batch_alter_table('reception_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reception_schedules_unit_code'))

    op.drop_table('reception_schedules')
    with op.batch_alter_table('dialogues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogues_unit_code'))
        batch_op.drop_index(batch_op.f('ix_dialogues_starts_at'))

    op.drop_table('dialogues')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_place'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_citizen_id'))

    op.drop_table('subscriptions')
