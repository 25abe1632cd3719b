"""Goals-of-care rules: what a record must hold, contradictions refused, hashing and readable differences."""

from __future__ import annotations

import hashlib
import json

import pytest

from clinical import goals_of_care as gc
from tests.factories import goals_of_care_content


def test_a_complete_record_is_valid_and_normalises_to_every_field():
    content = goals_of_care_content()
    assert gc.validate(content) == []
    stored = gc.normalise(content)
    assert set(stored) == {f.key for f in gc.FIELDS}
    assert stored["hopes"] is None, "a field left out is stored blank, not missing"
    assert stored["treatment_limits"]["cpr"] == "do_not_attempt"


def test_attempt_cpr_with_comfort_focused_care_is_refused_in_plain_words():
    content = goals_of_care_content(
        treatment_limits={"cpr": "attempt", "level_of_treatment": "comfort_focused", "nutrition": "none"}
    )
    problems = gc.validate(content)
    assert len(problems) == 1
    assert "Attempt CPR" in problems[0] and "Comfort-focused" in problems[0]
    assert "contradict" in problems[0]


@pytest.mark.parametrize(
    ("cpr", "level"),
    [("attempt", "full"), ("attempt", "selective"), ("do_not_attempt", "comfort_focused"), (None, None)],
)
def test_consistent_treatment_limits_are_accepted(cpr, level):
    content = goals_of_care_content(treatment_limits={"cpr": cpr, "level_of_treatment": level})
    assert gc.validate(content) == []


def test_required_fields_are_named_when_missing():
    content = goals_of_care_content(facilitator="  ", participants=[], goals_if_worse=None)
    del content["conversation_date"]
    problems = gc.validate(content)
    for label in ("Conversation date", "Facilitator", "Participants", "Goals if health worsens"):
        assert f"{label} is required" in problems


def test_over_long_text_and_unknown_choices_are_refused():
    content = goals_of_care_content(
        hopes="x" * (gc.LONG_MAX + 1),
        facilitator="y" * (gc.SHORT_MAX + 1),
        treatment_limits={"cpr": "maybe"},
        conversation_date="yesterday",
    )
    problems = " | ".join(gc.validate(content))
    assert f"Hopes is {gc.LONG_MAX + 1} characters long" in problems
    assert f"keep it to {gc.SHORT_MAX} or fewer" in problems
    assert "'maybe' is not one of the choices" in problems
    assert "Conversation date is not a date" in problems


def test_surrogate_and_directive_rules():
    no_name = goals_of_care_content(surrogate={"relationship": "son", "alternates": [{"name": ""}]})
    problems = gc.validate(no_name)
    assert "Surrogate: name is required" in problems
    assert "Alternate 1 needs a name" in problems
    directive = goals_of_care_content(advance_directive={"on_file": True})
    assert gc.validate(directive) == ["Advance directive: say where the directive on file is kept"]
    assert gc.validate(goals_of_care_content(unheard_of="x")) == [
        "The record has fields it does not know: unheard_of"
    ]


def test_every_field_has_plain_help_text():
    for f in gc.FIELDS:
        assert f.label and len(f.help) > 10, f.key
    assert "resuscitation" in gc.help_text("treatment_limits.cpr")
    assert gc.help_text("surrogate.legal_basis")


def test_hash_is_sha256_of_canonical_json_and_stable_under_key_order():
    goc = gc.normalise(goals_of_care_content())
    plan = [{"id": 1, "kind": "action", "text": "Call the hospice", "status": "agreed"}]
    reordered_goc = dict(reversed(list(goc.items())))
    reordered_plan = [dict(reversed(list(plan[0].items())))]
    assert gc.content_hash(goc, plan) == gc.content_hash(reordered_goc, reordered_plan)
    text = gc.canonical_content(goc, plan)
    assert text == json.dumps(
        {"plan": plan, "goals_of_care": goc}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ), "sorted keys, no whitespace between tokens"
    assert json.loads(text) == {"goals_of_care": goc, "plan": plan}
    assert gc.content_hash(goc, plan) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_hash_changes_with_any_change_and_keeps_non_ascii_text():
    goc = gc.normalise(goals_of_care_content(hopes="Voir la mer à Étretat"))
    plan = [{"id": 1, "text": "Refer to chaplain"}]
    assert "Étretat" in gc.canonical_content(goc, plan), "UTF-8 is kept, not escaped"
    assert gc.content_hash(goc, plan) != gc.content_hash(goc, [{"id": 1, "text": "Refer to chaplain."}])
    assert gc.content_hash(goc, plan) != gc.content_hash({**goc, "hopes": "Voir la mer"}, plan)
    assert gc.content_hash(goc, plan) != gc.content_hash(goc, plan[::-1] + [{"id": 2, "text": "x"}])


def test_diff_names_each_changed_field_readably_including_nested_ones():
    old = gc.normalise(goals_of_care_content())
    new = gc.normalise(
        goals_of_care_content(
            treatment_limits={
                "cpr": "do_not_attempt",
                "level_of_treatment": "comfort_focused",
                "nutrition": "trial",
            },
            surrogate={
                "name": "Bea Quillfeather",
                "relationship": "daughter",
                "legal_basis": "lasting power of attorney",
                "contact": "+44 7700 900999",
                "alternates": [],
            },
            hopes="A last trip to the sea.",
        )
    )
    changes = {c.key: c for c in gc.diff(old, new)}
    assert set(changes) == {
        "hopes",
        "treatment_limits.level_of_treatment",
        "surrogate.contact",
        "surrogate.alternates",
    }
    level = changes["treatment_limits.level_of_treatment"]
    assert (level.label, level.before, level.after) == (
        "Treatment limits: Level of treatment",
        "Selective treatment",
        "Comfort-focused treatment",
    )
    assert changes["hopes"].before == gc.BLANK
    assert changes["surrogate.alternates"].before == "Cal Quillfeather (son, +44 7700 900456)"
    assert changes["surrogate.alternates"].after == gc.BLANK
    assert gc.diff(old, old) == []


def test_diff_against_an_empty_record_lists_what_was_filled_in():
    changes = gc.diff({}, gc.normalise(goals_of_care_content()))
    labels = [c.label for c in changes]
    assert labels[0] == "Conversation date", "form order"
    assert "Participants" in labels
    participants = next(c for c in changes if c.key == "participants")
    assert participants.after == "Ada Quillfeather (patient, present); Bea Quillfeather (daughter, remote)"
