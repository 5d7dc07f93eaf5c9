"""Composite indexes added for speed at scale (issue 8; migration 0002_performance_indexes).

Declared here, on the tables the models already define, so that the metadata matches the migrated
schema (tests/test_foundation.py compares them). Keep this list and the migration's list the same.
"""
from __future__ import annotations

from sqlalchemy import Index

from app.models.risk import Assessment
from app.models.cases import CaseProgress
from app.models.meetings import Attendance, Meeting, MeetingTopic, MinutesDistribution
from app.models.supervision import Matter, MatterAssignment

PERFORMANCE_INDEXES = [
    Index("ix_matter_assignment_unit_status_matter", MatterAssignment.unit_id, MatterAssignment.status,
          MatterAssignment.matter_id),
    Index("ix_matter_status_deadline", Matter.status, Matter.deadline, Matter.id),
    Index("ix_assessment_case_assessed", Assessment.case_id, Assessment.assessed_on, Assessment.id),
    Index("ix_attendance_unit_meeting", Attendance.unit_id, Attendance.meeting_id),
    Index("ix_meeting_topic_unit_meeting", MeetingTopic.reporting_unit_id, MeetingTopic.meeting_id),
    Index("ix_minutes_distribution_unit_minutes", MinutesDistribution.unit_id, MinutesDistribution.minutes_id),
    Index("ix_case_progress_case_date", CaseProgress.case_id, CaseProgress.entry_date, CaseProgress.id),
    Index("ix_matter_case_status", Matter.case_id, Matter.status),
    Index("ix_meeting_status_start", Meeting.status, Meeting.start_at),
]
