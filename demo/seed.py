"""Demo data: synthetic patients, a care team, ESAS-r histories, the alerts they raised, and case conferences.

Every person and record here is invented. Record numbers start with "SYN-" so no one mistakes a demo row
for a real patient.

    VESPER_DEMO=1 python -m demo.seed             # seed only if the database is empty
    VESPER_DEMO=1 python -m demo.seed --reseed    # wipe everything but the audit trail, then seed again
    VESPER_DEMO=1 python -m demo.seed --now 2026-12-07T00:00:00Z   # as if it were that instant

The same `now` always gives the same data (one seeded random.Random), so a screenshot, a bug report or a
test can point at "Margaret Thornbury's check-in of 3 days ago" and mean the same row everywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth import audit
from auth.accounts import DEMO_EMAIL_DOMAIN
from auth.audit import AuditAction
from auth.passwords import hash_password
from clinical.alerts import AlertRule, Checkin, Finding, evaluate_checkin, missed_checkin, suppress_repeats
from clinical.consent import ConsentScope
from clinical.pcoc import PcocPhase
from clinical.roles import Role
from db.models import (
    ESAS_ITEM_COLUMNS,
    Alert,
    AlertStatus,
    Attendance,
    AttendanceOutcome,
    AuditEvent,
    Base,
    CareEvent,
    CareEventKind,
    CareTeamMember,
    CompletedBy,
    Conference,
    ConferenceCase,
    ConferenceStatus,
    Consent,
    FamilyContact,
    Patient,
    SymptomAssessment,
    User,
)

SEED = 20261130
# Alerts draw from their own generator, so adding or tuning them leaves every other seeded row unchanged.
ALERT_SEED = SEED + 1
# Care events (plan and medication changes on the charts) likewise.
CARE_EVENT_SEED = SEED + 2
# At most this many of a patient's actioned alerts also appear as a plan or medication change marker.
MAX_ALERT_CARE_EVENTS = 4
# How far back the alert rules are replayed over each chart. Older alerts would all be long actioned.
ALERT_REPLAY_DAYS = 21
# Long enough that every trend view (30/60/90 days) has a full window behind it.
HISTORY_DAYS = 100


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    display_name: str


# Shown on the sign-in page in demo mode only. These passwords are public by design: demo data is synthetic.
DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount("physician", "demo-physician-2026", Role.PHYSICIAN, "Dr Amara Okafor"),
    DemoAccount("nurse", "demo-nurse-2026", Role.NURSE, "Mei-Ling Tan"),
    DemoAccount("social_worker", "demo-social-worker-2026", Role.SOCIAL_WORKER, "Daniel Reyes"),
    DemoAccount("chaplain", "demo-chaplain-2026", Role.CHAPLAIN, "Rev. Grace Mensah"),
    DemoAccount("pharmacist", "demo-pharmacist-2026", Role.PHARMACIST, "Priya Raman"),
    DemoAccount("admin", "demo-admin-2026", Role.ADMIN, "Oskar Lindqvist"),
    DemoAccount("family", "demo-family-2026", Role.FAMILY, "Claire Thornbury"),
]

# Colleagues who fill out care teams and agendas. They have no password (they cannot sign in), so the
# sign-in page's list of demo accounts stays the complete list of ways in.
_EXTRA_CLINICIANS: tuple[tuple[str, Role, str], ...] = (
    ("physician2", Role.PHYSICIAN, "Dr Tomás Herrera"),
    ("nurse2", Role.NURSE, "Aisling Byrne"),
)


@dataclass(frozen=True)
class SeedSummary:
    users: int
    patients: int
    assessments: int
    conferences: int
    alerts: int


# Typical symptom burden by illness group, before each patient's own offsets and trajectory.
_BASELINES: dict[str, dict[str, float]] = {
    "gi_cancer": {"pain": 3, "tiredness": 4, "drowsiness": 2, "nausea": 3, "lack_of_appetite": 5,
                  "shortness_of_breath": 1, "depression": 2, "anxiety": 3},
    "cancer": {"pain": 3, "tiredness": 4, "drowsiness": 2, "nausea": 1, "lack_of_appetite": 3,
               "shortness_of_breath": 2, "depression": 2, "anxiety": 3},
    "cardiorespiratory": {"pain": 1, "tiredness": 5, "drowsiness": 2, "nausea": 1, "lack_of_appetite": 3,
                          "shortness_of_breath": 5, "depression": 3, "anxiety": 4},
    "neuro": {"pain": 2, "tiredness": 4, "drowsiness": 3, "nausea": 1, "lack_of_appetite": 2,
              "shortness_of_breath": 2, "depression": 3, "anxiety": 3},
    "renal": {"pain": 2, "tiredness": 5, "drowsiness": 3, "nausea": 3, "lack_of_appetite": 4,
              "shortness_of_breath": 2, "depression": 2, "anxiety": 2},
}  # fmt: skip


@dataclass(frozen=True)
class _Contact:
    name: str
    relationship: str
    surrogate: bool = False
    # Links this contact to the "family" demo account (the only family member who can sign in).
    portal_account: bool = False


@dataclass(frozen=True)
class _PatientSpec:
    given: str
    family: str
    sex: str
    age: int
    language: str
    diagnosis: str
    phase: PcocPhase
    interval: int
    trajectory: str  # stable | deteriorating | unstable | improving | terminal
    profile: str
    focus: tuple[str, ...] = ()
    # Set for "missed check-in" patients: the latest check-in is this many days old.
    last_checkin_days_ago: int | None = None
    # The family completes the check-ins from this many days ago onwards (patient too unwell).
    proxy_from_days_ago: int = 0
    on_demo_physician_team: bool = True
    contacts: tuple[_Contact, ...] = field(default_factory=tuple)


_PATIENTS: tuple[_PatientSpec, ...] = (
    _PatientSpec("Margaret", "Thornbury", "female", 78, "English", "Metastatic pancreatic cancer",
                 PcocPhase.DETERIORATING, 3, "deteriorating", "gi_cancer",
                 focus=("pain", "lack_of_appetite", "nausea"), proxy_from_days_ago=12,
                 contacts=(_Contact("Claire Thornbury", "daughter", True, portal_account=True),
                           _Contact("Peter Thornbury", "son"))),
    _PatientSpec("Văn Minh", "Nguyễn", "male", 71, "Vietnamese", "Hepatocellular carcinoma, Child-Pugh C",
                 PcocPhase.UNSTABLE, 2, "unstable", "gi_cancer", focus=("pain",),
                 contacts=(_Contact("Nguyễn Thị Lan", "daughter", True),)),
    _PatientSpec("Fatima", "Haddad", "female", 64, "Arabic", "Metastatic breast cancer",
                 PcocPhase.STABLE, 3, "improving", "cancer", focus=("pain", "anxiety"),
                 contacts=(_Contact("Omar Haddad", "spouse", True),)),
    _PatientSpec("Rosa", "Delgado", "female", 83, "Spanish", "End-stage heart failure (NYHA IV)",
                 PcocPhase.DETERIORATING, 3, "deteriorating", "cardiorespiratory",
                 focus=("shortness_of_breath", "tiredness"),
                 contacts=(_Contact("Carmen Delgado", "daughter", True), _Contact("Luis Delgado", "son"))),
    _PatientSpec("Wai-Man", "Chan", "male", 88, "Cantonese", "COPD, GOLD 4",
                 PcocPhase.UNSTABLE, 2, "unstable", "cardiorespiratory",
                 focus=("shortness_of_breath", "anxiety"),
                 contacts=(_Contact("Mei Chan", "spouse", True),)),
    _PatientSpec("Thomas", "Whitcombe", "male", 59, "English", "Motor neurone disease",
                 PcocPhase.STABLE, 7, "stable", "neuro",
                 contacts=(_Contact("Julia Whitcombe", "spouse", True),)),
    _PatientSpec("Aroha", "Te Rangi", "female", 52, "English",
                 "Metastatic ovarian cancer with malignant bowel obstruction",
                 PcocPhase.TERMINAL, 2, "terminal", "gi_cancer", focus=("nausea", "pain", "drowsiness"),
                 proxy_from_days_ago=9,
                 contacts=(_Contact("Sam Walker", "partner", True), _Contact("Kiri Te Rangi", "sister"))),
    _PatientSpec("Kwame", "Asante", "male", 67, "English", "Metastatic prostate cancer",
                 PcocPhase.STABLE, 3, "stable", "cancer", last_checkin_days_ago=6,
                 contacts=(_Contact("Ama Asante", "spouse", True),)),
    _PatientSpec("Eileen", "Fairweather", "female", 86, "English",
                 "End-stage kidney disease, conservative management",
                 PcocPhase.DETERIORATING, 3, "deteriorating", "renal", focus=("drowsiness", "nausea"),
                 last_checkin_days_ago=7,
                 contacts=(_Contact("Graham Fairweather", "son", True),)),
    _PatientSpec("Rajesh", "Iyer", "male", 61, "English", "Glioblastoma, progressing after chemoradiotherapy",
                 PcocPhase.STABLE, 3, "improving", "neuro", focus=("pain", "drowsiness"),
                 contacts=(_Contact("Lakshmi Iyer", "spouse", True), _Contact("Arjun Iyer", "son"))),
    _PatientSpec("Elena", "Petrova", "female", 74, "English", "Idiopathic pulmonary fibrosis",
                 PcocPhase.STABLE, 7, "stable", "cardiorespiratory",
                 contacts=(_Contact("Daria Sokolova", "niece", True),)),
    _PatientSpec("José", "Ramírez", "male", 69, "Spanish", "Metastatic colorectal cancer",
                 PcocPhase.DETERIORATING, 3, "deteriorating", "gi_cancer",
                 focus=("nausea", "lack_of_appetite", "tiredness"),
                 contacts=(_Contact("Lucía Ramírez", "spouse", True),)),
    # Two patients outside the demo physician's care team: signing in as "physician" must not show them.
    _PatientSpec("Siobhan", "Gallagher", "female", 58, "English", "Metastatic non-small cell lung cancer",
                 PcocPhase.STABLE, 3, "stable", "cancer", on_demo_physician_team=False,
                 contacts=(_Contact("Declan Gallagher", "partner", True),)),
    _PatientSpec("Yusuf", "Demir", "male", 46, "English", "Metastatic melanoma with brain metastases",
                 PcocPhase.STABLE, 2, "stable", "neuro", on_demo_physician_team=False),
    _PatientSpec("Ingrid", "Solberg", "female", 92, "English", "Advanced Parkinson's disease",
                 PcocPhase.DETERIORATING, 3, "deteriorating", "neuro",
                 focus=("lack_of_appetite", "tiredness")),
)  # fmt: skip


@dataclass(frozen=True)
class _CaseSpec:
    mrn: str
    presenter: str  # username
    minutes: int
    question: str


@dataclass(frozen=True)
class _ConferenceSpec:
    title: str
    days_from_now: int
    status: ConferenceStatus
    cases: tuple[_CaseSpec, ...]


_CONFERENCES: tuple[_ConferenceSpec, ...] = (
    _ConferenceSpec("Palliative care MDT: community team", -7, ConferenceStatus.COMPLETED, (
        _CaseSpec("SYN-0004", "nurse", 15,
                  "Breathless at rest, oedema to the thighs despite furosemide 80 mg BD; two admissions this "
                  "month. Time to deactivate the ICD shock function and move to subcutaneous furosemide at "
                  "home? Spanish interpreter booked for the family meeting."),
        _CaseSpec("SYN-0007", "physician", 20,
                  "Vomiting with malignant bowel obstruction; surgeons say not for further surgery. Trial "
                  "of octreotide and a venting gastrostomy, or comfort-focused care only? Partner wants her "
                  "home."),
        _CaseSpec("SYN-0012", "pharmacist", 10,
                  "Nausea 7/10 most days and eating very little. Opioid-induced, constipation, or early "
                  "obstruction? Review antiemetic (metoclopramide vs haloperidol) and the bowel regimen."),
    )),
    _ConferenceSpec("Palliative care MDT: community team", 1, ConferenceStatus.SCHEDULED, (
        _CaseSpec("SYN-0002", "nurse", 15,
                  "Breakthrough doses used 5-6 times a day since the weekend, with new right upper quadrant "
                  "pain. Capsular stretch or a bleed: image, or start dexamethasone and titrate? Vietnamese "
                  "interpreter needed for the family call."),
        _CaseSpec("SYN-0005", "physician", 15,
                  "Breathlessness at rest jumped this week despite home oxygen 2 L/min. Start regular "
                  "low-dose oral morphine for breathlessness? Wife frightened at night: crisis plan and an "
                  "after-hours number with a Cantonese interpreter."),
        _CaseSpec("SYN-0001", "physician", 20,
                  "Pain escalating despite oxycodone 20 mg BD: rotate opioid or add adjuvant? Coeliac plexus "
                  "block worth discussing? Daughter (her surrogate) asking about taking her home."),
        _CaseSpec("SYN-0015", "social_worker", 10,
                  "Swallow worsening, two chest infections in six weeks. Treat the next infection with "
                  "antibiotics, or focus on comfort? Son holds health power of attorney: family meeting "
                  "before the next admission."),
    )),
    _ConferenceSpec("Urgent review: unstable and terminal phases", 3, ConferenceStatus.SCHEDULED, (
        _CaseSpec("SYN-0007", "nurse", 15,
                  "Likely last days; mostly drowsy and her partner now completes her check-ins. Anticipatory "
                  "medicines charted (morphine, midazolam, glycopyrronium)? Syringe driver and overnight "
                  "nursing so she can die at home, as she wished."),
        _CaseSpec("SYN-0009", "social_worker", 15,
                  "No check-ins for a week since her son went back to work; last scores showed more "
                  "drowsiness and nausea. Home visit this week? Review the conservative kidney care plan and "
                  "preferred place of death."),
        _CaseSpec("SYN-0004", "pharmacist", 10,
                  "Since ICD deactivation and subcutaneous furosemide, breathlessness still 7-8/10. Add "
                  "low-dose morphine? Check renal function before choosing the opioid."),
    )),
    _ConferenceSpec("Palliative care MDT: community team", 8, ConferenceStatus.SCHEDULED, (
        _CaseSpec("SYN-0012", "physician", 15,
                  "Weight down 6 kg in a month; oncology offering third-line chemotherapy. He told the nurse "
                  "he is 'tired of hospitals'. Prepare a goals-of-care conversation: what matters most to "
                  "him, and does Lucía know how unwell he is?"),
        _CaseSpec("SYN-0010", "physician", 15,
                  "Headache settled on dexamethasone 8 mg, but proximal weakness and poor sleep now. Taper "
                  "plan, and how do we talk with Lakshmi about what the coming months may look like?"),
        _CaseSpec("SYN-0006", "nurse", 20,
                  "Orthopnoea and morning headaches: NIV offered. He does not want a tracheostomy. Record an "
                  "advance decision and agree how NIV would be withdrawn if he asks."),
        _CaseSpec("SYN-0008", "social_worker", 10,
                  "Missed check-ins for almost a week after months of regular ones. Unwell, or struggling "
                  "since his wife's hospital stay? Welfare call today; paper ESAS-r via the district nurse?"),
    )),
)  # fmt: skip

_OTHER_PROBLEMS = ("Constipation", "Sleep", "Itch")
# Steps between check-ins, in days, by agreed interval: patients often check in earlier than agreed.
_STEPS: dict[int, tuple[int, ...]] = {2: (1, 2, 2, 2), 3: (1, 2, 3, 3, 3), 7: (3, 4, 5, 6, 7)}


def is_empty(session: Session) -> bool:
    """True when there are no users and no patients: the only state the seed will fill."""
    users, patients = _counts(session)
    return users == 0 and patients == 0


def seed_demo(session: Session, now: dt.datetime) -> SeedSummary:
    """Fill an empty database with demo data, inside the caller's transaction."""
    now = _utc(now)
    users, patients = _counts(session)
    if users or patients:
        raise ValueError(
            f"the database already has data ({users} users, {patients} patients); the demo seed only fills "
            "an empty database. Use reseed() or `python -m demo.seed --reseed` to replace it on purpose."
        )
    return _insert_and_audit(session, now, {"mode": "seed"})


def reseed(session: Session, now: dt.datetime) -> SeedSummary:
    """Delete every row except the audit trail, then seed again, inside the caller's transaction.

    Objects the caller loaded from this session are detached: their rows no longer exist.
    """
    now = _utc(now)
    session.flush()
    deleted: dict[str, int] = {}
    # Children before parents, so foreign keys hold at every step. The audit trail refuses DELETE (by
    # trigger) and must outlive the rows it speaks of, so it is never touched.
    for table in reversed(Base.metadata.sorted_tables):
        if table.name == AuditEvent.__tablename__:
            continue
        result = session.execute(table.delete())
        deleted[table.name] = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    # SQLite reuses freed ids, so a stale object in the identity map could collide with a new row.
    session.expunge_all()
    return _insert_and_audit(session, now, {"mode": "reseed"}, deleted=deleted)


def _insert_and_audit(
    session: Session, now: dt.datetime, mode: dict[str, str], **extra: dict[str, int]
) -> SeedSummary:
    """Insert the demo rows, then record one `demo_seeded` event (actor "system") with what was made."""
    summary = _insert(session, now)
    details = {**mode, **asdict(summary), **extra}
    audit.record_by(session, None, AuditAction.DEMO_SEEDED, details=details, now=now)
    return summary


def _counts(session: Session) -> tuple[int, int]:
    users = session.scalar(select(func.count()).select_from(User)) or 0
    patients = session.scalar(select(func.count()).select_from(Patient)) or 0
    return users, patients


def _utc(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None:
        raise ValueError("seed needs a timezone-aware `now`, e.g. datetime.now(timezone.utc)")
    return now.astimezone(dt.UTC)


def _insert(session: Session, now: dt.datetime) -> SeedSummary:
    rng = random.Random(SEED)

    users = _users(now)
    patients = [_patient(rng, i, spec, now) for i, spec in enumerate(_PATIENTS, start=1)]
    session.add_all(users.values())
    session.add_all(patients)
    # Each batch needs the ids of the one before it, hence a flush per batch (four in all, still fast).
    session.flush()

    rows: list[Base] = []
    family_user_by_patient: dict[int, int] = {}
    teams: dict[int, list[User]] = {}
    for spec, patient in zip(_PATIENTS, patients, strict=True):
        team = _care_team(spec, patient, users)
        teams[patient.id] = team
        rows += [
            CareTeamMember(patient_id=patient.id, user_id=u.id, added_at=patient.created_at) for u in team
        ]
        for contact in spec.contacts:
            rows.append(_family_contact(contact, patient, users))
            if contact.portal_account:
                family_user_by_patient[patient.id] = users["family"].id
        entry_clinicians = [u.id for u in team if u.role in (Role.NURSE, Role.PHYSICIAN)]
        rows += _assessments(
            rng, spec, patient, now, family_user_by_patient.get(patient.id), entry_clinicians
        )
    session.add_all(rows)
    session.flush()

    # Alerts point at the assessments that raised them, so they need the assessment ids from the flush above.
    alert_rng = random.Random(ALERT_SEED)
    charts: dict[int, list[SymptomAssessment]] = {p.id: [] for p in patients}
    for row in rows:
        if isinstance(row, SymptomAssessment):
            charts[row.patient_id].append(row)
    alerts = [
        alert
        for patient in patients
        for alert in _alerts(alert_rng, patient, teams[patient.id], charts[patient.id], now)
    ]
    session.add_all(alerts)
    care_rng = random.Random(CARE_EVENT_SEED)
    session.add_all(
        event
        for spec, patient in zip(_PATIENTS, patients, strict=True)
        for event in _care_events(
            care_rng, spec, patient, teams[patient.id], [a for a in alerts if a.patient_id == patient.id], now
        )
    )

    # Consent belongs to the contact who has a portal account: sharing the record is what the account is for.
    linked = session.scalars(select(FamilyContact).where(FamilyContact.user_id.is_not(None))).all()
    consents = [
        Consent(
            patient_id=c.patient_id,
            family_contact_id=c.id,
            scope=scope.value,
            granted=True,
            recorded_by_id=users["social_worker"].id,
            recorded_at=now - dt.timedelta(days=30),
        )
        for c in linked
        for scope in ConsentScope
    ]
    session.add_all(consents)

    by_mrn = {p.mrn: p for p in patients}
    conferences = [_conference(spec, now, users, by_mrn) for spec in _CONFERENCES]
    session.add_all(conferences)
    session.flush()
    session.add_all(_attendance(rng, conferences, users))
    session.flush()

    return SeedSummary(
        users=len(users),
        patients=len(patients),
        assessments=sum(isinstance(r, SymptomAssessment) for r in rows),
        conferences=len(conferences),
        alerts=len(alerts),
    )


def _users(now: dt.datetime) -> dict[str, User]:
    created = now - dt.timedelta(days=200)
    # Extra clinicians get no password hash: they cannot sign in.
    people = [(a.username, a.role, a.display_name, a.password) for a in DEMO_ACCOUNTS]
    people += [(username, role, name, None) for username, role, name in _EXTRA_CLINICIANS]
    return {
        username: User(
            username=username,
            display_name=display_name,
            email=f"{username}@{DEMO_EMAIL_DOMAIN}",
            role=role,
            password_hash=hash_password(password) if password is not None else None,
            created_at=created,
        )
        for username, role, display_name, password in people
    }


def _patient(rng: random.Random, number: int, spec: _PatientSpec, now: dt.datetime) -> Patient:
    today = now.date()
    # A birthday between 1 and 330 days ago in the year `spec.age` years back: age today is exactly spec.age.
    birthday = dt.date(today.year - spec.age, today.month, min(today.day, 28))
    return Patient(
        mrn=f"SYN-{number:04d}",
        given_name=spec.given,
        family_name=spec.family,
        birth_date=birthday - dt.timedelta(days=rng.randint(1, 330)),
        sex=spec.sex,
        preferred_language=spec.language,
        interpreter_needed=spec.language != "English",
        diagnosis=spec.diagnosis,
        pcoc_phase=spec.phase,
        checkin_interval_days=spec.interval,
        created_at=now - dt.timedelta(days=HISTORY_DAYS + rng.randint(10, 40)),
    )


def _care_team(spec: _PatientSpec, patient: Patient, users: dict[str, User]) -> list[User]:
    if spec.on_demo_physician_team:
        names = ["physician", "nurse", "social_worker", "chaplain", "pharmacist"]
        # A second doctor or nurse on some teams, so cover and hand-over look like the real thing.
        if patient.checkin_interval_days == 7 or spec.phase is PcocPhase.TERMINAL:
            names.append("physician2")
        if spec.profile in ("neuro", "renal"):
            names.append("nurse2")
    else:
        names = ["physician2", "nurse2", "social_worker", "pharmacist"]
    return [users[n] for n in names]


def _family_contact(contact: _Contact, patient: Patient, users: dict[str, User]) -> FamilyContact:
    slug = contact.name.split()[0].lower()
    return FamilyContact(
        patient_id=patient.id,
        name=contact.name,
        relationship_to_patient=contact.relationship,
        is_surrogate=contact.surrogate,
        # 555-01xx numbers are reserved for fiction, so a demo number can never ring a real phone.
        phone=f"+1 555 01{patient.id * 3 % 100:02d}",
        email=users["family"].email if contact.portal_account else f"{slug}.{patient.id}@example.org",
        user_id=users["family"].id if contact.portal_account else None,
    )


def _checkin_times(rng: random.Random, spec: _PatientSpec, now: dt.datetime) -> list[dt.datetime]:
    """Check-in times, oldest first, walking back from the latest one until past HISTORY_DAYS."""
    oldest_needed = now - dt.timedelta(days=HISTORY_DAYS)
    days_ago = spec.last_checkin_days_ago if spec.last_checkin_days_ago is not None else rng.choice((0, 1))
    missed = spec.last_checkin_days_ago is not None
    times: list[dt.datetime] = []
    while True:
        day = now.date() - dt.timedelta(days=days_ago)
        at = dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC) + dt.timedelta(
            minutes=rng.randint(0, 12 * 60)
        )
        if at > now:
            days_ago += 1
            continue
        times.append(at)
        if at < oldest_needed:
            break
        days_ago += rng.choice(_STEPS[spec.interval])
        # People who drift out of the habit show it long before the gap that finally gets noticed.
        if missed and rng.random() < 0.08:
            days_ago += rng.randint(4, 8)
    return times[::-1]


def _trajectory(spec: _PatientSpec, shape: dict[str, float], days_ago: float) -> dict[str, float]:
    """How far above (or below) baseline each item sits at this point of the patient's story."""
    shift = dict.fromkeys(ESAS_ITEM_COLUMNS[:-1], 0.0)
    focus = spec.focus
    if spec.trajectory in ("deteriorating", "terminal"):
        window = shape["window"]
        progress = min(max((window - days_ago) / window, 0.0), 1.0)
        for item in shift:
            shift[item] = (4.5 if item in focus else 2.0) * progress
        shift["tiredness"] = max(shift["tiredness"], 3.0 * progress)
        if spec.trajectory == "terminal" and days_ago < 10:
            last_days = 1 - days_ago / 10
            for item in ("drowsiness", "tiredness", "lack_of_appetite"):
                shift[item] += 3.0 * last_days
    elif spec.trajectory == "unstable":
        # Quiet for months, then a sharp jump over the last few days.
        if days_ago <= shape["jump"]:
            for item in focus:
                shift[item] = 5.5
            shift["anxiety"] = max(shift["anxiety"], 3.0)
            shift["tiredness"] = 1.5
    elif spec.trajectory == "improving":
        # Worsening for three weeks, then an intervention (radiotherapy, steroids) brings it down.
        turn = shape["intervention"]
        if turn < days_ago <= turn + 21:
            level = 4.0 * (turn + 21 - days_ago) / 21
        elif days_ago <= turn:
            settled = math.exp(-(turn - days_ago) / 5)
            level = 4.0 * settled - 1.0 * (1 - settled)
        else:
            level = 0.0
        for item in shift:
            shift[item] = level if item in focus else level / 3
    return shift


def _assessments(
    rng: random.Random,
    spec: _PatientSpec,
    patient: Patient,
    now: dt.datetime,
    family_user_id: int | None,
    entry_clinicians: Sequence[int],
) -> list[SymptomAssessment]:
    baseline = {k: v + rng.uniform(-1.0, 1.0) for k, v in _BASELINES[spec.profile].items()}
    shape = {
        "window": rng.randint(21, 28) if spec.trajectory == "deteriorating" else 35,
        "jump": rng.randint(3, 4),
        "intervention": rng.randint(24, 32),
    }
    other_problem = rng.choice(_OTHER_PROBLEMS)
    # With an interpreter booked, a nurse often completes the form with the patient.
    clinician_share = 0.12 if spec.language != "English" else 0.04

    rows = []
    for at in _checkin_times(rng, spec, now):
        days_ago = (now - at).total_seconds() / 86400
        shift = _trajectory(spec, shape, days_ago)
        fatigue = rng.gauss(0, 0.8)  # tiredness and drowsiness move together
        mood = rng.gauss(0, 0.8)  # so do sadness and nervousness
        raw = {item: baseline[item] + shift[item] + rng.gauss(0, 0.6) for item in baseline}
        raw["tiredness"] += fatigue
        raw["drowsiness"] += 0.7 * fatigue
        raw["depression"] += mood
        raw["anxiety"] += mood
        scores: dict[str, int | None] = {item: _clamp(value) for item, value in raw.items()}
        # Wellbeing (0 best) follows the overall burden, as it does in real ESAS-r data.
        burden = sum(v for v in scores.values() if v is not None) / len(scores)
        scores["wellbeing"] = _clamp(1.1 * burden + 0.7 + rng.gauss(0, 0.6))
        if rng.random() < 0.02:
            scores[rng.choice(ESAS_ITEM_COLUMNS)] = None  # an item skipped: NULL, never 0

        if spec.proxy_from_days_ago and days_ago <= spec.proxy_from_days_ago:
            completed_by, entered_by = CompletedBy.FAMILY, family_user_id
        elif entry_clinicians and rng.random() < clinician_share:
            completed_by, entered_by = CompletedBy.CLINICIAN, rng.choice(entry_clinicians)
        else:
            completed_by, entered_by = CompletedBy.PATIENT, None

        other = rng.random() < 0.12
        rows.append(
            SymptomAssessment(
                patient_id=patient.id,
                assessed_at=at,
                completed_by=completed_by,
                entered_by_id=entered_by,
                other_problem=other_problem if other else None,
                other_score=rng.randint(2, 7) if other else None,
                **scores,
            )
        )
    return rows


def _clamp(value: float) -> int:
    return min(10, max(0, round(value)))


# What the team did about an alert, by the symptom it was about, with the discipline that did it. Each
# actioned alert takes one at random, so the history reads like a real week of community palliative care.
_ACTIONS: dict[str, tuple[tuple[Role, str], ...]] = {
    "pain": (
        (Role.NURSE, "Phoned patient; breakthrough dose increased"),
        (Role.PHYSICIAN, "Home visit: regular oxycodone increased by a third; breakthrough dose matched"),
        (Role.PHARMACIST, "Medication review: breakthrough used 4-5 times a day; regular opioid and "
                          "laxative increased"),
        (Role.NURSE, "Phoned; pain eased after a breakthrough dose. Heat pack advice, review in 2 days"),
        (Role.PHYSICIAN, "Reviewed: new site of pain. Dexamethasone started, imaging discussed"),
    ),
    "nausea": (
        (Role.PHYSICIAN, "Phoned; haloperidol 0.5 mg at night started"),
        (Role.PHARMACIST, "Antiemetic review: metoclopramide changed to haloperidol; bowel regimen checked"),
        (Role.NURSE, "Home visit: bowels last open 4 days ago, laxatives increased; antiemetic given subcut"),
    ),
    "shortness_of_breath": (
        (Role.NURSE, "Phoned; fan and positioning advice, breathlessness crisis plan reviewed with family"),
        (Role.PHYSICIAN, "Home visit: oral morphine 2.5 mg as needed started for breathlessness"),
        (Role.NURSE, "Home visit: saturations stable on home oxygen; breathing exercises, review in 48 h"),
    ),
    "tiredness": (
        (Role.NURSE, "Phoned; energy conservation advice, extra carer visits discussed with family"),
        (Role.PHYSICIAN, "Reviewed; haemoglobin and calcium checked, short dexamethasone trial agreed"),
        (Role.NURSE, "Home visit: sleeping most afternoons; rest plan and a commode for nights arranged"),
    ),
    "drowsiness": (
        (Role.PHYSICIAN, "Reviewed; opioid reduced for drowsiness, renal function checked"),
        (Role.PHARMACIST, "Medication review: sedating medicines rationalised, evening dose moved earlier"),
        (Role.NURSE, "Phoned family; drowsy but rousable and comfortable, physician informed"),
    ),
    "lack_of_appetite": (
        (Role.NURSE, "Phoned; small frequent meals advice, dietitian referral made"),
        (Role.PHYSICIAN, "Discussed with patient and family: appetite loss expected at this stage, no "
                         "pressure to eat"),
    ),
    "depression": (
        (Role.SOCIAL_WORKER, "Phoned patient; counselling offered and accepted"),
        (Role.CHAPLAIN, "Chaplain visit arranged at patient's request"),
        (Role.PHYSICIAN, "Reviewed mood; antidepressant discussed, patient prefers to wait a week"),
    ),
    "anxiety": (
        (Role.NURSE, "Phoned; lorazepam 0.5 mg sublingual as needed for panic, agreed with the physician"),
        (Role.SOCIAL_WORKER, "Phoned; worried about money and family, benefits advice given, visit booked"),
        (Role.CHAPLAIN, "Visited at patient's request; time to talk about fears for the coming weeks"),
        (Role.NURSE, "Phoned; breathing and grounding techniques talked through, calmer by the end"),
    ),
    "wellbeing": (
        (Role.NURSE, "Phoned patient; feeling worse overall, home visit brought forward"),
        (Role.PHYSICIAN, "Reviewed at home; goals of care revisited with patient and family"),
    ),
    "total": (
        (Role.NURSE, "Reviewed the overall trend with patient; visit brought forward to tomorrow"),
        (Role.PHYSICIAN, "Discussed at team huddle; added to next MDT agenda"),
        (Role.NURSE, "Phoned; several symptoms up together, GP informed and review arranged"),
    ),
    "missed": (
        (Role.NURSE, "Phoned patient; well, had forgotten to check in. Reminder set up"),
        (Role.SOCIAL_WORKER, "Welfare call to family; patient in hospital overnight, now home"),
    ),
}  # fmt: skip


def _alerts(
    rng: random.Random,
    patient: Patient,
    team: Sequence[User],
    chart: Sequence[SymptomAssessment],
    now: dt.datetime,
) -> list[Alert]:
    """Replay the alert rules over the last ALERT_REPLAY_DAYS of one patient's chart, as the live portal
    would have raised them check-in by check-in, then check for a missed check-in at `now`.

    A finding is a repeat (and raises nothing) while its condition has an alert not yet actioned, or was
    already present at the previous check-in (pain that stays severe is one condition, however long it
    lasts: see clinical.alerts.suppress_repeats).
    """
    checkins = [Checkin(a.assessed_at, {k: getattr(a, k) for k in ESAS_ITEM_COLUMNS}) for a in chart]
    replay_from = now - dt.timedelta(days=ALERT_REPLAY_DAYS)
    # Condition key -> when its latest alert was actioned (None: not actioned by `now`).
    alerted: dict[str, dt.datetime | None] = {}
    present_before: set[str] = set()
    alerts: list[Alert] = []

    def open_at(at: dt.datetime) -> set[str]:
        return {key for key, actioned in alerted.items() if actioned is None or actioned > at}

    # Start one check-in before the window, to know which conditions were already present when it opened.
    first = max(0, next((i for i, c in enumerate(checkins) if c.at >= replay_from), len(checkins)) - 1)
    for i in range(first, len(chart)):
        assessment, new = chart[i], checkins[i]
        findings = evaluate_checkin(checkins[:i], new)
        if new.at >= replay_from:
            for finding in suppress_repeats(findings, open_at(new.at) | present_before):
                alert = _alert(rng, finding, patient, team, new.at, now, assessment.id)
                alerted[finding.condition_key] = alert.actioned_at
                alerts.append(alert)
        present_before = {f.condition_key for f in findings}

    last = checkins[-1].at if checkins else None
    missed = missed_checkin(last, patient.checkin_interval_days, now)
    for finding in suppress_repeats([missed] if missed else [], open_at(now)):
        alerts.append(_alert(rng, finding, patient, team, now, now, None))
    return alerts


def _alert(
    rng: random.Random,
    finding: Finding,
    patient: Patient,
    team: Sequence[User],
    raised_at: dt.datetime,
    now: dt.datetime,
    assessment_id: int | None,
) -> Alert:
    """One alert, with the life a real one of its age would have had by `now`: under 2 days old still
    open; 2-5 days old acknowledged or already actioned; older, actioned."""
    alert = Alert.raised_for(finding, patient.id, assessment_id, raised_at)
    age = now - raised_at
    if age < dt.timedelta(days=2):
        return alert
    # The nurse on the team triages the alert list, usually within the hour or two.
    alert.acknowledged_by_id = _team_member(rng, team, Role.NURSE).id
    acknowledged_after = rng.randint(10, 180)
    alert.acknowledged_at = raised_at + dt.timedelta(minutes=acknowledged_after)
    if age <= dt.timedelta(days=5) and rng.random() < 0.5:
        alert.status = AlertStatus.ACKNOWLEDGED
        return alert
    if finding.rule is AlertRule.MISSED_CHECKIN:
        group = "missed"
    elif finding.item is None:
        group = "total"
    else:
        group = finding.item
    role, note = rng.choice(_ACTIONS[group])
    alert.status = AlertStatus.ACTIONED
    alert.actioned_by_id = _team_member(rng, team, role).id
    # A few hours to a day from alert to action ("time to intervention").
    actioned_after = rng.randint(max(3 * 60, acknowledged_after + 60), 24 * 60)
    alert.actioned_at = raised_at + dt.timedelta(minutes=actioned_after)
    alert.action_note = note
    return alert


# Words in an action note that make it a change of medicines, or of the plan, worth a marker on the charts.
# Checked in this order; a note matching neither (advice, a reassuring call) changed nothing.
_MEDICATION_WORDS = (
    "increased",
    "started",
    "reduced",
    "changed to",
    "rationalised",
    "moved earlier",
    "mg sublingual",
    "subcut",
    "trial agreed",
)
_PLAN_WORDS = (
    "brought forward",
    "referral made",
    "arranged",
    "added to next MDT",
    "goals of care revisited",
    "visit booked",
    "crisis plan reviewed",
    "counselling offered",
)

# Older changes, from before the alert replay window: the plan agreed at the first visit, and one change
# of medicines typical of the illness group.
_EARLIER_MEDICATION_CHANGES: dict[str, tuple[str, ...]] = {
    "gi_cancer": ("Regular oxycodone started; laxative added", "Metoclopramide 10 mg before meals started"),
    "cancer": (
        "Modified-release morphine started for bone pain",
        "Paracetamol made regular, four times a day",
    ),
    "cardiorespiratory": ("Furosemide increased to 80 mg twice daily", "Home oxygen started at 2 L/min"),
    "neuro": ("Dexamethasone reduced by 2 mg", "Baclofen started for cramps and stiffness"),
    "renal": (
        "Haloperidol 0.5 mg at night started for nausea",
        "Opioid changed to oxycodone (renal function)",
    ),
}


def care_change_kind(note: str) -> CareEventKind | None:
    """Whether an alert's action note records a change of medicines or of the plan (None: neither)."""
    lowered = note.lower()
    if any(w.lower() in lowered for w in _MEDICATION_WORDS):
        return CareEventKind.MEDICATION_CHANGE
    if any(w.lower() in lowered for w in _PLAN_WORDS):
        return CareEventKind.PLAN_CHANGE
    return None


def _care_events(
    rng: random.Random,
    spec: _PatientSpec,
    patient: Patient,
    team: Sequence[User],
    alerts: Sequence[Alert],
    now: dt.datetime,
) -> list[CareEvent]:
    """The plan and medication changes the symptom charts mark: each actioned alert whose action changed
    something, plus two earlier changes (the first plan, one medicine) so a long window has some too."""
    physician = _team_member(rng, team, Role.PHYSICIAN)
    first_visit = now - dt.timedelta(days=rng.randint(85, 95), hours=rng.randint(0, 8))
    events = [
        CareEvent(
            patient_id=patient.id,
            occurred_at=first_visit,
            kind=CareEventKind.PLAN_CHANGE,
            description="Palliative care plan agreed at the first community visit",
            recorded_by_id=physician.id,
        ),
        CareEvent(
            patient_id=patient.id,
            occurred_at=now - dt.timedelta(days=rng.randint(35, 70), hours=rng.randint(0, 8)),
            kind=CareEventKind.MEDICATION_CHANGE,
            description=rng.choice(_EARLIER_MEDICATION_CHANGES[spec.profile]),
            recorded_by_id=physician.id,
        ),
    ]
    changes = []
    for alert in alerts:
        kind = care_change_kind(alert.action_note or "") if alert.status is AlertStatus.ACTIONED else None
        if kind is None or alert.actioned_at is None or alert.actioned_by_id is None or not alert.action_note:
            continue
        changes.append(
            CareEvent(
                patient_id=patient.id,
                occurred_at=alert.actioned_at,
                kind=kind,
                description=alert.action_note[:200],
                recorded_by_id=alert.actioned_by_id,
            )
        )
    # A handful, not every call: the markers should stand out on a chart, not fence it.
    if len(changes) > MAX_ALERT_CARE_EVENTS:
        keep = sorted(rng.sample(range(len(changes)), MAX_ALERT_CARE_EVENTS))
        changes = [changes[i] for i in keep]
    events += changes
    return events


def _team_member(rng: random.Random, team: Sequence[User], role: Role) -> User:
    """Someone on the patient's care team with this role, else a nurse, else any clinician on the team."""
    for wanted in (role, Role.NURSE, Role.PHYSICIAN):
        candidates = [u for u in team if u.role is wanted]
        if candidates:
            return rng.choice(candidates)
    return rng.choice(list(team))


def _conference(
    spec: _ConferenceSpec,
    now: dt.datetime,
    users: dict[str, User],
    by_mrn: dict[str, Patient],
) -> Conference:
    day = now.date() + dt.timedelta(days=spec.days_from_now)
    starts = dt.datetime.combine(day, dt.time(13), tzinfo=dt.UTC)
    conference = Conference(
        title=spec.title,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=60),
        chair_id=users["physician"].id,
        status=spec.status,
    )
    conference.cases = [
        ConferenceCase(
            patient_id=by_mrn[case.mrn].id,
            agenda_order=order,
            presenter_id=users[case.presenter].id,
            time_box_minutes=case.minutes,
            question=case.question,
        )
        for order, case in enumerate(spec.cases, start=1)
    ]
    return conference


def _attendance(
    rng: random.Random, conferences: list[Conference], users: dict[str, User]
) -> list[Attendance]:
    rows = []
    attendees = ("physician", "nurse", "social_worker", "chaplain", "pharmacist", "nurse2")
    for conference in conferences:
        if conference.status is not ConferenceStatus.COMPLETED:
            continue
        for username in attendees:
            user = users[username]
            assert user.role is not None
            rows.append(
                Attendance(
                    conference_id=conference.id,
                    user_id=user.id,
                    role_at_meeting=user.role.value,
                    joined_at=conference.starts_at + dt.timedelta(minutes=rng.randint(0, 4)),
                    left_at=conference.ends_at - dt.timedelta(minutes=rng.randint(0, 5)),
                    outcome=AttendanceOutcome.LEFT,
                    remote=rng.random() < 0.6,
                )
            )
    return rows


def _instant(text: str) -> dt.datetime:
    """An aware datetime from ISO 8601 text; a naive one is refused, as seed_demo would refuse it."""
    try:
        instant = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant: {text!r}") from exc
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add one, e.g. Z or +00:00")
    return instant


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.seed", description="Load synthetic demo data.")
    parser.add_argument(
        "--reseed", action="store_true", help="delete all data except the audit trail, then seed again"
    )
    parser.add_argument(
        "--now",
        type=_instant,
        default=None,
        metavar="INSTANT",
        help="seed as if it were this ISO 8601 instant with a time zone, e.g. 2026-12-07T00:00:00Z "
        "(default: the current time)",
    )
    args = parser.parse_args(argv)

    # Same rule as settings: only exactly "1" turns demo mode on. Checked here too, so a stray
    # command against a production database cannot fill it with demo accounts whose passwords are public.
    if os.environ.get("VESPER_DEMO", "") != "1":
        print("demo mode is off (VESPER_DEMO != 1): nothing seeded")
        return 0

    from db.engine import transaction

    now = args.now or dt.datetime.now(dt.UTC)
    with transaction() as session:
        if args.reseed:
            summary = reseed(session, now)
            verb = "wiped and re-seeded"
        elif not is_empty(session):
            print("database already has data; nothing seeded")
            return 0
        else:
            summary = seed_demo(session, now)
            verb = "seeded"
    print(
        f"{verb} demo data: {summary.users} users, {summary.patients} patients, "
        f"{summary.assessments} ESAS-r assessments, {summary.conferences} conferences, "
        f"{summary.alerts} symptom alerts"
    )
    for account in DEMO_ACCOUNTS:
        print(f"  {account.username:<14} {account.password:<24} {account.role.label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
