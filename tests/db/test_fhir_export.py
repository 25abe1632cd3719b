"""FHIR export of a patient's goals of care, plan and sign-off from the database (both databases)."""

from __future__ import annotations

import datetime as dt
import getpass
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from auth import audit_verify
from auth.identity import Identity
from clinical.roles import Role
from db.engine import transaction
from db.models import AuditEvent
from interop import fhir
from services.goals_of_care import plan as care_plan
from services.goals_of_care import record as goc
from services.goals_of_care import signoff
from tests import factories
from tests.factories import NOW, goals_of_care_content

LATER = NOW + dt.timedelta(minutes=5)
EXPORTED = NOW + dt.timedelta(hours=2)


@pytest.fixture
def case(engine):
    """Ada's goals of care and one plan item at a conference; her team, and Bob with no record."""
    with transaction(engine) as s:
        users = {r: factories.user(s, r.value, r) for r in (Role.PHYSICIAN, Role.NURSE, Role.SOCIAL_WORKER)}
        ada = factories.patient(s, "Ada", "Quillfeather", mrn="SYN-FHIR1")
        bob = factories.patient(s, "Bob", "Nofile")
        factories.on_team(s, ada, *users.values())
        conference = factories.conference(
            s,
            users[Role.PHYSICIAN],
            "Case conference",
            NOW + dt.timedelta(hours=1),
            (ada, users[Role.NURSE], "GoC"),
        )
        ids = {r: u.id for r, u in users.items()} | {
            "ada": ada.id,
            "bob": bob.id,
            "conference": conference.id,
        }
    with transaction(engine) as s:
        goc.save(
            s, me(ids, Role.PHYSICIAN), ids["ada"], goals_of_care_content(), 0, "First conversation", NOW
        )
        care_plan.add_plan_item(
            s,
            me(ids, Role.NURSE),
            ids["ada"],
            ids["conference"],
            care_plan.PlanItemDraft(
                "action", "Hospice referral", owner_role="social_worker", due_date="2026-12-07"
            ),
            NOW,
        )
    return ids


def me(ids, role: Role) -> Identity:
    return Identity(ids[role], role.value, f"Test {role.value}", role, "password")


def sign(engine, ids, role: Role, when: dt.datetime = LATER) -> signoff.SignatureView:
    with transaction(engine) as s:
        h = signoff.status(s, me(ids, role), ids["ada"], ids["conference"]).current_hash
        return signoff.sign(s, me(ids, role), ids["ada"], ids["conference"], "Agreed", h, when)


def export(engine, patient_id: int) -> Bundle:
    with transaction(engine) as s:
        return fhir.bundle_for_patient(s, patient_id, EXPORTED, run_by="ops-test")


def of_type(bundle: Bundle, kind: str) -> list:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


def test_one_provenance_per_valid_signature_a_void_one_gets_none(engine, case):
    early = sign(engine, case, Role.PHYSICIAN, NOW)
    with transaction(engine) as s:  # an edit voids the early signature
        goc.save(
            s, me(case, Role.NURSE), case["ada"], goals_of_care_content(hopes="The sea"), 1, "Hopes", NOW
        )
    sign(engine, case, Role.PHYSICIAN)
    sign(engine, case, Role.NURSE)
    with transaction(engine) as s:
        states = {
            x.sign_off_id: x.state
            for x in signoff.status(s, me(case, Role.NURSE), case["ada"], case["conference"]).signatures
        }
    assert states[early.sign_off_id] == "void" and sorted(states.values()) == ["live", "live", "void"]

    bundle = export(engine, case["ada"])
    text = bundle.model_dump_json()
    assert json.loads(Bundle.model_validate_json(text).model_dump_json()) == json.loads(text)
    provenances = of_type(bundle, "Provenance")
    assert sorted(p.agent[0].role[0].text for p in provenances) == ["Nurse", "Physician"]
    with transaction(engine) as s:
        now_hash = care_plan.current_hash(s, case["ada"], case["conference"])
    assert {p.signature[0].data.hex() for p in provenances} == {now_hash}
    composition, plan = bundle.entry[0].resource, of_type(bundle, "CarePlan")[0]
    assert len(composition.attester) == 2 and composition.status == "preliminary"
    assert all(
        [t.reference for t in p.target] == [f"urn:uuid:{composition.id}", f"urn:uuid:{plan.id}"]
        for p in provenances
    )
    assert [
        g.description.text for g in of_type(bundle, "Goal") if g.category[0].coding[0].code == "hopes"
    ] == ["The sea"]
    detail = plan.activity[0].detail
    assert (detail.description, detail.scheduledPeriod.end, detail.performer[0].display) == (
        "Hospice referral",
        dt.date(2026, 12, 7),
        "Social worker",
    )
    assert of_type(bundle, "Patient")[0].identifier[0].value == "SYN-FHIR1"


def test_the_surrogate_is_exported_as_related_person_and_consent(engine, case):
    bundle = export(engine, case["ada"])
    people = of_type(bundle, "RelatedPerson")
    assert [p.name[0].text for p in people] == ["Bea Quillfeather", "Cal Quillfeather"]
    (consent,) = of_type(bundle, "Consent")
    assert consent.provision.actor[0].reference.reference == f"urn:uuid:{people[0].id}"
    assert [o.category[0].coding[0].code for o in of_type(bundle, "ServiceRequest")] == [
        "100822-6",
        "100823-4",
        "100825-9",
    ]


def test_a_final_record_exports_final_and_the_export_is_audited(engine, case):
    for role in (Role.PHYSICIAN, Role.NURSE, Role.SOCIAL_WORKER):
        sign(engine, case, role)
    bundle = export(engine, case["ada"])
    assert bundle.entry[0].resource.status == "final" and len(of_type(bundle, "Provenance")) == 3
    assert {o.status for o in of_type(bundle, "ServiceRequest")} == {"active"}
    with transaction(engine) as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "fhir_exported"))
        assert (event.actor_name, event.patient_id, event.details["provenance"]) == ("system", case["ada"], 3)
        assert event.details["run_by"] == "ops-test", "the trail must say who took the record out of Vesper"
        assert audit_verify.verify(s).intact


def test_the_command_prints_json_or_a_plain_error_with_exit_2(engine, case, db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert fhir.main([str(case["ada"])]) == 0
    out = capsys.readouterr().out
    bundle = Bundle.model_validate_json(out)
    assert bundle.entry[0].resource.get_resource_type() == "Composition"

    for argv, message in (
        (["999999"], "There is no patient with id 999999."),
        (["99999999999999"], "There is no patient with id 99999999999999."),
        (["abc"], "The patient id must be a number"),
        ([str(case["bob"])], f"Patient {case['bob']} has no goals-of-care record to export."),
        ([], "usage: python -m interop.fhir PATIENT_ID"),
    ):
        assert fhir.main(argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.out == "" and message in captured.err and "Traceback" not in captured.err
    with transaction(engine) as s:
        exports = s.scalars(select(AuditEvent).where(AuditEvent.action == "fhir_exported")).all()
    assert [e.patient_id for e in exports] == [case["ada"]], "a refused export writes nothing"
    assert exports[0].details["run_by"] == getpass.getuser(), "the trail names who ran the command"
