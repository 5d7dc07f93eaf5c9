"""协调申请 and 信息核查 (issue 14): case assignments of judges and administrators, the catalogue of
standard information items, requests to the office and the items an information check asks for

Revision ID: 0008_requests
Revises: 0005_unit_full_name
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_requests'
down_revision = '0005_unit_full_name'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('requirements', sa.Text(), nullable=True),
    sa.Column('deadline_workdays', sa.Integer(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id', 'name', name='uq_check_item_unit_name')
    )
    with op.batch_alter_table('check_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_item_unit_id'), ['unit_id'], unique=False)

    op.create_table('case_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['bankruptcy_case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'user_id', name='uq_case_assignment_user')
    )
    with op.batch_alter_table('case_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_assignment_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_assignment_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index('ix_case_assignment_user_case', ['user_id', 'case_id'], unique=False)

    op.create_table('coordination_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('needs', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('desired_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('requester_role', sa.String(length=20), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('matter_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['bankruptcy_case.id'], ),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['matter_id'], ['matter.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('coordination_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coordination_request_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordination_request_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordination_request_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordination_request_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordination_request_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordination_request_matter_id'), ['matter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordination_request_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordination_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_coordination_request_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('check_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('matter_id', sa.Integer(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['check_item.id'], ),
    sa.ForeignKeyConstraint(['matter_id'], ['matter.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['coordination_request.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'item_id', name='uq_check_line_item')
    )
    with op.batch_alter_table('check_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_line_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_line_matter_id'), ['matter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_line_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_line_unit_id'), ['unit_id'], unique=False)

    op.create_table('request_unit',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['coordination_request.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'unit_id')
    )
    with op.batch_alter_table('request_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_unit_unit_id'), ['unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('request_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_unit_unit_id'))

    op.drop_table('request_unit')
    with op.batch_alter_table('check_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_line_unit_id'))
        batch_op.drop_index(batch_op.f('ix_check_line_request_id'))
        batch_op.drop_index(batch_op.f('ix_check_line_matter_id'))
        batch_op.drop_index(batch_op.f('ix_check_line_item_id'))

    op.drop_table('check_line')
    with op.batch_alter_table('coordination_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coordination_request_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_coordination_request_status'))
        batch_op.drop_index(batch_op.f('ix_coordination_request_requester_id'))
        batch_op.drop_index(batch_op.f('ix_coordination_request_matter_id'))
        batch_op.drop_index(batch_op.f('ix_coordination_request_kind'))
        batch_op.drop_index(batch_op.f('ix_coordination_request_decided_by_id'))
        batch_op.drop_index(batch_op.f('ix_coordination_request_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_coordination_request_category_id'))
        batch_op.drop_index(batch_op.f('ix_coordination_request_case_id'))

    op.drop_table('coordination_request')
    with op.batch_alter_table('case_assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_case_assignment_user_case')
        batch_op.drop_index(batch_op.f('ix_case_assignment_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_case_assignment_case_id'))

    op.drop_table('case_assignment')
    with op.batch_alter_table('check_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_item_unit_id'))

    op.drop_table('check_item')
