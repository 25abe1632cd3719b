"""Consensus rules, worked by hand: who has signed what is there now, and when the record is final."""

from __future__ import annotations

from clinical.consensus import Signature, SignOffDecision, evaluate

REQUIRED = ("physician", "nurse", "social_worker")
H1, H2 = "a" * 64, "b" * 64


def _sig(role, h=H1, **kw):
    return Signature(role, h, **kw)


def test_final_when_every_required_role_signed_the_current_content():
    status = evaluate(REQUIRED, [_sig("physician"), _sig("nurse"), _sig("social_worker")], H1)
    assert status.is_final
    assert status.signed_roles == REQUIRED and status.missing_roles == ()
    assert "final" in status.explain()


def test_an_optional_role_is_listed_but_not_needed():
    status = evaluate(REQUIRED, [_sig("physician"), _sig("nurse"), _sig("chaplain")], H1)
    assert not status.is_final
    assert status.signed_roles == ("physician", "nurse", "chaplain")
    assert status.missing_roles == ("social_worker",)
    assert "social worker" in status.explain()


def test_signatures_on_other_content_do_not_count():
    # The nurse signed before the last edit: same role, different hash.
    status = evaluate(REQUIRED, [_sig("physician"), _sig("nurse", H2), _sig("social_worker")], H1)
    assert status.missing_roles == ("nurse",)
    assert not status.is_final


def test_void_and_withdrawn_signatures_do_not_count():
    sigs = [_sig("physician", voided=True), _sig("nurse", withdrawn=True), _sig("social_worker")]
    assert evaluate(REQUIRED, sigs, H1).missing_roles == ("physician", "nurse")


def test_a_live_dissent_blocks_until_withdrawn_or_overridden():
    agree = [_sig("physician"), _sig("nurse"), _sig("social_worker")]
    dissent = _sig("nurse", decision=SignOffDecision.DISSENT, signature_id=7)
    blocked = evaluate(REQUIRED, [*agree, dissent], H1)
    assert not blocked.is_final
    assert [s.signature_id for s in blocked.blocking_dissents] == [7]
    assert "dissent" in blocked.explain()
    withdrawn = _sig("nurse", decision=SignOffDecision.DISSENT, withdrawn=True)
    assert evaluate(REQUIRED, [*agree, withdrawn], H1).is_final
    overridden = _sig("nurse", decision=SignOffDecision.DISSENT, overridden=True)
    assert evaluate(REQUIRED, [*agree, overridden], H1).is_final
    # A dissent on older content still blocks while it is live: the service voids it on an edit.
    assert not evaluate(
        REQUIRED, [*agree, _sig("chaplain", H2, decision=SignOffDecision.DISSENT)], H1
    ).is_final


def test_two_people_of_one_role_count_once_and_no_required_roles_is_never_final():
    status = evaluate(REQUIRED, [_sig("physician"), _sig("physician"), _sig("nurse")], H1)
    assert status.signed_roles == ("physician", "nurse")
    assert not evaluate((), [_sig("physician")], H1).is_final
