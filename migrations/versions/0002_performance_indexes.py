"""Composite indexes for the pages at scale (issue 8): a unit's parts, open matters by deadline,
the latest assessment of a case, a unit's meetings and minutes.

Revision ID: 0002_performance_indexes
Revises: 0001_initial
"""
from __future__ import annotations

from alembic import op

revision = "0002_performance_indexes"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

INDEXES = [
    # a unit's matters (row scope), its inbox (parts not yet replied) and the per-unit counts
    ("ix_matter_assignment_unit_status_matter", "matter_assignment", ["unit_id", "status", "matter_id"]),
    # open matters by deadline: alert counts, overdue lists, the 督办台, the home pages
    ("ix_matter_status_deadline", "matter", ["status", "deadline", "id"]),
    # the latest assessment of a case (risk flags on the home page and the warnings page)
    ("ix_assessment_case_assessed", "assessment", ["case_id", "assessed_on", "id"]),
    # a unit's meetings (row scope): invitations, attendance, topics it reports
    ("ix_attendance_unit_meeting", "attendance", ["unit_id", "meeting_id"]),
    ("ix_meeting_topic_unit_meeting", "meeting_topic", ["reporting_unit_id", "meeting_id"]),
    # a unit's minutes (row scope)
    ("ix_minutes_distribution_unit_minutes", "minutes_distribution", ["unit_id", "minutes_id"]),
    # the latest progress entry of a case (ledger, case page)
    ("ix_case_progress_case_date", "case_progress", ["case_id", "entry_date", "id"]),
    # a case's matters by status (ledger: open matters per case)
    ("ix_matter_case_status", "matter", ["case_id", "status"]),
    # upcoming meetings
    ("ix_meeting_status_start", "meeting", ["status", "start_at"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
