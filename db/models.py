"""SQLAlchemy 2 typed models. Alembic migrations are the only thing that creates the schema."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from clinical.alerts import AlertRule, Finding
from clinical.case_outcome import OutcomeKind
from clinical.consensus import SignOffDecision
from clinical.esas import ITEM_KEYS
from clinical.pcoc import PcocPhase
from clinical.roles import Role
from db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime())]
short_text = Annotated[str, mapped_column(String(200))]
long_text = Annotated[str, mapped_column(Text)]
user_fk = Annotated[int, mapped_column(ForeignKey("users.id"))]
patient_fk = Annotated[int, mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)]


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store the enum's value (e.g. "social_worker"), not its Python name, and as a plain VARCHAR with a
    # CHECK constraint, so adding a member is a small migration on both databases.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CompletedBy(enum.StrEnum):
    PATIENT = enum.auto()
    FAMILY = enum.auto()
    CLINICIAN = enum.auto()


class ConferenceStatus(enum.StrEnum):
    SCHEDULED = enum.auto()
    IN_PROGRESS = enum.auto()
    COMPLETED = enum.auto()
    CANCELLED = enum.auto()


class AgendaStatus(enum.StrEnum):
    """Where a case stands on its meeting's agenda. The last three follow the outcome recorded for it."""

    TO_DISCUSS = "to_discuss"
    UNDER_DISCUSSION = "under_discussion"
    DISCUSSED = "discussed"
    DEFERRED = "deferred"
    NOT_REACHED = "not_reached"


class AlertStatus(enum.StrEnum):
    OPEN = enum.auto()
    ACKNOWLEDGED = enum.auto()
    ACTIONED = enum.auto()


class PlanItemStatus(enum.StrEnum):
    PROPOSED = enum.auto()
    AGREED = enum.auto()
    DONE = enum.auto()
    WITHDRAWN = enum.auto()


class PlanItemKind(enum.StrEnum):
    RECOMMENDATION = enum.auto()
    ACTION = enum.auto()


class AmendmentStatus(enum.StrEnum):
    REQUESTED = enum.auto()
    ACCEPTED = enum.auto()
    REFUSED = enum.auto()


class CareEventKind(enum.StrEnum):
    """Changes to care that a symptom chart marks, so a trend can be read against what was done."""

    PLAN_CHANGE = enum.auto()
    MEDICATION_CHANGE = enum.auto()


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[short_text]
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    role: Mapped[Role | None] = mapped_column(_enum(Role, "role"))
    # NULL for accounts that sign in only through the hospital's identity provider.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[timestamp]
    # Moved on by every change of role or status: a sign-in that carries an older number is over.
    access_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[intpk]
    # Synthetic record number; the demo seed prefixes every one with "SYN-".
    mrn: Mapped[str] = mapped_column(String(40), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date]
    sex: Mapped[str] = mapped_column(String(20))
    preferred_language: Mapped[str] = mapped_column(String(40))
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    diagnosis: Mapped[str] = mapped_column(String(200))
    pcoc_phase: Mapped[PcocPhase] = mapped_column(_enum(PcocPhase, "pcoc_phase"))
    # Agreed interval between symptom check-ins; the missed check-in rule reads it.
    checkin_interval_days: Mapped[int] = mapped_column(default=3)
    created_at: Mapped[timestamp]

    care_team: Mapped[list[CareTeamMember]] = relationship(back_populates="patient")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class CareTeamMember(Base):
    __tablename__ = "care_team_members"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[timestamp]

    patient: Mapped[Patient] = relationship(back_populates="care_team")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("patient_id", "user_id"),)


class FamilyContact(Base):
    __tablename__ = "family_contacts"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    name: Mapped[short_text]
    relationship_to_patient: Mapped[str] = mapped_column(String(80))
    is_surrogate: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    # The portal account this person signs in with, once invited and registered.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


class Conference(Base):
    __tablename__ = "conferences"

    id: Mapped[intpk]
    title: Mapped[short_text]
    starts_at: Mapped[timestamp]
    ends_at: Mapped[timestamp]
    chair_id: Mapped[user_fk]
    status: Mapped[ConferenceStatus] = mapped_column(_enum(ConferenceStatus, "conference_status"))

    cases: Mapped[list[ConferenceCase]] = relationship(
        back_populates="conference", order_by="ConferenceCase.agenda_order"
    )

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)


class ConferenceCase(Base):
    __tablename__ = "conference_cases"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[patient_fk]
    agenda_order: Mapped[int]
    presenter_id: Mapped[user_fk]
    time_box_minutes: Mapped[int] = mapped_column(default=10)
    question: Mapped[long_text]
    status: Mapped[AgendaStatus] = mapped_column(
        _enum(AgendaStatus, "agenda_status"),
        default=AgendaStatus.TO_DISCUSS,
        server_default=AgendaStatus.TO_DISCUSS.value,
    )
    # When the meeting first moved to this case: its time box counts from here. Kept when it is reopened.
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    conference: Mapped[Conference] = relationship(back_populates="cases")
    patient: Mapped[Patient] = relationship()

    __table_args__ = (
        UniqueConstraint("conference_id", "agenda_order"),
        CheckConstraint("time_box_minutes > 0", name="time_box_positive"),
    )


class AttendanceOutcome(enum.StrEnum):
    WAITING = "waiting"  # in the lobby now
    IN_ROOM = "in_room"  # in the meeting now
    LEFT = enum.auto()
    DROPPED = "dropped"  # connection lost or tab closed
    REMOVED = enum.auto()
    DECLINED = "declined"  # not admitted from the lobby
    ENDED = "ended"  # the meeting was ended while they were there


class Attendance(Base):
    """One stay of one person at a meeting: from the lobby (if they waited) to the moment they went."""

    __tablename__ = "attendance"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[user_fk]
    role_at_meeting: Mapped[str] = mapped_column(String(40))
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # NULL for someone who waited in the lobby and was never admitted.
    joined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    admitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[AttendanceOutcome] = mapped_column(
        _enum(AttendanceOutcome, "attendance_outcome"), default=AttendanceOutcome.IN_ROOM
    )
    # Who removed, declined, or ended the meeting for this person.
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    remote: Mapped[bool] = mapped_column(default=True)


# The check-in table has one column for each ESAS-r item, named by its key.
ESAS_ITEM_COLUMNS = ITEM_KEYS


def _score_check(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR ({column} >= 0 AND {column} <= 10)", name=f"{column}_0_10")


class SymptomAssessment(Base):
    """One ESAS-r check-in. An item left blank is NULL, never zero: zero means 'no symptom'."""

    __tablename__ = "symptom_assessments"

    id: Mapped[intpk]
    # No index of its own: ix_symptom_assessments_patient_assessed leads with it.
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    assessed_at: Mapped[timestamp] = mapped_column(index=True)
    completed_by: Mapped[CompletedBy] = mapped_column(_enum(CompletedBy, "completed_by"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    pain: Mapped[int | None]
    tiredness: Mapped[int | None]
    drowsiness: Mapped[int | None]
    nausea: Mapped[int | None]
    lack_of_appetite: Mapped[int | None]
    shortness_of_breath: Mapped[int | None]
    depression: Mapped[int | None]
    anxiety: Mapped[int | None]
    wellbeing: Mapped[int | None]
    other_problem: Mapped[str | None] = mapped_column(String(100))
    other_score: Mapped[int | None]

    __table_args__ = (
        *(_score_check(c) for c in (*ESAS_ITEM_COLUMNS, "other_score")),
        # Every chart, alert rule and "latest check-in" reads one patient's rows by time.
        Index("ix_symptom_assessments_patient_assessed", "patient_id", "assessed_at"),
    )


# The scores a week's roll-up keeps sums of; which items each adds up is db.symptom_queries' business.
SCORE_NAMES = ("total", "physical", "emotional")

# One row per patient per week (Monday 00:00 UTC to the next), summing that week's check-ins: what the
# one- and two-year charts read instead of every check-in. Kept by the database itself: triggers on
# symptom_assessments recompute a week whenever a check-in in it is added, changed or removed (migration
# 0006), so no code path can forget it. Derived data, hence no foreign key: it is rebuilt, never edited.
# `week` counts weeks since Monday 5 January 1970. Per item: the sum and count of the answers and the
# highest; per score: the sum and count over check-ins that answered every item the score needs.
symptom_weeks = Table(
    "symptom_weeks",
    Base.metadata,
    Column("patient_id", Integer, primary_key=True),
    Column("week", Integer, primary_key=True),
    Column("checkins", Integer, nullable=False),
    Column("first_at", UTCDateTime(), nullable=False),
    Column("last_at", UTCDateTime(), nullable=False),
    # The least and greatest completed_by of the week: equal when one kind of person completed them all.
    Column("by_least", String(32), nullable=False),
    Column("by_most", String(32), nullable=False),
    *(
        Column(f"{item}_{part}", Integer, nullable=part != "answered")
        for item in ESAS_ITEM_COLUMNS
        for part in ("sum", "answered", "max")
    ),
    *(
        Column(f"{score}_{part}", Integer, nullable=part != "answered")
        for score in SCORE_NAMES
        for part in ("sum", "answered")
    ),
    sqlite_with_rowid=False,
)


# A counter per patient, bumped by triggers on symptom_assessments whenever one of their check-ins is added,
# changed or removed (migration 0007): the check-in part of a trend view's data stamp, read as one row.
symptom_versions = Table(
    "symptom_versions",
    Base.metadata,
    Column("patient_id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("symptom_assessments.id", ondelete="SET NULL")
    )
    rule: Mapped[AlertRule] = mapped_column(_enum(AlertRule, "alert_rule"))
    # The ESAS-r item the alert is about; NULL for total-score and missed check-in alerts.
    item: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[long_text]
    status: Mapped[AlertStatus] = mapped_column(_enum(AlertStatus, "alert_status"), index=True)
    raised_at: Mapped[timestamp]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    actioned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actioned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    action_note: Mapped[str | None] = mapped_column(Text)
    # clinical.alerts.Finding.condition_key: how a later evaluation recognises the same unchanged
    # condition and does not alert twice.
    condition_key: Mapped[str | None] = mapped_column(String(80))

    __table_args__ = (Index("ix_alerts_patient_condition", "patient_id", "condition_key"),)

    @classmethod
    def raised_for(
        cls, finding: Finding, patient_id: int, assessment_id: int | None, at: dt.datetime
    ) -> Alert:
        """The open alert a finding raises, as the live rules and the demo's replay of them store it."""
        # The alert keeps the finding's own words: which rule, about which item, and its condition key.
        said = {name: getattr(finding, name) for name in ("rule", "item", "message", "condition_key")}
        return cls(
            patient_id=patient_id, assessment_id=assessment_id, status=AlertStatus.OPEN, raised_at=at, **said
        )


class ClinicianRating(Base):
    """Clinician-rated measures recorded alongside (or apart from) a check-in: PCOC phase of care, AKPS,
    and a caregiver-burden total. Burden is a number only: the Zarit items are licensed and never stored."""

    __tablename__ = "clinician_ratings"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    rated_at: Mapped[timestamp] = mapped_column(index=True)
    rated_by_id: Mapped[user_fk]
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("symptom_assessments.id", ondelete="SET NULL")
    )
    pcoc_phase: Mapped[PcocPhase | None] = mapped_column(_enum(PcocPhase, "pcoc_phase"))
    akps: Mapped[int | None]
    caregiver_burden_instrument: Mapped[str | None] = mapped_column(String(40))
    caregiver_burden_total: Mapped[int | None]

    __table_args__ = (
        CheckConstraint("akps IS NULL OR (akps >= 0 AND akps <= 100 AND akps % 10 = 0)", name="akps_steps"),
        CheckConstraint(
            "caregiver_burden_total IS NULL OR caregiver_burden_total >= 0", name="caregiver_burden_nonneg"
        ),
    )


class CareEvent(Base):
    """A plan or medication change, shown as a marker on the symptom charts."""

    __tablename__ = "care_events"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    occurred_at: Mapped[timestamp] = mapped_column(index=True)
    kind: Mapped[CareEventKind] = mapped_column(_enum(CareEventKind, "care_event_kind"))
    description: Mapped[short_text]
    recorded_by_id: Mapped[user_fk]


class SharedView(Base):
    """What the presenter of a conference is showing: the case and the time window. Followers poll
    `version`, one integer, and redraw only when it moved."""

    __tablename__ = "shared_views"

    conference_id: Mapped[int] = mapped_column(
        ForeignKey("conferences.id", ondelete="CASCADE"), primary_key=True
    )
    presenter_id: Mapped[user_fk]
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    window_days: Mapped[int] = mapped_column(default=30)
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    updated_at: Mapped[timestamp]
    # The agenda's current case. patient_id above is whose chart is on screen (anyone may present a chart);
    # this is what the meeting is on, and only the chair or their lead moves it (services.agenda).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("conference_cases.id", ondelete="SET NULL"))
    # The presenter the chair handed the meeting over to; None while the chair leads.
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CaseOutcome(Base):
    """What the team concluded about one case, as recorded at the meeting. Versioned: every save appends a
    row, and the highest version_number is the current one, so a correction never loses what was said."""

    __tablename__ = "case_outcomes"

    id: Mapped[intpk]
    conference_case_id: Mapped[int] = mapped_column(
        ForeignKey("conference_cases.id", ondelete="CASCADE"), index=True
    )
    version_number: Mapped[int]
    kind: Mapped[OutcomeKind] = mapped_column(_enum(OutcomeKind, "case_outcome_kind"))
    # "" when nothing was written (a case not reached, or deferred without a note).
    summary: Mapped[long_text]
    deferred_until: Mapped[dt.date | None]
    deferred_to_next_conference: Mapped[bool] = mapped_column(default=False)
    # Who was in the room for the case, from attendance: [{"user_id": 3, "name": "...", "role": "nurse"}].
    present: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recorded_by_id: Mapped[user_fk]
    recorded_at: Mapped[timestamp]

    __table_args__ = (UniqueConstraint("conference_case_id", "version_number"),)


class GoalsOfCareDocument(Base):
    __tablename__ = "goals_of_care_documents"

    id: Mapped[intpk]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), unique=True)
    # Optimistic lock: a save names the version it started from and is refused if another came first.
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[timestamp]
    # Set once every required role has signed the same content (goals of care + that conference's plan):
    # from then on the record is read-only and takes addenda only.
    final_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    final_hash: Mapped[str | None] = mapped_column(String(64))
    final_conference_id: Mapped[int | None] = mapped_column(ForeignKey("conferences.id"))

    __mapper_args__ = {"version_id_col": version}


class GoalsOfCareVersion(Base):
    __tablename__ = "goals_of_care_versions"

    id: Mapped[intpk]
    document_id: Mapped[int] = mapped_column(
        ForeignKey("goals_of_care_documents.id", ondelete="CASCADE"), index=True
    )
    version_number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[user_fk]
    created_at: Mapped[timestamp]
    # Why this version was saved (e.g. "after the family meeting", "amendment request 3 accepted").
    reason: Mapped[long_text]

    __table_args__ = (UniqueConstraint("document_id", "version_number"),)


class PlanItem(Base):
    __tablename__ = "plan_items"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conferences.id"))
    discipline: Mapped[Role] = mapped_column(_enum(Role, "role"))
    description: Mapped[long_text]
    status: Mapped[PlanItemStatus] = mapped_column(_enum(PlanItemStatus, "plan_item_status"))
    created_by_id: Mapped[user_fk]
    created_at: Mapped[timestamp]
    version: Mapped[int] = mapped_column(default=0)
    kind: Mapped[PlanItemKind] = mapped_column(_enum(PlanItemKind, "plan_item_kind"))
    # The owner is a role ("the social worker") or a person, never both.
    owner_role: Mapped[Role | None] = mapped_column(_enum(Role, "owner_role"))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_date: Mapped[dt.date | None]
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("owner_role IS NULL OR owner_user_id IS NULL", name="one_owner"),
        Index("ix_plan_items_conference_patient", "conference_id", "patient_id"),
    )


class SignOff(Base):
    """One discipline's signature on the plan content whose SHA-256 it names."""

    __tablename__ = "sign_offs"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("conferences.id"))
    user_id: Mapped[user_fk]
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    decision: Mapped[SignOffDecision] = mapped_column(_enum(SignOffDecision, "sign_off_decision"))
    statement: Mapped[long_text]
    dissent_reason: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[timestamp]
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The signer took it back (a dissent withdrawn, or a decision replaced by a newer one).
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A dissent the chair overrode, with their reason; it stays on the record but no longer blocks.
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    override_reason: Mapped[str | None] = mapped_column(Text)
    overridden_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_sign_offs_conference_patient", "conference_id", "patient_id"),)


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"), index=True)
    family_contact_id: Mapped[int] = mapped_column(ForeignKey("family_contacts.id", ondelete="CASCADE"))
    # Only the hash of the invitation token is stored, like a password.
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[user_fk]
    created_at: Mapped[timestamp]
    expires_at: Mapped[timestamp]
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    family_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_contacts.id", ondelete="CASCADE")
    )
    # e.g. "share_record_with_family", "video_meeting"
    scope: Mapped[str] = mapped_column(String(60))
    granted: Mapped[bool]
    recorded_by_id: Mapped[user_fk]
    recorded_at: Mapped[timestamp]
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """Append-only. The database itself refuses UPDATE and DELETE (triggers, see the first migration), and
    on SQLite an INSERT that would replace a row (migration 0012). key_id names the audit key the row's
    hash was taken with (auth/audit_keys.py); None for rows from before the chain was keyed.

    actor_user_id and patient_id are deliberately not foreign keys: an audit row must outlive the rows it
    speaks of, and a cascading delete would otherwise try (and fail) to remove it.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[timestamp] = mapped_column(index=True)
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    patient_id: Mapped[int | None] = mapped_column(index=True)
    target_type: Mapped[str | None] = mapped_column(String(60))
    target_id: Mapped[str | None] = mapped_column(String(60))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str | None] = mapped_column(String(40))


class ConferenceSignoffRole(Base):
    """A role that may sign a conference's plans, and whether its signature is required for consensus.
    A conference with no rows uses the default: physician, nurse and social worker required, chaplain
    optional (services.goals_of_care.signoff.DEFAULT_ROLES)."""

    __tablename__ = "conference_signoff_roles"

    conference_id: Mapped[int] = mapped_column(
        ForeignKey("conferences.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), primary_key=True)
    required: Mapped[bool] = mapped_column(default=True)


class AmendmentRequest(Base):
    """A family member's request to correct the goals-of-care record (ONC 170.315(d)(4)), the clinician's
    answer, and what the answer produced (a new version, or an addendum once the record is final)."""

    __tablename__ = "amendment_requests"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    requested_by_id: Mapped[user_fk]
    family_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_contacts.id", ondelete="SET NULL")
    )
    # The version the family member was looking at when they asked.
    about_version_id: Mapped[int | None] = mapped_column(ForeignKey("goals_of_care_versions.id"))
    text: Mapped[long_text]
    status: Mapped[AmendmentStatus] = mapped_column(_enum(AmendmentStatus, "amendment_status"))
    requested_at: Mapped[timestamp]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answer_reason: Mapped[str | None] = mapped_column(Text)
    resulting_version_id: Mapped[int | None] = mapped_column(ForeignKey("goals_of_care_versions.id"))
    resulting_addendum_id: Mapped[int | None] = mapped_column(ForeignKey("addenda.id"))


class Addendum(Base):
    """A note added to the goals-of-care record; the only change a final record takes."""

    __tablename__ = "addenda"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    document_id: Mapped[int] = mapped_column(ForeignKey("goals_of_care_documents.id", ondelete="CASCADE"))
    author_id: Mapped[user_fk]
    text: Mapped[long_text]
    created_at: Mapped[timestamp]


class FamilyAcknowledgement(Base):
    """A family member saw the conference plan (the content whose hash it names). Not a clinical
    signature: it never counts towards consensus."""

    __tablename__ = "family_acknowledgements"

    id: Mapped[intpk]
    patient_id: Mapped[patient_fk]
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"))
    user_id: Mapped[user_fk]
    family_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_contacts.id", ondelete="SET NULL")
    )
    content_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[timestamp]


class SignInActivity(Base):
    """When a hospital (OIDC) sign-in was last used, in any tab (auth/sign_in_activity.py).

    st.login's cookie outlives a closed tab by 30 days, and each new tab is a new Streamlit session with
    an idle clock of its own; this row is the one clock all of them share. Keyed by the ID token's issuer,
    subject and issue time: signing in again at the provider makes a new row.
    """

    __tablename__ = "sign_in_activity"

    issuer: Mapped[str] = mapped_column(String(255), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    last_activity: Mapped[timestamp]
