"""Symptom check-ins (ESAS-r): who may send one for which patient, what is valid, and the alerts raised.

Who may send a check-in:
- a family member whose portal account is linked to the patient (FamilyContact.user_id), answering either
  as the patient (the patient using the family's phone) or as a family caregiver (a proxy);
- a clinician on the patient's care team, rating as a clinician, entering the patient's own answers, or
  entering a family caregiver's answers given over the phone.
Anyone else gets AccessDenied.

A check-in that is not valid is refused whole (CheckinRefused, with a message the person can act on) and
nothing is saved. A valid one is saved, the alert rules run against the patient's recent check-ins, and
the alerts for new conditions are raised, all in the caller's transaction and all audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import settings
from auth import audit
from auth.audit import AuditAction
from auth.identity import Identity
from auth.permissions import AccessDenied
from auth.refusal import Refusal
from clinical import akps, caregiver_burden, typed_text
from clinical.alerts import AlertRule, AlertThresholds, Checkin, Finding, evaluate_checkin, suppress_repeats
from clinical.consent import ConsentScope
from clinical.esas import ITEM_KEYS, validate_item_scores
from clinical.pcoc import PcocPhase
from clinical.roles import CLINICAL_ROLES, Role
from db import queries
from db.models import (
    Alert,
    AlertStatus,
    ClinicianRating,
    CompletedBy,
    Patient,
    SymptomAssessment,
)

OTHER_PROBLEM_MAX_CHARS = 100

# Who may be named as having answered, by who is at the keyboard. A family member cannot file a
# clinician's rating; a clinician may type in what a family caregiver told them over the phone.
_COMPLETERS: dict[str, tuple[CompletedBy, ...]] = {
    "family": (CompletedBy.PATIENT, CompletedBy.FAMILY),
    "clinician": (CompletedBy.CLINICIAN, CompletedBy.PATIENT, CompletedBy.FAMILY),
}


class CheckinRefused(Refusal):
    """The check-in (or the clinician ratings) cannot be saved as given. The message says why, in plain
    words, and nothing was saved."""


@dataclass(frozen=True)
class CheckinPatient:
    """A patient this person may send a check-in for, labelled as they should see it."""

    patient_id: int
    label: str


@dataclass(frozen=True)
class RaisedAlert:
    """An alert a check-in raised, as plain data (safe to keep in session state for the confirmation)."""

    alert_id: int
    rule: AlertRule
    item: str | None
    message: str


@dataclass(frozen=True)
class CheckinResult:
    assessment_id: int
    alerts: list[RaisedAlert] = field(default_factory=list)
    rating_id: int | None = None


@dataclass(frozen=True)
class ClinicianRatings:
    """Clinician-rated measures that may accompany a check-in. Values are as entered, validated on save."""

    pcoc_phase: PcocPhase | str | None = None
    akps: object = None
    caregiver_burden_instrument: str | None = None
    caregiver_burden_total: object = None

    def is_empty(self) -> bool:
        return (
            self.pcoc_phase is None
            and self.akps is None
            and self.caregiver_burden_instrument is None
            and self.caregiver_burden_total is None
        )


@dataclass(frozen=True)
class CheckinDraft:
    """Everything a check-in form collected, ready for save_checkin."""

    patient_id: int
    completed_by: CompletedBy
    items: Mapping[str, object]
    other_problem: str | None = None
    other_score: object = None
    ratings: ClinicianRatings | None = None


def completer_choices(identity: Identity) -> tuple[CompletedBy, ...]:
    """Whom this person may record as having answered, in the order a form should offer them."""
    if identity.role is Role.FAMILY:
        return _COMPLETERS["family"]
    if identity.role in CLINICAL_ROLES:
        return _COMPLETERS["clinician"]
    return ()


def patients_i_can_check_in_for(session: Session, identity: Identity) -> list[CheckinPatient]:
    """The patients this person may send a check-in for, by name. Family see names only; clinicians see
    the record number too, because two patients on one team can share a name."""
    if identity.role is Role.FAMILY:
        patients = session.scalars(
            select(Patient)
            .where(Patient.id.in_(queries.family_patient_ids(identity.user_id, ConsentScope.SHARE_RECORD)))
            .order_by(Patient.family_name, Patient.given_name)
        ).all()
        return [CheckinPatient(p.id, p.full_name) for p in patients]
    if identity.role in CLINICAL_ROLES:
        patients = session.scalars(
            select(Patient)
            .where(Patient.id.in_(queries.care_team_patient_ids(identity.user_id)))
            .order_by(Patient.family_name, Patient.given_name)
        ).all()
        return [CheckinPatient(p.id, f"{p.full_name} ({p.mrn})") for p in patients]
    return []


def may_check_in_for(session: Session, identity: Identity, patient_id: int) -> bool:
    if identity.role is Role.FAMILY:
        # Linked to the patient, with a live consent to share the record (a withdrawal takes effect now).
        linked = queries.family_patient_ids(identity.user_id, ConsentScope.SHARE_RECORD)
        return session.scalar(
            select(select(Patient.id).where(Patient.id == patient_id, Patient.id.in_(linked)).exists())
        )
    return identity.role in CLINICAL_ROLES and queries.is_on_care_team(session, identity.user_id, patient_id)


def _require_access(session: Session, identity: Identity, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id) if may_check_in_for(session, identity, patient_id) else None
    if patient is None:
        # The same words whether the patient exists or not: the message must not reveal who is a patient.
        raise AccessDenied("You can only send check-ins for a patient you are linked to.")
    return patient


def submit_checkin(
    session: Session,
    identity: Identity,
    patient_id: int,
    items: Mapping[str, object],
    other_problem: str | None,
    other_score: object,
    completed_by: CompletedBy,
    now: dt.datetime,
    thresholds: AlertThresholds | None = None,
) -> CheckinResult:
    """Save one ESAS-r check-in and raise the alerts it calls for, in the caller's transaction.

    items: the nine ESAS-r item keys to whole numbers 0-10; None (or a missing key) is an item skipped,
    stored as blank, never as 0. Raises AccessDenied for someone not linked to the patient and
    CheckinRefused for input that cannot be saved; in both cases nothing is written.
    """
    patient = _require_access(session, identity, patient_id)
    completed_by = _completer(identity, completed_by)
    scores = _validated_items(items)
    other_name, other_value = _validated_other(other_problem, other_score)
    thresholds = thresholds or settings.alert_thresholds()

    history = _recent_checkins(session, patient.id, now, thresholds)
    assessment = SymptomAssessment(
        patient_id=patient.id,
        assessed_at=now,
        completed_by=completed_by,
        entered_by_id=identity.user_id,
        other_problem=other_name,
        other_score=other_value,
        **scores,
    )
    audit.record_created(
        session,
        identity,
        AuditAction.CLINICAL_CREATE,
        assessment,
        details={
            "completed_by": completed_by.value,
            "answered": sorted(k for k, v in scores.items() if v is not None),
            "other_problem": other_name is not None,
        },
        now=now,
    )

    new = Checkin(now, scores)
    findings = evaluate_checkin(history, new, thresholds)
    fresh = suppress_repeats(findings, _open_condition_keys(session, patient.id, history, thresholds))
    raised = [_raise(session, patient.id, assessment.id, finding, identity, now) for finding in fresh]
    return CheckinResult(assessment_id=assessment.id, alerts=raised)


def save_checkin(
    session: Session,
    identity: Identity,
    draft: CheckinDraft,
    now: dt.datetime,
    thresholds: AlertThresholds | None = None,
) -> CheckinResult:
    """A check-in form's whole submission: the check-in, then any clinician ratings that came with it.

    One unit of work: if the ratings are refused the caller's transaction rolls the check-in back too, so
    the person can fix the rating and save both together.
    """
    result = submit_checkin(
        session,
        identity,
        draft.patient_id,
        draft.items,
        draft.other_problem,
        draft.other_score,
        draft.completed_by,
        now,
        thresholds,
    )
    if draft.ratings is None or draft.ratings.is_empty():
        return result
    rating = record_clinician_ratings(
        session,
        identity,
        draft.patient_id,
        draft.ratings.pcoc_phase,
        draft.ratings.akps,
        draft.ratings.caregiver_burden_instrument,
        draft.ratings.caregiver_burden_total,
        now,
        assessment_id=result.assessment_id,
    )
    return CheckinResult(result.assessment_id, result.alerts, rating.id)


def record_clinician_ratings(
    session: Session,
    identity: Identity,
    patient_id: int,
    pcoc_phase: PcocPhase | str | None,
    akps_level: object,
    caregiver_burden_instrument: str | None,
    caregiver_burden_total: object,
    now: dt.datetime,
    assessment_id: int | None = None,
) -> ClinicianRating:
    """Record PCOC phase, AKPS and a caregiver-burden total (any of them; at least one) for a patient.

    Clinicians on the care team only. A new phase also becomes the patient's current phase. The burden is
    a total only: the Zarit items are licensed and never stored (clinical/caregiver_burden.py).
    """
    if identity.role not in CLINICAL_ROLES or not queries.is_on_care_team(
        session, identity.user_id, patient_id
    ):
        raise AccessDenied("Only clinicians on this patient's care team can record these ratings.")
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise AccessDenied("Only clinicians on this patient's care team can record these ratings.")

    problems: list[str] = []
    phase: PcocPhase | None = None
    if pcoc_phase is not None:
        try:
            phase = PcocPhase(pcoc_phase)
        except ValueError:
            problems.append(f"{pcoc_phase!r} is not a PCOC phase of care")
    if akps_level is not None and (problem := akps.validate_akps(akps_level)) is not None:
        problems.append(problem)
    instrument = (caregiver_burden_instrument or "").strip() or None
    if (instrument is None) != (caregiver_burden_total is None):
        problems.append("A caregiver-burden total needs both the questionnaire version and the total")
    elif instrument is not None:
        problem = caregiver_burden.validate_total(instrument, caregiver_burden_total)
        if problem is not None:
            problems.append(problem)
    if phase is None and akps_level is None and instrument is None and not problems:
        problems.append("There is nothing to record: choose a phase of care, an AKPS level or a burden total")
    if problems:
        raise CheckinRefused("Not saved. " + "; ".join(problems) + ".")

    rating = ClinicianRating(
        patient_id=patient.id,
        rated_at=now,
        rated_by_id=identity.user_id,
        assessment_id=assessment_id,
        pcoc_phase=phase,
        akps=akps_level,  # type: ignore[arg-type]  # validated above: an int or None
        caregiver_burden_instrument=instrument,
        caregiver_burden_total=caregiver_burden_total,  # type: ignore[arg-type]
    )
    audit.record_created(
        session,
        identity,
        AuditAction.CLINICAL_CREATE,
        rating,
        # Which ratings were given, not their values: those are clinical, and stay in clinician_ratings.
        details={
            "given": sorted(
                name
                for name, value in (
                    ("pcoc_phase", phase),
                    ("akps", akps_level),
                    ("caregiver_burden", caregiver_burden_total),
                )
                if value is not None
            ),
            "assessment_id": assessment_id,
        },
        now=now,
    )
    if phase is not None and phase is not patient.pcoc_phase:
        patient.pcoc_phase = phase
        audit.record_about(
            session,
            identity,
            AuditAction.CLINICAL_UPDATE,
            patient,
            patient_id=patient.id,
            details={"field": "pcoc_phase"},
            now=now,
        )
    return rating


def _completer(identity: Identity, completed_by: object) -> CompletedBy:
    try:
        chosen = CompletedBy(completed_by)
    except ValueError:
        chosen = None
    if chosen is None or chosen not in completer_choices(identity):
        raise CheckinRefused("Not saved: please say who is answering these questions.")
    return chosen


def _validated_items(items: Mapping[str, object]) -> dict[str, int | None]:
    problems = validate_item_scores(items)
    if problems:
        raise CheckinRefused("Not saved. " + "; ".join(problems) + ".")
    scores: dict[str, int | None] = {key: items.get(key) for key in ITEM_KEYS}  # type: ignore[misc]
    if all(v is None for v in scores.values()):
        raise CheckinRefused(
            "Not saved: every symptom was skipped. Please answer at least one (you can skip the others)."
        )
    return scores


def _validated_other(other_problem: str | None, other_score: object) -> tuple[str | None, int | None]:
    name = typed_text.clean(other_problem) or None
    if name is not None and len(name) > OTHER_PROBLEM_MAX_CHARS:
        raise CheckinRefused(
            f"Not saved: the name of the other problem is {len(name)} characters long; "
            f"please keep it to {OTHER_PROBLEM_MAX_CHARS} or fewer."
        )
    if other_score is None:
        return name, None
    if isinstance(other_score, bool) or not isinstance(other_score, int) or not 0 <= other_score <= 10:
        raise CheckinRefused(
            f"Not saved: the other problem's score {other_score!r} is not a whole number from 0 to 10."
        )
    if name is None:
        raise CheckinRefused("Not saved: please say what the other problem is, or leave its score blank.")
    return name, other_score


def _checkin_of(assessment: SymptomAssessment) -> Checkin:
    return Checkin(assessment.assessed_at, {k: getattr(assessment, k) for k in ITEM_KEYS})


def _recent_checkins(
    session: Session, patient_id: int, now: dt.datetime, thresholds: AlertThresholds
) -> list[Checkin]:
    """What the rules need to judge a check-in at `now`, oldest first: every check-in from the baseline
    window before the previous one onwards (so the previous one can be judged too), plus the latest one
    before that (a blank item falls back to it). Three small indexed queries, however long the chart."""
    mine = SymptomAssessment.patient_id == patient_id
    previous_at = session.scalar(
        select(func.max(SymptomAssessment.assessed_at)).where(mine, SymptomAssessment.assessed_at < now)
    )
    if previous_at is None:
        return []
    since = previous_at - dt.timedelta(days=thresholds.baseline_days)
    recent = session.scalars(
        select(SymptomAssessment)
        .where(mine, SymptomAssessment.assessed_at >= since, SymptomAssessment.assessed_at < now)
        .order_by(SymptomAssessment.assessed_at)
    ).all()
    before = session.scalar(
        select(SymptomAssessment)
        .where(mine, SymptomAssessment.assessed_at < since)
        .order_by(SymptomAssessment.assessed_at.desc())
        .limit(1)
    )
    return [_checkin_of(a) for a in ([before] if before else []) + list(recent)]


def _open_condition_keys(
    session: Session, patient_id: int, history: Sequence[Checkin], thresholds: AlertThresholds
) -> set[str]:
    """Conditions that must not alert again (see clinical.alerts.suppress_repeats): those whose alert the
    team has not actioned yet, and those still present at the previous check-in."""
    unactioned = set(
        session.scalars(
            select(Alert.condition_key).where(
                Alert.patient_id == patient_id,
                Alert.status != AlertStatus.ACTIONED,
                Alert.condition_key.is_not(None),
            )
        )
    )
    present_before: set[str] = set()
    if history:
        previous = history[-1]
        present_before = {f.condition_key for f in evaluate_checkin(history[:-1], previous, thresholds)}
    return {k for k in unactioned if k is not None} | present_before


def _raise(
    session: Session,
    patient_id: int,
    assessment_id: int | None,
    finding: Finding,
    actor: Identity | None,
    now: dt.datetime,
) -> RaisedAlert:
    alert = Alert.raised_for(finding, patient_id, assessment_id, now)
    details = {"rule": alert.rule.value, "condition_key": finding.condition_key}
    audit.record_created(session, actor, AuditAction.ALERT_RAISED, alert, details=details, now=now)
    return RaisedAlert(alert.id, alert.rule, alert.item, alert.message)


def raise_alert(
    session: Session, patient_id: int, finding: Finding, now: dt.datetime, assessment_id: int | None = None
) -> RaisedAlert:
    """Insert one alert for a finding the portal itself noticed (no one at the keyboard), audited as the
    system. Used by the missed check-in sweep."""
    return _raise(session, patient_id, assessment_id, finding, None, now)
