"""The audit trail says what changed, not the clinical words (issue 14, point 6): administrators read it,
and they see no clinical records. Reproduced before the fix: the audit report showed action notes, AKPS,
phase of care, caregiver burden, plan text and dissent reasons."""

from __future__ import annotations

import json

from sqlalchemy import select

from auth.identity import Identity
from clinical.roles import Role
from db.engine import transaction
from db.models import Alert, AuditEvent, CompletedBy, PlanItemKind
from services import alerts, checkins
from services.goals_of_care import plan as care_plan
from services.goals_of_care import record as goc
from services.goals_of_care import signoff
from tests import factories
from tests.factories import NOW, goals_of_care_content

MARK = "Zebrafinch"  # a word no code writes: wherever typed text went, it went as this


def _as(user_id: int, role: Role) -> Identity:
    return Identity(user_id, role.value, f"Test {role.value}", role, "password")


def test_no_clinical_word_or_score_reaches_the_audit_trail(engine):
    with transaction(engine) as s:
        ward = factories.small_ward(s)
    physician_id, nurse_id, ada_id, conference_id = ward.physician, ward.nurse, ward.ada, ward.conference
    doctor, nurse_ = _as(physician_id, Role.PHYSICIAN), _as(nurse_id, Role.NURSE)
    with transaction(engine) as s:
        goc.save(s, doctor, ada_id, goals_of_care_content(hopes=f"{MARK} hopes"), 0, f"{MARK} reason", NOW)
        care_plan.add_plan_item(
            s,
            doctor,
            ada_id,
            conference_id,
            care_plan.PlanItemDraft(PlanItemKind.RECOMMENDATION, f"{MARK} plan"),
            NOW,
        )
        h = care_plan.current_hash(s, ada_id, conference_id)
        assert h is not None
        signoff.dissent(s, nurse_, ada_id, conference_id, f"{MARK} dissent", h, NOW)
        checkins.record_clinician_ratings(s, doctor, ada_id, "deteriorating", 40, "zbi_12", 30, NOW)
        checkins.submit_checkin(s, nurse_, ada_id, {"pain": 9}, f"{MARK} itch", 8, CompletedBy.CLINICIAN, NOW)
    with transaction(engine) as s:
        alert_id = s.scalar(select(Alert.id).where(Alert.patient_id == ada_id).limit(1))
        assert alert_id is not None, "a pain of 9 should raise an alert"
        alerts.action(s, nurse_, alert_id, f"{MARK} phoned, dose increased", NOW)
    with transaction(engine) as s:
        trail = [
            (e.action, json.dumps(e.details)) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    leaked = [(action, details) for action, details in trail if MARK in details]
    assert not leaked, f"typed clinical text is in the audit trail an administrator reads: {leaked}"
    scores = [
        (action, details)
        for action, details in trail
        if "deteriorating" in details or '"akps": 40' in details or '"caregiver_burden_total"' in details
    ]
    assert not scores, f"clinical ratings are in the audit trail: {scores}"
    assert any(action == "alert_actioned" for action, _ in trail), "the action itself must still be audited"
