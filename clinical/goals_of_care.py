"""The goals-of-care record (Serious Illness Conversation Guide structure): its fields, help text,
validation, canonical content hashing and a readable field-by-field difference.

Pure Python over plain mappings: the content is what a form collected and what the database stores as
JSON. Dates are ISO 8601 strings ("2026-11-30"). `validate` says in plain words what is wrong; `normalise`
turns valid input into the stored shape (every field present, blanks as None, text trimmed), so that two
saves of the same meaning hash the same.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clinical import typed_text
from clinical.canonical import canonical_json, sha256_hex

SHORT_MAX = 200
LONG_MAX = 4000
MAX_PARTICIPANTS = 20
MAX_ALTERNATES = 5


class FieldKind(enum.StrEnum):
    DATE = enum.auto()
    SHORT_TEXT = enum.auto()
    LONG_TEXT = enum.auto()
    CHOICE = enum.auto()
    PARTICIPANTS = enum.auto()
    TREATMENT_LIMITS = enum.auto()
    SURROGATE = enum.auto()
    ADVANCE_DIRECTIVE = enum.auto()


class Cpr(enum.StrEnum):
    ATTEMPT = enum.auto()
    DO_NOT_ATTEMPT = enum.auto()


class TreatmentLevel(enum.StrEnum):
    FULL = enum.auto()
    SELECTIVE = enum.auto()
    COMFORT_FOCUSED = enum.auto()


class Nutrition(enum.StrEnum):
    LONG_TERM = enum.auto()
    TRIAL = enum.auto()
    NONE = enum.auto()
    NOT_DISCUSSED = enum.auto()


class Capacity(enum.StrEnum):
    HAS_CAPACITY = enum.auto()
    LACKS_CAPACITY = enum.auto()
    UNCERTAIN = enum.auto()


class PrognosisFraming(enum.StrEnum):
    NOT_SHARED = enum.auto()
    UNCERTAIN = enum.auto()
    TIME_RANGE = enum.auto()
    FUNCTION = enum.auto()


class Presence(enum.StrEnum):
    PRESENT = enum.auto()
    REMOTE = enum.auto()


CHOICE_LABELS: dict[str, str] = {
    Cpr.ATTEMPT: "Attempt CPR",
    Cpr.DO_NOT_ATTEMPT: "Do not attempt CPR",
    TreatmentLevel.FULL: "Full treatment",
    TreatmentLevel.SELECTIVE: "Selective treatment",
    TreatmentLevel.COMFORT_FOCUSED: "Comfort-focused treatment",
    Nutrition.LONG_TERM: "Long-term",
    Nutrition.TRIAL: "Trial period",
    Nutrition.NONE: "None",
    Nutrition.NOT_DISCUSSED: "Not discussed",
    Capacity.HAS_CAPACITY: "Has capacity for this decision",
    Capacity.LACKS_CAPACITY: "Lacks capacity for this decision",
    Capacity.UNCERTAIN: "Uncertain",
    PrognosisFraming.NOT_SHARED: "Not shared",
    PrognosisFraming.UNCERTAIN: "Uncertain",
    PrognosisFraming.TIME_RANGE: "Time range",
    PrognosisFraming.FUNCTION: "Function",
    Presence.PRESENT: "present",
    Presence.REMOTE: "remote",
}


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    help: str
    kind: FieldKind
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()


def _text(key: str, label: str, help: str, *, required: bool = False, long: bool = True) -> Field:
    kind = FieldKind.LONG_TEXT if long else FieldKind.SHORT_TEXT
    return Field(key, label, help, kind, required, LONG_MAX if long else SHORT_MAX)


def _choice(key: str, label: str, help: str, choices: type[enum.StrEnum]) -> Field:
    return Field(key, label, help, FieldKind.CHOICE, choices=tuple(c.value for c in choices))


FIELDS: tuple[Field, ...] = (
    Field(
        "conversation_date",
        "Conversation date",
        "The day the conversation took place.",
        FieldKind.DATE,
        required=True,
    ),
    _text(
        "facilitator",
        "Facilitator",
        "The clinician who led the conversation.",
        required=True,
        long=False,
    ),
    Field(
        "participants",
        "Participants",
        "Everyone who took part: their name, their role or relationship to the patient, and whether they "
        "were in the room or joined remotely.",
        FieldKind.PARTICIPANTS,
        required=True,
    ),
    _text("interpreter", "Interpreter", "The interpreter's name, if one was used.", long=False),
    _text("language", "Language", "The language the conversation was held in.", long=False),
    _choice(
        "decision_making_capacity",
        "Decision-making capacity",
        "Whether the patient could understand, weigh and communicate a choice about these decisions.",
        Capacity,
    ),
    _text(
        "illness_understanding",
        "Understanding of illness",
        "In the patient's own words: what they understand about their illness and where it is heading.",
    ),
    _text(
        "information_preferences",
        "Information preferences",
        "How much the patient wants to know, and who else should be told.",
    ),
    _choice(
        "prognosis_framing",
        "Prognosis shared",
        "How the prognosis was shared: not shared, as uncertainty, as a time range, or in terms of function.",
        PrognosisFraming,
    ),
    _text("prognosis_notes", "Prognosis: what was said", "The words used to share the prognosis."),
    _text(
        "goals_if_worse",
        "Goals if health worsens",
        "What matters most to the patient if their health gets worse.",
        required=True,
    ),
    _text("fears_worries", "Fears and worries", "What the patient is most afraid of or worried about."),
    _text(
        "sources_of_strength", "Sources of strength", "What gives the patient strength as they think ahead."
    ),
    _text(
        "critical_abilities",
        "Critical abilities",
        "Abilities so important that the patient cannot imagine living without them.",
    ),
    _text(
        "trade_offs",
        "Trade-offs",
        "What the patient is willing to go through for the possibility of more time.",
    ),
    _text(
        "family_awareness", "Family awareness", "How much the family knows about the patient's priorities."
    ),
    _text("hopes", "Hopes", "What the patient hopes for."),
    _text(
        "clinician_recommendation",
        "Clinician recommendation",
        "The recommendation made to the patient, based on what they said matters to them.",
    ),
    _text("follow_up", "Follow-up", "What happens next, and when."),
    Field(
        "treatment_limits",
        "Treatment limits",
        "The portable-order decisions: CPR, the level of treatment, and medically assisted nutrition.",
        FieldKind.TREATMENT_LIMITS,
    ),
    Field(
        "surrogate",
        "Surrogate decision-maker",
        "Who decides for the patient if they cannot: name, relationship, legal basis, contact, and any "
        "alternates in order.",
        FieldKind.SURROGATE,
    ),
    Field(
        "advance_directive",
        "Advance directive",
        "Whether a written advance directive is on file, where it is kept, and when it was last reviewed.",
        FieldKind.ADVANCE_DIRECTIVE,
    ),
)

FIELDS_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}

# Sub-fields of the nested sections: key -> (label, help text).
TREATMENT_LIMIT_FIELDS: dict[str, tuple[str, str, type[enum.StrEnum]]] = {
    "cpr": ("CPR", "If the heart stops: attempt resuscitation, or allow a natural death.", Cpr),
    "level_of_treatment": (
        "Level of treatment",
        "Full: every appropriate treatment including intensive care. Selective: treat reversible problems, "
        "avoid intensive care. Comfort-focused: relieve symptoms, no treatments aimed at prolonging life.",
        TreatmentLevel,
    ),
    "nutrition": (
        "Medically assisted nutrition",
        "Feeding by tube: long-term, a trial period with a set review, none, or not yet discussed.",
        Nutrition,
    ),
}
SURROGATE_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("Name", "The person's full name."),
    "relationship": ("Relationship", "How they are related to the patient."),
    "legal_basis": (
        "Legal basis",
        "Why they may decide: appointed in a power of attorney, court-appointed, or next of kin by law.",
    ),
    "contact": ("Contact", "A phone number or e-mail address."),
}
ALTERNATE_FIELDS = ("name", "relationship", "contact")
ADVANCE_DIRECTIVE_FIELDS: dict[str, tuple[str, str]] = {
    "on_file": ("On file", "Whether a written advance directive is on file."),
    "location": ("Where it is kept", "Where the document can be found (e.g. scanned in the chart)."),
    "last_reviewed": ("Last reviewed", "The date it was last reviewed with the patient."),
}
PARTICIPANT_FIELDS = ("name", "role", "presence")


def help_text(key: str) -> str:
    """The plain-language help for a field or a nested sub-field ("treatment_limits.cpr")."""
    section, _, sub = key.partition(".")
    if not sub:
        return FIELDS_BY_KEY[section].help
    if section == "treatment_limits":
        return TREATMENT_LIMIT_FIELDS[sub][1]
    if section == "surrogate":
        return SURROGATE_FIELDS[sub][1]
    if section == "advance_directive":
        return ADVANCE_DIRECTIVE_FIELDS[sub][1]
    raise KeyError(key)


# ---------------------------------------------------------------------------------------------- validation


def _is_blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, str) and typed_text.is_blank(value)) or value == [] or value == {}
    )


def _check_text(label: str, value: object, max_length: int, problems: list[str]) -> None:
    if _is_blank(value):
        return
    if not isinstance(value, str):
        problems.append(f"{label} must be text")
    elif (problem := typed_text.unstorable(value)) is not None:
        problems.append(f"{label} {problem}")
    elif (length := len(typed_text.clean(value))) > max_length:
        problems.append(f"{label} is {length} characters long; please keep it to {max_length} or fewer")


def _check_date(label: str, value: object, problems: list[str]) -> None:
    if _is_blank(value):
        return
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{label} is not a date (expected a date like 2026-11-30)")
        return
    if (problem := typed_text.date_problem(day)) is not None:
        problems.append(f"{label}: {problem}")


def _check_choice(label: str, value: object, choices: Sequence[str], problems: list[str]) -> None:
    if not _is_blank(value) and value not in choices:
        allowed = ", ".join(CHOICE_LABELS.get(c, c) for c in choices)
        problems.append(f"{label}: {value!r} is not one of the choices ({allowed})")


def _check_mapping(label: str, value: object, allowed: Sequence[str], problems: list[str]) -> bool:
    if _is_blank(value):
        return False
    if not isinstance(value, Mapping):
        problems.append(f"{label} is not in the expected form")
        return False
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        problems.append(f"{label} has fields the record does not know: {', '.join(map(str, unknown))}")
    return True


def validate(content: Mapping[str, Any]) -> list[str]:
    """Everything wrong with a goals-of-care record as entered, in plain words; [] when it may be saved."""
    problems: list[str] = []
    if not isinstance(content, Mapping):
        return ["The goals-of-care record is not in the expected form"]
    unknown = sorted(set(content) - set(FIELDS_BY_KEY))
    if unknown:
        problems.append(f"The record has fields it does not know: {', '.join(map(str, unknown))}")
    for f in FIELDS:
        value = content.get(f.key)
        if f.required and _is_blank(value):
            problems.append(f"{f.label} is required")
            continue
        if f.kind is FieldKind.DATE:
            _check_date(f.label, value, problems)
        elif f.kind in (FieldKind.SHORT_TEXT, FieldKind.LONG_TEXT):
            _check_text(f.label, value, f.max_length or LONG_MAX, problems)
        elif f.kind is FieldKind.CHOICE:
            _check_choice(f.label, value, f.choices, problems)
        elif f.kind is FieldKind.PARTICIPANTS:
            _validate_participants(value, problems)
        elif f.kind is FieldKind.TREATMENT_LIMITS:
            _validate_limits(value, problems)
        elif f.kind is FieldKind.SURROGATE:
            _validate_surrogate(value, problems)
        elif f.kind is FieldKind.ADVANCE_DIRECTIVE:
            _validate_directive(value, problems)
    return problems


def _validate_participants(value: object, problems: list[str]) -> None:
    if _is_blank(value):
        return
    if not isinstance(value, Sequence) or isinstance(value, str):
        problems.append("Participants is not in the expected form (a list of people)")
        return
    if len(value) > MAX_PARTICIPANTS:
        problems.append(f"Please list at most {MAX_PARTICIPANTS} participants")
    for n, person in enumerate(value, start=1):
        label = f"Participant {n}"
        if not _check_mapping(label, person, PARTICIPANT_FIELDS, problems):
            if _is_blank(person):
                problems.append(f"{label} is empty: give a name or remove the line")
            continue
        if _is_blank(person.get("name")):
            problems.append(f"{label} needs a name")
        _check_text(f"{label}'s name", person.get("name"), SHORT_MAX, problems)
        _check_text(f"{label}'s role or relationship", person.get("role"), SHORT_MAX, problems)
        _check_choice(f"{label}: present or remote", person.get("presence"), tuple(Presence), problems)


def _validate_limits(value: object, problems: list[str]) -> None:
    if not _check_mapping("Treatment limits", value, tuple(TREATMENT_LIMIT_FIELDS), problems):
        return
    assert isinstance(value, Mapping)
    for key, (label, _, choices) in TREATMENT_LIMIT_FIELDS.items():
        _check_choice(label, value.get(key), tuple(choices), problems)
    if value.get("cpr") == Cpr.ATTEMPT and value.get("level_of_treatment") == TreatmentLevel.COMFORT_FOCUSED:
        problems.append(
            'The treatment limits contradict each other: "Attempt CPR" cannot go with '
            '"Comfort-focused treatment", because resuscitation is a life-prolonging treatment. Choose '
            '"Do not attempt CPR", or a selective or full level of treatment'
        )


def _validate_surrogate(value: object, problems: list[str]) -> None:
    if not _check_mapping("Surrogate", value, (*SURROGATE_FIELDS, "alternates"), problems):
        return
    assert isinstance(value, Mapping)
    filled = any(not _is_blank(value.get(k)) for k in SURROGATE_FIELDS)
    if filled:
        for key in ("name", "relationship"):
            if _is_blank(value.get(key)):
                problems.append(f"Surrogate: {SURROGATE_FIELDS[key][0].lower()} is required")
    for key, (label, _) in SURROGATE_FIELDS.items():
        _check_text(f"Surrogate: {label.lower()}", value.get(key), SHORT_MAX, problems)
    alternates = value.get("alternates")
    if _is_blank(alternates):
        return
    if not isinstance(alternates, Sequence) or isinstance(alternates, str):
        problems.append("Surrogate alternates are not in the expected form (a list of people)")
        return
    if not filled:
        problems.append("Alternates are listed but there is no surrogate: name the surrogate first")
    if len(alternates) > MAX_ALTERNATES:
        problems.append(f"Please list at most {MAX_ALTERNATES} alternates")
    for n, person in enumerate(alternates, start=1):
        label = f"Alternate {n}"
        if not _check_mapping(label, person, ALTERNATE_FIELDS, problems):
            if _is_blank(person):
                problems.append(f"{label} is empty: give a name or remove the line")
            continue
        if _is_blank(person.get("name")):
            problems.append(f"{label} needs a name")
        for key in ALTERNATE_FIELDS:
            _check_text(f"{label}'s {key}", person.get(key), SHORT_MAX, problems)


def _validate_directive(value: object, problems: list[str]) -> None:
    if not _check_mapping("Advance directive", value, tuple(ADVANCE_DIRECTIVE_FIELDS), problems):
        return
    assert isinstance(value, Mapping)
    on_file = value.get("on_file")
    if on_file is not None and not isinstance(on_file, bool):
        problems.append('Advance directive: say yes or no to "on file"')
    if on_file is True and _is_blank(value.get("location")):
        problems.append("Advance directive: say where the directive on file is kept")
    if on_file is not True and not (
        _is_blank(value.get("location")) and _is_blank(value.get("last_reviewed"))
    ):
        problems.append("Advance directive: a location or review date is given, but it is not marked on file")
    _check_text("Advance directive: where it is kept", value.get("location"), SHORT_MAX, problems)
    _check_date("Advance directive: last reviewed", value.get("last_reviewed"), problems)


# --------------------------------------------------------------------------------------------- normalising


def _clean(value: object) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return typed_text.clean(value) or None
    return value


def _clean_people(people: object, keys: Sequence[str]) -> list[dict[str, Any]]:
    if _is_blank(people):
        return []
    assert isinstance(people, Sequence)
    return [{k: _clean(p.get(k)) for k in keys} for p in people]


def normalise(content: Mapping[str, Any]) -> dict[str, Any]:
    """The stored shape of a valid record: every field present, text trimmed, blanks None, dates ISO."""
    out: dict[str, Any] = {}
    for f in FIELDS:
        value = content.get(f.key)
        if f.kind is FieldKind.PARTICIPANTS:
            out[f.key] = _clean_people(value, PARTICIPANT_FIELDS)
        elif f.kind is FieldKind.TREATMENT_LIMITS:
            value = value or {}
            out[f.key] = {k: _clean(value.get(k)) for k in TREATMENT_LIMIT_FIELDS}
        elif f.kind is FieldKind.SURROGATE:
            value = value or {}
            out[f.key] = {k: _clean(value.get(k)) for k in SURROGATE_FIELDS}
            out[f.key]["alternates"] = _clean_people(value.get("alternates"), ALTERNATE_FIELDS)
        elif f.kind is FieldKind.ADVANCE_DIRECTIVE:
            value = value or {}
            out[f.key] = {k: _clean(value.get(k)) for k in ADVANCE_DIRECTIVE_FIELDS}
        else:
            out[f.key] = _clean(value)
    return out


# ------------------------------------------------------------------------------------------------ hashing


def canonical_content(goc: Mapping[str, Any], plan: Sequence[Mapping[str, Any]]) -> str:
    """What a signature covers: the goals-of-care version's content and the conference plan, in the
    plan's given order (the caller orders it, by item id)."""
    return canonical_json({"goals_of_care": dict(goc), "plan": [dict(item) for item in plan]})


def content_hash(goc: Mapping[str, Any], plan: Sequence[Mapping[str, Any]]) -> str:
    """SHA-256 (hex) of canonical_content, encoded as UTF-8."""
    return sha256_hex(canonical_content(goc, plan))


# --------------------------------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class FieldChange:
    key: str  # dotted path, e.g. "treatment_limits.cpr" or "surrogate.alternates"
    label: str
    before: str
    after: str


BLANK = "(blank)"


def _show(value: object) -> str:
    if _is_blank(value):
        return BLANK
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return CHOICE_LABELS.get(value, value)
    return str(value)


def _show_people(people: object, keys: Sequence[str]) -> str:
    if _is_blank(people) or not isinstance(people, Sequence):
        return BLANK
    lines = []
    for p in people:
        if not isinstance(p, Mapping):
            continue
        details = ", ".join(_show(p.get(k)) for k in keys[1:] if not _is_blank(p.get(k)))
        lines.append(f"{_show(p.get('name'))} ({details})" if details else _show(p.get("name")))
    return "; ".join(lines) or BLANK


def _flat(content: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """path -> (label, shown value), in form order."""
    out: dict[str, tuple[str, str]] = {}
    for f in FIELDS:
        value = content.get(f.key)
        sub = value if isinstance(value, Mapping) else {}
        if f.kind is FieldKind.PARTICIPANTS:
            out[f.key] = (f.label, _show_people(value, PARTICIPANT_FIELDS))
        elif f.kind is FieldKind.TREATMENT_LIMITS:
            for k, (label, _, _) in TREATMENT_LIMIT_FIELDS.items():
                out[f"{f.key}.{k}"] = (f"{f.label}: {label}", _show(sub.get(k)))
        elif f.kind is FieldKind.SURROGATE:
            for k, (label, _) in SURROGATE_FIELDS.items():
                out[f"{f.key}.{k}"] = (f"Surrogate: {label.lower()}", _show(sub.get(k)))
            out[f"{f.key}.alternates"] = (
                "Surrogate: alternates",
                _show_people(sub.get("alternates"), ALTERNATE_FIELDS),
            )
        elif f.kind is FieldKind.ADVANCE_DIRECTIVE:
            for k, (label, _) in ADVANCE_DIRECTIVE_FIELDS.items():
                out[f"{f.key}.{k}"] = (f"Advance directive: {label.lower()}", _show(sub.get(k)))
        else:
            shown = value.isoformat() if isinstance(value, dt.date) else value
            out[f.key] = (f.label, _show(shown))
    return out


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """The fields that differ between two versions, in form order, each as readable before/after text."""
    before, after = _flat(old), _flat(new)
    return [
        FieldChange(path, label, before[path][1], shown)
        for path, (label, shown) in after.items()
        if before[path][1] != shown
    ]
