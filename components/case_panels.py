"""One case's goals of care, plan and sign-off: the panels the Goals of care page and the conference room
both draw, so a record edited, planned or signed in the meeting is the same record, with the same versions,
locking, merge view and signing dialog, as on the page.

load() reads what the panels need in one transaction; goals_of_care(), plan() and sign_off() draw them.
Each caller passes its own key, so the room's panels and the page's keep their own widget state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from auth.identity import Identity
from components import care_plan_editor, goals_of_care_form, signoff_panel
from db.engine import transaction
from portal import clock
from services.goals_of_care import signoff
from services.goals_of_care.plan import PlanItemView, hash_of, plan_items
from services.goals_of_care.record import RecordView, open_record
from services.goals_of_care.signoff import SignOffStatus


@dataclass(frozen=True)
class CaseMaterial:
    patient_id: int
    record: RecordView
    # The conference the plan and the sign-off belong to: for a final record, the one where the team signed
    # it off; None on the page before a conference is chosen.
    conference_id: int | None
    plan: Sequence[PlanItemView]
    status: SignOffStatus | None
    # The conferences not yet ended with this patient on their agenda (where a plan can be made), soonest
    # first: the page's choice while the record is not final.
    conferences: Sequence[signoff.ConferenceChoice] = ()


def load(identity: Identity, patient_id: int, conference_id: int | None) -> CaseMaterial:
    """The record, and the plan and sign-off of the conference that made the record final, else of
    `conference_id`, else of the soonest conference with the patient on its agenda; Refusal when this
    person may not open the record."""
    with transaction() as session:
        now = clock.now()
        record = open_record(session, identity, patient_id, now)
        conferences = signoff.conferences_for(session, identity, patient_id, now)
        if conference_id is None and conferences:
            conference_id = conferences[0].conference_id
        conference_id = record.final_conference_id or conference_id
        plan: Sequence[PlanItemView] = []
        status = None
        if conference_id is not None:
            plan = plan_items(session, identity, patient_id, conference_id)
            status = signoff.status(session, identity, patient_id, conference_id)
    if status is not None and record.current is not None:
        # What a signature here covers is what this screen shows: the content and plan read above, hashed
        # here. Had someone saved between those reads, the service's own hash would describe words this
        # screen never showed; with this one, signing them is refused as changed since, at the service.
        status = replace(status, current_hash=hash_of(record.current.content, plan))
    return CaseMaterial(patient_id, record, conference_id, plan, status, conferences)


def goals_of_care(identity: Identity, material: CaseMaterial, *, key: str) -> None:
    goals_of_care_form.show(identity, material.record, key=f"{key}.form")


def plan(identity: Identity, material: CaseMaterial, *, key: str) -> None:
    care_plan_editor.show(
        identity,
        material.patient_id,
        material.conference_id,
        material.plan,
        final=material.record.is_final,
        key=f"{key}.plan",
    )


def sign_off(identity: Identity, material: CaseMaterial, *, key: str) -> None:
    signoff_panel.show(identity, material.record, material.status, material.plan, key=f"{key}.signoff")


__all__ = ["CaseMaterial", "goals_of_care", "load", "plan", "sign_off"]
