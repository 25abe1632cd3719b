"""The FHIR R4B Bundle builder (interop.fhir.build_bundle): pure, no database."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from clinical import goals_of_care as gc
from interop.fhir import (
    CONTENT_SHA256_URL,
    PatientInfo,
    PlanActivity,
    RecordExport,
    SignatureInfo,
    build_bundle,
)
from tests.factories import NOW, goals_of_care_content

PLAN = (
    PlanActivity(
        1, "action", "Hospice referral", "social_worker", "Social worker", dt.date(2026, 12, 7), "agreed"
    ),
    PlanActivity(2, "recommendation", "Review opioids", None, "Test Physician", None, "done"),
    PlanActivity(3, "recommendation", "Day hospice", None, None, None, "withdrawn"),
)
HASH = gc.content_hash(gc.normalise(goals_of_care_content()), [{"id": 1}])


def signature(n: int, **overrides: object) -> SignatureInfo:
    values: dict[str, object] = {
        "sign_off_id": n,
        "user_id": 100 + n,
        "user_name": f"Signer {n}",
        "role": "nurse",
        "decision": "agree",
        "statement": "",
        "content_sha256": HASH,
        "signed_at": NOW,
    }
    values.update(overrides)
    return SignatureInfo(**values)  # type: ignore[arg-type]


def record(**overrides: object) -> RecordExport:
    values: dict[str, object] = {
        "patient": PatientInfo(7, "SYN-T0007", "Ada", "Quillfeather"),
        "document_id": 3,
        "version_number": 2,
        "content": gc.normalise(goals_of_care_content(hopes="To see the sea <again> & again")),
        "content_sha256": HASH,
        "author_name": "Test Physician",
        "updated_at": NOW - dt.timedelta(hours=1),
        "conference_id": 5,
        "conference_title": "Case conference",
        "plan": PLAN,
        "signatures": (
            signature(1, role="physician", statement="I agree with the plan."),
            signature(2, voided=True),
            signature(3, withdrawn=True),
            signature(4, decision="dissent"),
            signature(5, role="social_worker"),
        ),
    }
    values.update(overrides)
    return RecordExport(**values)  # type: ignore[arg-type]


def resources(bundle: Bundle, kind: str) -> list:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


def test_the_bundle_is_a_valid_document_that_round_trips_through_json():
    bundle = build_bundle(record(), NOW)
    text = bundle.model_dump_json(indent=2)
    parsed = Bundle.model_validate_json(text)
    assert json.loads(parsed.model_dump_json()) == json.loads(text)
    assert bundle.type == "document" and bundle.entry[0].resource.get_resource_type() == "Composition"
    assert all(e.fullUrl == f"urn:uuid:{e.resource.id}" for e in bundle.entry)
    full_urls = {e.fullUrl for e in bundle.entry}
    assert len(full_urls) == len(bundle.entry)
    references = [m for m in text.split('"reference": "')[1:]]
    assert {r.split('"')[0] for r in references} <= full_urls, "every reference resolves inside the Bundle"


def test_the_same_content_gives_the_same_resources_and_a_new_bundle_identifier():
    first, again = build_bundle(record(), NOW), build_bundle(record(), NOW + dt.timedelta(minutes=1))
    assert [e.fullUrl for e in first.entry] == [e.fullUrl for e in again.entry]
    assert first.identifier.value != again.identifier.value
    with pytest.raises(ValueError, match="timezone"):
        build_bundle(record(), NOW.replace(tzinfo=None))


def test_one_provenance_and_attester_per_valid_signature_with_the_hash_signed():
    bundle = build_bundle(record(), NOW)
    composition, plan = bundle.entry[0].resource, resources(bundle, "CarePlan")[0]
    provenances = resources(bundle, "Provenance")
    assert [p.agent[0].who.display for p in provenances] == ["Signer 1", "Signer 5"], (
        "void, withdrawn and dissenting rows get none"
    )
    assert [a.party.display for a in composition.attester] == [
        "Signer 1 (Physician)",
        "Signer 5 (Social worker)",
    ]
    first = provenances[0]
    assert [t.reference for t in first.target] == [f"urn:uuid:{composition.id}", f"urn:uuid:{plan.id}"]
    assert first.agent[0].role[0].text == "Physician" and first.recorded == NOW
    sig = first.signature[0]
    as_json = json.loads(first.model_dump_json())["signature"][0]["data"]
    assert base64.b64decode(as_json).hex() == HASH == sig.data.hex(), "base64 of the raw SHA-256"
    assert [(x.url, x.valueString) for x in sig.extension] == [(CONTENT_SHA256_URL, HASH)]
    assert first.extension[0].valueString == "I agree with the plan."
    none_valid = build_bundle(record(signatures=(signature(2, voided=True),)), NOW)
    assert resources(none_valid, "Provenance") == [] and none_valid.entry[0].resource.attester is None


def test_composition_type_status_and_sections():
    composition = build_bundle(record(), NOW).entry[0].resource
    assert composition.type.coding[0].code == "81334-5" and composition.status == "preliminary"
    assert [s.code.coding[0].code for s in composition.section] == [
        "goals",
        "treatment-limits",
        "plan",
        "healthcare-agent",
        "conversation",
    ]
    assert "To see the sea &lt;again&gt; &amp; again" in composition.section[0].text.div, "escaped"
    final = build_bundle(record(final_at=NOW), NOW).entry[0].resource
    assert final.status == "final"


def test_goals_come_from_the_goals_of_care_content():
    bundle = build_bundle(record(), NOW)
    goals = resources(bundle, "Goal")
    assert [(g.category[0].coding[0].code, g.description.text) for g in goals] == [
        ("goals-if-worse", "To be at home with her garden and her daughter."),
        ("hopes", "To see the sea <again> & again"),
        ("critical-abilities", "Recognising her family."),
    ]
    patient = resources(bundle, "Patient")[0]
    assert patient.identifier[0].value == "SYN-T0007" and patient.identifier[0].type.coding[0].code == "MR"
    assert all(g.subject.reference == f"urn:uuid:{patient.id}" for g in goals)


def test_treatment_limits_are_portable_order_service_requests():
    bundle = build_bundle(record(), NOW)
    orders = resources(bundle, "ServiceRequest")
    assert [(o.category[0].coding[0].code, o.code.text, o.status) for o in orders] == [
        ("100822-6", "Do not attempt CPR", "draft"),
        ("100823-4", "Selective treatment", "draft"),
        ("100825-9", "Trial period of medically assisted nutrition", "draft"),
    ]
    content = gc.normalise(
        goals_of_care_content(
            treatment_limits={"cpr": "attempt", "level_of_treatment": "full", "nutrition": "not_discussed"}
        )
    )
    final = build_bundle(record(content=content, final_at=NOW), NOW)
    assert [(o.code.text, o.status) for o in resources(final, "ServiceRequest")] == [
        ("Attempt CPR", "active"),
        ("Full treatment", "active"),
    ], "nutrition not discussed is no order"


def test_the_care_plan_holds_each_plan_item():
    plan = resources(build_bundle(record(), NOW), "CarePlan")[0]
    details = [a.detail for a in plan.activity]
    assert [(d.code.coding[0].code, d.description, d.status) for d in details] == [
        ("action", "Hospice referral", "not-started"),
        ("recommendation", "Review opioids", "completed"),
        ("recommendation", "Day hospice", "cancelled"),
    ]
    assert details[0].scheduledPeriod.end == dt.date(2026, 12, 7)
    assert [p.display for p in details[0].performer] == ["Social worker"]
    assert details[2].performer is None and details[0].statusReason.text == "Agreed"
    assert (plan.intent, plan.status) == ("plan", "draft")


def test_without_a_conference_there_is_no_care_plan_and_signatures_target_the_composition():
    bundle = build_bundle(record(conference_id=None, conference_title=None, plan=()), NOW)
    assert resources(bundle, "CarePlan") == []
    composition = bundle.entry[0].resource
    assert all(len(p.target) == 1 for p in resources(bundle, "Provenance"))
    assert composition.section[2].entry is None


def test_the_surrogate_is_a_related_person_with_a_consent_and_alternates_are_related_persons():
    bundle = build_bundle(record(), NOW)
    people = resources(bundle, "RelatedPerson")
    assert [(p.name[0].text, p.relationship[0].coding[0].code) for p in people] == [
        ("Bea Quillfeather", "healthcare-agent"),
        ("Cal Quillfeather", "alternate-healthcare-agent"),
    ]
    (consent,) = resources(bundle, "Consent")
    assert consent.scope.coding[0].code == "adr" and consent.provision.type == "permit"
    assert [a.reference.reference for a in consent.provision.actor] == [f"urn:uuid:{p.id}" for p in people]
    assert "lasting power of attorney" in consent.provision.actor[0].role.text
    no_surrogate = dataclasses.replace(record(), content=gc.normalise(goals_of_care_content(surrogate=None)))
    bundle = build_bundle(no_surrogate, NOW)
    assert resources(bundle, "RelatedPerson") == [] and resources(bundle, "Consent") == []
