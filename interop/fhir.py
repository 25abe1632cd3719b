"""FHIR R4B export of a patient's current goals-of-care record, conference plan and sign-off.

    python -m interop.fhir PATIENT_ID      # a FHIR R4B document Bundle (JSON) on standard output

Built with the `fhir.resources` package (`fhir.resources.R4B`): every resource is constructed through its
pydantic model, so building the Bundle validates it. `build_bundle` is pure (plain dataclasses in, Bundle
out); `bundle_for_patient` reads the database and audits the export (`fhir_exported`, actor "system");
`main` is the command line.

The Bundle is a FHIR *document* (type "document", Composition first) holding:

- Composition: LOINC 81334-5 "Patient Personal advance care plan". Status "final" once the team has
  signed off (the record is read-only then), "preliminary" before. Sections: goals, treatment limits, plan,
  healthcare agent, and the rest of the conversation (narrative only). One `attester` (mode
  "professional") for each valid signature.
- Patient: minimal, the synthetic MRN as identifier (type MR) and the name.
- Goal: one per non-blank "goals if health worsens", "hopes" and "critical abilities", expressed by the
  patient, starting on the conversation date.
- ServiceRequest: one per treatment-limit decision (see `_treatment_limits` for why not section text
  only), category the PACIO portable-medical-order LOINC codes from CLINICAL.md.
- CarePlan (intent "plan"): the conference plan; one activity per plan item with its kind
  (recommendation/action), owner as performer, due date as the end of the scheduled period, and status.
- RelatedPerson for the surrogate and for each alternate; Consent (scope "adr", category "acd") naming
  the surrogate, then the alternates in order, as provision actors.
- Provenance: one per valid signature (see `_provenance` for what "valid" means and how the signed hash
  is carried), targeting the Composition and the CarePlan.

Codes we own (plan item kind, treatment-limit choices, goal kind, portal role, section) use code systems
under SYSTEM, a placeholder namespace the deploying organisation should replace with its own.
Resource ids are name-based UUIDs (uuid5) of the patient, record version and content hash, so exporting
unchanged content twice gives the same resources; the Bundle identifier also covers the export time.
Only synthetic data ever exists here.
"""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import html
import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.careplan import CarePlan, CarePlanActivity, CarePlanActivityDetail
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.composition import Composition, CompositionAttester, CompositionSection
from fhir.resources.R4B.consent import Consent, ConsentProvision, ConsentProvisionActor
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.goal import Goal
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.narrative import Narrative
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.provenance import Provenance, ProvenanceAgent
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.relatedperson import RelatedPerson
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.signature import Signature as FhirSignature
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth import audit
from auth.audit import AuditAction
from auth.refusal import Refusal
from clinical import goals_of_care as gc
from clinical.consensus import SignOffDecision
from clinical.roles import Role
from db.models import Conference, ConferenceCase, GoalsOfCareVersion, Patient, PlanItem, SignOff, User
from services.goals_of_care.guards import document
from services.goals_of_care.plan import current_hash

# Placeholder namespace for the identifiers and code systems the portal owns.
SYSTEM = "https://vesper.example.org/fhir"
MRN_SYSTEM = f"{SYSTEM}/sid/mrn"
USER_SYSTEM = f"{SYSTEM}/sid/user"
CONTENT_SHA256_URL = f"{SYSTEM}/StructureDefinition/content-sha256"
STATEMENT_URL = f"{SYSTEM}/StructureDefinition/signature-statement"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, SYSTEM)
MAX_ID = 2**31 - 1  # larger ids cannot exist (integer keys), and PostgreSQL refuses to compare them

LOINC = "http://loinc.org"
ADVANCE_CARE_PLAN = ("81334-5", "Patient Personal advance care plan")
# PACIO portable medical order categories (CLINICAL.md, FHIR section): field -> (LOINC code, display).
ORDER_CATEGORIES: dict[str, tuple[str, str]] = {
    "cpr": ("100822-6", "Cardiopulmonary resuscitation orders"),
    "level_of_treatment": ("100823-4", "Initial treatment orders"),
    "nutrition": ("100825-9", "Medically assisted nutrition orders"),
}
ORDER_TEXT: dict[str, dict[str, str]] = {
    "cpr": {"attempt": "Attempt CPR", "do_not_attempt": "Do not attempt CPR"},
    "level_of_treatment": {
        "full": "Full treatment",
        "selective": "Selective treatment",
        "comfort_focused": "Comfort-focused treatment",
    },
    "nutrition": {
        "long_term": "Long-term medically assisted nutrition",
        "trial": "Trial period of medically assisted nutrition",
        "none": "No medically assisted nutrition",
    },
}
GOAL_FIELDS = ("goals_if_worse", "hopes", "critical_abilities")
# Fields carried by resources of their own; the rest of the conversation goes to a narrative section.
_MAPPED_FIELDS = {*GOAL_FIELDS, "treatment_limits", "surrogate", "advance_directive"}
ACTIVITY_STATUS = {"proposed": "not-started", "agreed": "not-started", "done": "completed"}
ASTM_SIGNATURE_TYPES = "urn:iso-astm:E1762-95:2013"
VERIFICATION_SIGNATURE = ("1.2.840.10065.1.12.1.5", "Verification Signature")


# --------------------------------------------------------------------------------------- plain input


@dataclass(frozen=True)
class PatientInfo:
    patient_id: int
    mrn: str
    given_name: str
    family_name: str


@dataclass(frozen=True)
class PlanActivity:
    """One plan item, as services.goals_of_care.plan.PlanItemView has it (enum values as plain strings)."""

    item_id: int
    kind: str  # "recommendation" | "action"
    text: str
    owner_role: str | None
    owner_name: str | None  # the role's label, or the person's name
    due_date: dt.date | None
    status: str  # "proposed" | "agreed" | "done" | "withdrawn"


@dataclass(frozen=True)
class SignatureInfo:
    """One sign-off row: agreements and dissents, void and withdrawn ones included (the builder filters)."""

    sign_off_id: int
    user_id: int
    user_name: str
    role: str
    decision: str  # "agree" | "dissent"
    statement: str
    content_sha256: str
    signed_at: dt.datetime
    voided: bool = False
    withdrawn: bool = False

    @property
    def valid(self) -> bool:
        """An agreement that is neither void (the content changed since) nor withdrawn by its signer."""
        return self.decision == SignOffDecision.AGREE and not self.voided and not self.withdrawn


@dataclass(frozen=True)
class RecordExport:
    """Everything the Bundle is built from: the latest goals-of-care version and one conference's plan."""

    patient: PatientInfo
    document_id: int
    version_number: int
    content: Mapping[str, Any]  # normalised goals-of-care content (clinical.goals_of_care.normalise)
    content_sha256: str  # what a signature covers now: the content and the plan
    author_name: str
    updated_at: dt.datetime  # the latest change to the content or the plan
    final_at: dt.datetime | None = None
    conference_id: int | None = None  # None: no conference yet, so no plan and no signatures
    conference_title: str | None = None
    plan: Sequence[PlanActivity] = field(default_factory=tuple)
    signatures: Sequence[SignatureInfo] = field(default_factory=tuple)


class ExportRefused(Refusal):
    """There is nothing to export for the id given; the message says why in plain words."""


# -------------------------------------------------------------------------------------------- helpers


def _coding(system: str, code: str, display: str | None = None) -> Coding:
    return Coding(system=system, code=code, display=display)


def _concept(system: str, code: str, display: str) -> CodeableConcept:
    return CodeableConcept(coding=[_coding(system, code, display)], text=display)


def _local(kind: str, code: str, display: str) -> CodeableConcept:
    return _concept(f"{SYSTEM}/CodeSystem/{kind}", code, display)


def _narrative(lines: Sequence[str]) -> Narrative:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines) or "<p>None recorded.</p>"
    return Narrative(status="generated", div=f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>')


def _telecom(contact: str | None) -> list[ContactPoint] | None:
    if not contact:
        return None
    return [ContactPoint(system="email" if "@" in contact else "phone", value=contact)]


def _role_label(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return role


class _Ids:
    """Name-based UUIDs for the resources of one export, and references to them."""

    def __init__(self, record: RecordExport) -> None:
        self._seed = f"patient/{record.patient.patient_id}/v{record.version_number}/{record.content_sha256}"

    def id(self, key: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self._seed}/{key}"))

    def ref(self, key: str, display: str | None = None) -> Reference:
        return Reference(reference=f"urn:uuid:{self.id(key)}", display=display)


def _ref(resource: Resource, display: str | None = None) -> Reference:
    """A reference to a resource of the Bundle (its fullUrl is urn:uuid:<id>)."""
    return Reference(reference=f"urn:uuid:{resource.id}", display=display)


# ------------------------------------------------------------------------------------------ resources


def _patient(record: RecordExport, ids: _Ids) -> FhirPatient:
    p = record.patient
    return FhirPatient(
        id=ids.id("patient"),
        identifier=[
            Identifier(
                use="usual",
                type=_concept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number"),
                system=MRN_SYSTEM,
                value=p.mrn,
            )
        ],
        name=[HumanName(family=p.family_name, given=[p.given_name])],
    )


def _goals(record: RecordExport, ids: _Ids, patient: Reference) -> list[Goal]:
    started = record.content.get("conversation_date")
    goals = []
    for key in GOAL_FIELDS:
        text = record.content.get(key)
        if not text:
            continue
        label = gc.FIELDS_BY_KEY[key].label
        goals.append(
            Goal(
                id=ids.id(f"goal/{key}"),
                lifecycleStatus="active",
                category=[_local("goal-kind", key.replace("_", "-"), label)],
                description=CodeableConcept(text=text),
                subject=patient,
                expressedBy=patient,
                startDate=started,
            )
        )
    return goals


def _treatment_limits(record: RecordExport, ids: _Ids, patient: Reference) -> list[ServiceRequest]:
    """Treatment limits as ServiceRequests, not only as Composition section text.

    CLINICAL.md maps treatment limits to the PACIO Advance Directive Interoperability IG's portable
    medical orders, which are ServiceRequests categorised by LOINC (CPR 100822-6, initial treatment
    100823-4, medically assisted nutrition 100825-9). A resource per decision lets a receiver find "is
    there a do-not-attempt-CPR order?" by category without parsing narrative; the Composition's
    treatment-limits section still references them (and lists them in its text) so the document reads
    whole. Intent "order"; status "active" once the record is final (signed off), "draft" before, since
    an unsigned record is not yet an agreed order. A blank choice, or nutrition "not discussed", is no
    order at all and gets no resource (the section text says "Not discussed").
    """
    limits = record.content.get("treatment_limits") or {}
    requests = []
    for key, (loinc, display) in ORDER_CATEGORIES.items():
        choice = limits.get(key)
        text = ORDER_TEXT[key].get(choice or "")
        if text is None:
            continue
        requests.append(
            ServiceRequest(
                id=ids.id(f"order/{key}"),
                status="active" if record.final_at else "draft",
                intent="order",
                category=[_concept(LOINC, loinc, display)],
                code=_local(f"{key.replace('_', '-')}-order", choice.replace("_", "-"), text),
                subject=patient,
                authoredOn=record.updated_at,
            )
        )
    return requests


def _care_plan(record: RecordExport, ids: _Ids, patient: Reference, goals: list[Goal]) -> CarePlan:
    activities = []
    for item in record.plan:
        performer = None
        if item.owner_name:
            kind = "PractitionerRole" if item.owner_role else "Practitioner"
            performer = [Reference(type=kind, display=item.owner_name)]
        activities.append(
            CarePlanActivity(
                detail=CarePlanActivityDetail(
                    code=_local("plan-item-kind", item.kind, item.kind.capitalize()),
                    status=ACTIVITY_STATUS.get(item.status, "cancelled"),
                    statusReason=_local("plan-item-status", item.status, item.status.capitalize()),
                    description=item.text,
                    performer=performer,
                    scheduledPeriod=Period(end=item.due_date) if item.due_date else None,
                )
            )
        )
    title = f"Plan: {record.conference_title}" if record.conference_title else "Conference plan"
    return CarePlan(
        id=ids.id("careplan"),
        identifier=[Identifier(system=f"{SYSTEM}/sid/conference", value=str(record.conference_id))],
        status="active" if record.final_at else "draft",
        intent="plan",
        title=title,
        subject=patient,
        created=record.updated_at,
        goal=[_ref(g) for g in goals] or None,
        activity=activities or None,
    )


def _surrogate(
    record: RecordExport, ids: _Ids, patient: Reference
) -> tuple[list[RelatedPerson], Consent | None]:
    surrogate = record.content.get("surrogate") or {}
    if not surrogate.get("name"):
        return [], None
    people = [("surrogate", surrogate, "healthcare-agent", "Healthcare agent (surrogate decision-maker)")]
    for n, alt in enumerate(surrogate.get("alternates") or [], start=1):
        people.append(
            (f"alternate/{n}", alt, "alternate-healthcare-agent", f"Alternate healthcare agent {n}")
        )
    related = [
        RelatedPerson(
            id=ids.id(key),
            active=True,
            patient=patient,
            relationship=[
                _local("surrogate-role", code, label),
                *([CodeableConcept(text=person["relationship"])] if person.get("relationship") else []),
            ],
            name=[HumanName(text=person["name"])],
            telecom=_telecom(person.get("contact")),
        )
        for key, person, code, label in people
    ]
    basis = surrogate.get("legal_basis")
    actors = [
        ConsentProvisionActor(
            role=CodeableConcept(text=f"{label} (legal basis: {basis})" if basis and i == 0 else label),
            reference=_ref(who, person["name"]),
        )
        for i, (who, (_, person, _, label)) in enumerate(zip(related, people, strict=True))
    ]
    consent = Consent(
        id=ids.id("consent"),
        status="active" if record.final_at else "draft",
        scope=_concept(
            "http://terminology.hl7.org/CodeSystem/consentscope", "adr", "Advanced Care Directive"
        ),
        category=[
            _concept("http://terminology.hl7.org/CodeSystem/consentcategorycodes", "acd", "Advance Directive")
        ],
        patient=patient,
        dateTime=record.updated_at,
        performer=[patient],
        provision=ConsentProvision(type="permit", actor=actors),
    )
    return related, consent


def _provenance(ids: _Ids, sig: SignatureInfo, targets: list[Reference]) -> Provenance:
    """One Provenance per valid signature.

    Valid: an agreement that is not void (it was made on content that has since changed) and not
    withdrawn. Dissents are not signatures of the plan: they get no Provenance and no attester.

    The portal's signature is not a cryptographic one: it binds the signer to the SHA-256 of the canonical
    content (clinical.goals_of_care.canonical_content: the goals-of-care version and the plan). So
    `signature.data` carries that hash, base64 of its 32 raw bytes, with `targetFormat`
    "application/json" (what was hashed) and no `sigFormat` (there is no signature format to name); the
    same hash in hex, as the audit trail and the sign-off screen show it, is in the extension
    CONTENT_SHA256_URL on the signature. The signer's statement, if any, is in STATEMENT_URL.
    """
    role = _role_label(sig.role)
    who = Reference(
        type="Practitioner",
        identifier=Identifier(system=USER_SYSTEM, value=str(sig.user_id)),
        display=sig.user_name,
    )
    return Provenance(
        id=ids.id(f"provenance/{sig.sign_off_id}"),
        extension=[Extension(url=STATEMENT_URL, valueString=sig.statement)] if sig.statement else None,
        target=targets,
        occurredDateTime=sig.signed_at,
        recorded=sig.signed_at,
        activity=CodeableConcept(text="Consensus sign-off of the goals of care and plan"),
        agent=[
            ProvenanceAgent(
                type=_concept(
                    "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                    "attester",
                    "Attester",
                ),
                role=[_local("portal-role", sig.role, role)],
                who=who,
            )
        ],
        signature=[
            FhirSignature(
                extension=[Extension(url=CONTENT_SHA256_URL, valueString=sig.content_sha256)],
                type=[_coding(ASTM_SIGNATURE_TYPES, *VERIFICATION_SIGNATURE)],
                when=sig.signed_at,
                who=who,
                targetFormat="application/json",
                data=base64.b64encode(bytes.fromhex(sig.content_sha256)),
            )
        ],
    )


def _choice_text(key: str, value: str | None) -> str:
    if not value:
        return "Not recorded"
    return ORDER_TEXT[key].get(value) or gc.CHOICE_LABELS.get(value, value)


def _sections(
    record: RecordExport,
    goals: list[Goal],
    orders: list[ServiceRequest],
    plan: CarePlan | None,
    related: list[RelatedPerson],
    consent: Consent | None,
) -> list[CompositionSection]:
    content = record.content
    limits = content.get("treatment_limits") or {}
    surrogate = content.get("surrogate") or {}
    directive = content.get("advance_directive") or {}

    def section(code: str, title: str, lines: list[str], entries: list[Reference]) -> CompositionSection:
        return CompositionSection(
            title=title,
            code=_local("goals-of-care-section", code, title),
            text=_narrative(lines),
            entry=entries or None,
        )

    goal_lines = [f"{g.category[0].text}: {g.description.text}" for g in goals]
    limit_lines = [
        f"{gc.TREATMENT_LIMIT_FIELDS[k][0]}: {_choice_text(k, limits.get(k))}" for k in ORDER_CATEGORIES
    ]
    plan_lines = [
        f"{item.kind.capitalize()}: {item.text} (owner: {item.owner_name or 'none'}; due: "
        f"{item.due_date.isoformat() if item.due_date else 'no date'}; status: {item.status})"
        for item in record.plan
    ]
    if plan is None:
        plan_lines = ["No conference plan yet."]
    agent_lines = []
    if surrogate.get("name"):
        agent_lines.append(
            f"Surrogate: {surrogate['name']} ({surrogate.get('relationship') or 'relationship not recorded'}"
            f"; legal basis: {surrogate.get('legal_basis') or 'not recorded'})"
        )
        agent_lines += [
            f"Alternate {n}: {a.get('name')} ({a.get('relationship') or 'relationship not recorded'})"
            for n, a in enumerate(surrogate.get("alternates") or [], start=1)
        ]
    else:
        agent_lines.append("No surrogate recorded.")
    if directive.get("on_file"):
        agent_lines.append(
            f"Advance directive on file: {directive.get('location') or 'location not recorded'}; last "
            f"reviewed {directive.get('last_reviewed') or 'not recorded'}"
        )
    else:
        agent_lines.append("No advance directive on file.")
    conversation = [
        f"{change.label}: {change.after}"
        for change in gc.diff({}, content)
        if change.key.split(".")[0] not in _MAPPED_FIELDS
    ]
    return [
        section("goals", "Goals of care", goal_lines, [_ref(g) for g in goals]),
        section("treatment-limits", "Treatment limits", limit_lines, [_ref(o) for o in orders]),
        section("plan", "Plan", plan_lines, [_ref(plan)] if plan else []),
        section(
            "healthcare-agent",
            "Healthcare agent and advance directive",
            agent_lines,
            ([_ref(consent)] if consent else []) + [_ref(r) for r in related],
        ),
        section("conversation", "Goals-of-care conversation", conversation, []),
    ]


# ------------------------------------------------------------------------------------------------ Bundle


def build_bundle(record: RecordExport, now: dt.datetime) -> Bundle:
    """The FHIR R4B document Bundle for `record`, exported at `now` (timezone-aware). Pure: no database."""
    if now.tzinfo is None:
        raise ValueError("build_bundle needs a timezone-aware `now`")
    ids = _Ids(record)
    patient = ids.ref("patient", f"{record.patient.given_name} {record.patient.family_name}")
    goals = _goals(record, ids, patient)
    orders = _treatment_limits(record, ids, patient)
    plan = _care_plan(record, ids, patient, goals) if record.conference_id is not None else None
    related, consent = _surrogate(record, ids, patient)
    valid = [s for s in record.signatures if s.valid]
    targets = [ids.ref("composition")] + ([_ref(plan)] if plan else [])
    provenances = [_provenance(ids, s, targets) for s in valid]
    sections = _sections(record, goals, orders, plan, related, consent)
    composition = Composition(
        id=ids.id("composition"),
        identifier=Identifier(system=f"{SYSTEM}/sid/goals-of-care-document", value=str(record.document_id)),
        status="final" if record.final_at else "preliminary",
        type=_concept(LOINC, *ADVANCE_CARE_PLAN),
        subject=patient,
        date=record.updated_at,
        author=[Reference(type="Practitioner", display=record.author_name)],
        title="Goals of care and plan",
        attester=[
            CompositionAttester(
                mode="professional",
                time=s.signed_at,
                party=Reference(
                    type="Practitioner",
                    identifier=Identifier(system=USER_SYSTEM, value=str(s.user_id)),
                    display=f"{s.user_name} ({_role_label(s.role)})",
                ),
            )
            for s in valid
        ]
        or None,
        section=sections,
    )
    resources: list[Resource] = [
        composition,
        _patient(record, ids),
        *goals,
        *orders,
        *([plan] if plan else []),
        *related,
        *([consent] if consent else []),
        *provenances,
    ]
    return Bundle(
        identifier=Identifier(
            system="urn:ietf:rfc:3986",
            value=f"urn:uuid:{ids.id('bundle@' + now.astimezone(dt.UTC).isoformat())}",
        ),
        type="document",
        timestamp=now,
        entry=[BundleEntry(fullUrl=f"urn:uuid:{r.id}", resource=r) for r in resources],
    )


# ------------------------------------------------------------------------------------------------ loading


def _conference(session: Session, patient_id: int, final_conference_id: int | None) -> Conference | None:
    """The conference whose plan goes with the record: the one it was signed off at if final; else the
    latest (by start) with plan items or sign-offs for the patient; else the latest on whose agenda the
    patient is; None if none."""
    if final_conference_id is not None:
        return session.get(Conference, final_conference_id)
    with_plan = set(
        session.scalars(select(PlanItem.conference_id).where(PlanItem.patient_id == patient_id))
    ) | set(session.scalars(select(SignOff.conference_id).where(SignOff.patient_id == patient_id)))
    with_plan.discard(None)
    query = select(Conference).order_by(Conference.starts_at.desc(), Conference.id.desc()).limit(1)
    if with_plan:
        return session.scalar(query.where(Conference.id.in_(with_plan)))
    return session.scalar(
        query.join(ConferenceCase, ConferenceCase.conference_id == Conference.id).where(
            ConferenceCase.patient_id == patient_id
        )
    )


def load_record(session: Session, patient_id: int) -> RecordExport:
    """The patient's latest goals-of-care version, plan and sign-offs as plain data; ExportRefused if
    there is no such patient or no goals-of-care record. Reads only."""
    patient = session.get(Patient, patient_id) if 0 < patient_id <= MAX_ID else None
    if patient is None:
        raise ExportRefused(f"There is no patient with id {patient_id}.")
    doc = document(session, patient_id)
    latest = None
    if doc is not None:
        latest = session.scalar(
            select(GoalsOfCareVersion)
            .where(GoalsOfCareVersion.document_id == doc.id)
            .order_by(GoalsOfCareVersion.version_number.desc())
            .limit(1)
        )
    if doc is None or latest is None:
        raise ExportRefused(f"Patient {patient_id} has no goals-of-care record to export.")
    conference = _conference(session, patient_id, doc.final_conference_id)
    items: list[PlanItem] = []
    rows: list[SignOff] = []
    if conference is not None:
        items = list(
            session.scalars(
                select(PlanItem)
                .where(PlanItem.patient_id == patient_id, PlanItem.conference_id == conference.id)
                .order_by(PlanItem.id)
            )
        )
        rows = list(
            session.scalars(
                select(SignOff)
                .where(SignOff.patient_id == patient_id, SignOff.conference_id == conference.id)
                .order_by(SignOff.id)
            )
        )
    wanted = {latest.author_id} | {i.owner_user_id for i in items} | {s.user_id for s in rows}
    names = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(wanted - {None}))).all()
    )
    changes = [latest.created_at] + [i.updated_at or i.created_at for i in items]
    return RecordExport(
        patient=PatientInfo(patient.id, patient.mrn, patient.given_name, patient.family_name),
        document_id=doc.id,
        version_number=latest.version_number,
        content=dict(latest.content),
        content_sha256=(current_hash(session, patient_id, conference.id) if conference else None)
        or latest.content_sha256,
        author_name=names.get(latest.author_id, "someone"),
        updated_at=max(changes),
        final_at=doc.final_at,
        conference_id=conference.id if conference else None,
        conference_title=conference.title if conference else None,
        plan=tuple(
            PlanActivity(
                i.id,
                i.kind.value,
                i.description,
                i.owner_role.value if i.owner_role else None,
                i.owner_role.label if i.owner_role else names.get(i.owner_user_id or 0),
                i.due_date,
                i.status.value,
            )
            for i in items
        ),
        signatures=tuple(
            SignatureInfo(
                s.id,
                s.user_id,
                names.get(s.user_id, "someone"),
                s.role.value,
                s.decision.value,
                s.statement,
                s.content_sha256,
                s.signed_at,
                voided=s.voided_at is not None,
                withdrawn=s.withdrawn_at is not None,
            )
            for s in rows
        ),
    )


def bundle_for_patient(session: Session, patient_id: int, now: dt.datetime, *, run_by: str) -> Bundle:
    """The patient's goals-of-care Bundle, audited as `fhir_exported` (a system action, inside the
    caller's transaction) with `run_by`, the operating-system user who ran the export: a Bundle carries
    the whole record out of Vesper, and the trail must say who took it. ExportRefused, with nothing
    written, for an unknown patient or no record."""
    record = load_record(session, patient_id)
    bundle = build_bundle(record, now)
    audit.record_by(
        session,
        None,
        AuditAction.FHIR_EXPORTED,
        patient_id=patient_id,
        target_type="goals_of_care",
        target_id=record.document_id,
        details={
            "version": record.version_number,
            "conference_id": record.conference_id,
            "content_sha256": record.content_sha256,
            "provenance": sum(1 for s in record.signatures if s.valid),
            "bundle": bundle.identifier.value,
            "run_by": run_by,
        },
        now=now,
    )
    return bundle


# ------------------------------------------------------------------------------------------- command line

USAGE = "usage: python -m interop.fhir PATIENT_ID"


def _os_user() -> str:
    """Who ran the command, as the operating system knows them."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no name for this uid (a container's bare uid): say which uid
        return f"uid {os.getuid()}"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the Bundle as JSON; exit 2 with a plain message for a bad or unknown id or no record."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    raw = args[0].strip()
    if not (raw.isascii() and raw.isdigit()):
        print(f"The patient id must be a number, not {args[0]!r}. {USAGE}", file=sys.stderr)
        return 2
    from db.engine import transaction

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        with transaction() as session:
            bundle = bundle_for_patient(session, int(raw), now, run_by=_os_user())
    except ExportRefused as refused:
        print(refused.message, file=sys.stderr)
        return 2
    print(bundle.model_dump_json(indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
