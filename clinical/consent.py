"""What a family member's consent covers. Each family access decision asks for one scope, and only a
consent that was granted and not withdrawn counts (db.queries.family_patient_ids reads it live)."""

from __future__ import annotations

import enum


class ConsentScope(enum.StrEnum):
    # The record, the symptom check-ins, the goals of care and the plan shared with this relative.
    SHARE_RECORD = "share_record_with_family"
    # This relative may join the team's video meetings about the patient.
    VIDEO_MEETING = "video_meeting"
