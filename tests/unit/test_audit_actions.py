"""The audit actions are typed, and their stored names do not move.

The value of an AuditAction is what audit_event.action stores and the chain hashes: renaming one would
orphan every event already recorded under the old name, so each value must stay the member's name in lower
case (the way they were written before there was an enum), and ACTIONS must offer each by that name.
"""

from __future__ import annotations

import json

from auth.audit import ACTIONS, AuditAction


def test_every_value_is_its_members_name_in_lower_case():
    assert len(AuditAction) >= 40, "the registry lost actions"
    assert [a.value for a in AuditAction] == [a.name.lower() for a in AuditAction]


def test_every_action_says_what_it_means():
    vague = [a.name for a in AuditAction if not a.description.strip().endswith(".")]
    assert vague == [], f"actions without a full-sentence description: {vague}"
    assert AuditAction.SIGN_IN.clinical is False and AuditAction.ALERT_RAISED.clinical is True


def test_actions_maps_each_stored_name_to_its_member():
    assert dict(ACTIONS) == {a.value: a for a in AuditAction}
    assert ACTIONS["signoff_signed"] is AuditAction.SIGNOFF_SIGNED


def test_a_member_is_its_plain_name_wherever_it_is_written():
    # str() and JSON give the stored name, so details and payloads hash as they did with strings.
    assert str(AuditAction.MEETING_JOINED) == "meeting_joined"
    assert json.dumps({"action": AuditAction.MEETING_JOINED}) == '{"action": "meeting_joined"}'
    assert AuditAction.MEETING_JOINED == "meeting_joined"
