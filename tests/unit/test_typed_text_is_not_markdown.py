"""Text someone typed never reaches a Streamlit call that renders Markdown unless it went through
components.plain_text (md_escape for a string, plain_table for a table's cells).

Streamlit renders Markdown in st.markdown, st.write, captions, headings, alerts, toasts, widget labels and
help, tab and expander labels, and (Streamlit 1.67) every st.table cell. A relative's "other problem" of
`![](https://…)[Phone us now](…)` became an outside image and a link in the clinician's record; a
goals-of-care table could show a signer struck-through or hidden text that the signature's hash covers.

This test reads the code, not the screens: for every such call in the portal's own modules it looks at
what is passed, and fails on any part that is not plainly code-written text. Code-written means: a literal,
a module constant (an UPPER_CASE name), a number or date formatted with a format spec, md_escape(...) or
plain_table(...), or a function or expression on the allow-lists below, each with the reason it is safe.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from db.engine import PROJECT_ROOT

# Streamlit calls whose text argument is rendered as Markdown (labels support a subset: links, emphasis,
# images, colours, emoji shortcodes, LaTeX all render in them).
RENDERS_MARKDOWN = {
    "badge",
    "button",
    "caption",
    "checkbox",
    "date_input",
    "dialog",
    "download_button",
    "error",
    "expander",
    "form_submit_button",
    "header",
    "info",
    "link_button",
    "markdown",
    "metric",
    "multiselect",
    "number_input",
    "page_link",
    "pills",
    "popover",
    "radio",
    "segmented_control",
    "select_slider",
    "selectbox",
    "slider",
    "status",
    "subheader",
    "success",
    "table",
    "tabs",
    "text_area",
    "text_input",
    "time_input",
    "title",
    "toast",
    "toggle",
    "warning",
    "write",
}
# Keyword arguments rendered as Markdown wherever they appear.
MARKDOWN_KEYWORDS = {"body", "label", "help"}
# Modules whose `.table(...)` (or `.write(...)`: os.write writes bytes to a file) is not Streamlit's.
NOT_STREAMLIT = {"pa", "pd", "np", "alt", "os"}

ESCAPES = {"md_escape", "plain_table"}

# Functions whose result is code-written words whatever their arguments, with why.
SAFE_FUNCTIONS = {
    "len": "a number",
    "short": "the first characters of a hex hash (clinical/canonical.py)",
    "window_words": "a trend window in words, from WINDOW_CHOICES (components/symptom_charts.py)",
    "_window_words": "a trend window in words (components/shared_case_view.py)",
    "role_label": "a role's label, from clinical/roles.py",
    "describe": "an outcome's kind and date in words (clinical/case_outcome.py); the summary is not in it",
    "when": "a date and time, formatted (components/alert_list.py)",
    "_answer": "a 0-10 score with its anchor words (components/checkin_form.py)",
    "_choice_label": "a score and its anchor words (components/checkin_form.py)",
    "_window_label": "a trend window in words (components/symptom_charts.py)",
    "_media_line": "a participant's camera and microphone state in words (components/room_roster.py)",
    "_summary_line": "counts and words from clinical/consensus.py (components/signoff_panel.py)",
    "explain": "clinical/consensus.py's own sentence about which roles are still needed",
    "describe_points": "how many check-ins a chart draws, in words (components/symptom_charts.py)",
    "capitalize": "applied to an enum's value below; the value is code-written",
    "lower": "applied to a role's label or a field's label below",
    "strftime": "a formatted date",
    "family_topic_message": "services/agenda.py's plain sentence; names no one",
    "badge": "a severity symbol and word (components/severity.py)",
    "duration": "a time span in words (components/alert_list.py)",
}

# Attributes that name code-written text: enum labels and values, field definitions' labels and help
# (clinical/goals_of_care.py, clinical/esas.py), numbers and ids.
SAFE_ATTRIBUTES = {
    "label",
    "help",
    "value",
    "order",
    "number",
    "version",
    "id",
    "request_id",
    "rule_label",
    "failed_attempts",
    "days",
    "time_box_minutes",
}

# Names in one module that hold code-written text, with why.
SAFE_NAMES: dict[str, dict[str, str]] = {
    "app.py": {"page": "an st.Page built from PAGES, whose titles are literals"},
    "components/agenda_panel.py": {"label": "START_AGENDA or NEXT_CASE"},
    "components/alert_list.py": {
        "title": "the caller's literal heading",
        "empty": "the caller's literal sentence",
        "waiting": "a count",
    },
    "components/conference_list.py": {"when": "a meeting's start and end, formatted"},
    "components/conference_outcomes.py": {"due": "a due date in words"},
    "components/goals_of_care_history.py": {"before": "a version number", "after": "a version number"},
    "components/checkin_form.py": {
        "lines": "alert rule labels and each alert's message through md_escape (the list above it)",
        "other": "md_escape'd where it is read from the form state",
        "label": "an ESAS item's label or 'other problem'",
    },
    "components/goals_of_care_fields.py": {
        "label": "a field's label from clinical/goals_of_care.py",
        "help": "a field's help from clinical/goals_of_care.py",
        "sub": "'name', 'relationship' or 'phone': literals in the loop",
        "n": "a number in a loop",
    },
    "components/media_tiles.py": {"caption": "the caller's literal caption"},
    "components/patient_summary.py": {
        "label": "a fact's literal name",
        "rows": "ESAS item labels and scores, built above",
        "surrogate": "a literal",
        "who": "a table of literal words",
    },
    "components/signoff_panel.py": {
        "label": "'Dissent' or 'Withdraw' and a role label",
        "shown": "who signed, md_escape'd where it is built",
        "line": "md_escape'd where it is built",
    },
    "components/goals_of_care_form.py": {
        "state": "the form's own state: version numbers, and the notice this module writes ('Saved as ...')",
        "request_id": "a number",
    },
    "components/case_panels.py": {"session": "no text: st.status is given a literal (see the call)"},
    "components/sign_in.py": {},
    "components/room_roster.py": {"you": "' (you)' or ''"},
    "components/amendments_panel.py": {
        "result": "a literal sentence or ''",
        "pending": "a count",
        "about": "a version number in words",
        "accept_help": "one of two literal sentences",
    },
    "portal/gate.py": {"notice": "EXPIRY_MESSAGES or a literal: only this package sets it"},
    "components/user_admin.py": {"old_role": "a role's label, or 'no role'"},
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    call: str
    part: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.call}(...) is given {self.part!r}"


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_constant_name(name: str) -> bool:
    bare = name.lstrip("_")
    return bool(bare) and bare.upper() == bare and any(c.isalpha() for c in bare)


class _Checker:
    def __init__(self, path: str) -> None:
        self.path = path
        self.names = SAFE_NAMES.get(path, {})
        self.findings: list[Finding] = []

    def unsafe_parts(self, node: ast.expr) -> list[ast.expr]:
        """The parts of `node` that could carry typed text into Markdown."""
        if isinstance(node, ast.Constant):
            return []
        if isinstance(node, ast.Name):
            return [] if _is_constant_name(node.id) or node.id in self.names else [node]
        if isinstance(node, ast.Attribute):
            return [] if _is_constant_name(node.attr) or node.attr in SAFE_ATTRIBUTES else [node]
        if isinstance(node, ast.Subscript):
            # A lookup in a code-written table (STATUS_WORDS[...], _STATUS[...]).
            return self.unsafe_parts(node.value)
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name in ESCAPES or name in SAFE_FUNCTIONS:
                return []
            if name == "str" and len(node.args) == 1:
                return self.unsafe_parts(node.args[0])
            if name == "join" and isinstance(node.func, ast.Attribute):
                return self.unsafe_parts(node.func.value) + [
                    part for arg in node.args for part in self.unsafe_parts(arg)
                ]
            return [node]
        if isinstance(node, ast.JoinedStr):
            return [part for value in node.values for part in self.unsafe_parts(value)]
        if isinstance(node, ast.FormattedValue):
            if node.format_spec is not None:
                return []  # a date or a number, formatted
            return self.unsafe_parts(node.value)
        if isinstance(node, ast.BinOp):
            return self.unsafe_parts(node.left) + self.unsafe_parts(node.right)
        if isinstance(node, ast.BoolOp):
            return [part for value in node.values for part in self.unsafe_parts(value)]
        if isinstance(node, ast.IfExp):
            return self.unsafe_parts(node.body) + self.unsafe_parts(node.orelse)
        if isinstance(node, ast.Compare | ast.UnaryOp):
            return []  # a truth value or a number
        if isinstance(node, ast.GeneratorExp | ast.ListComp):
            return self.unsafe_parts(node.elt)
        if isinstance(node, ast.List | ast.Tuple):
            return [part for element in node.elts for part in self.unsafe_parts(element)]
        return [node]

    def visit(self, tree: ast.AST) -> None:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node.func)
            if name not in RENDERS_MARKDOWN or not isinstance(node.func, ast.Attribute):
                continue
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in NOT_STREAMLIT:
                continue
            given = list(node.args if name == "write" else node.args[:1])
            given += [kw.value for kw in node.keywords if kw.arg in MARKDOWN_KEYWORDS]
            if name == "table":
                # Every cell renders Markdown: the data must come through plain_table.
                given += [kw.value for kw in node.keywords if kw.arg == "data"]
                given = [
                    arg
                    for arg in given
                    if not (isinstance(arg, ast.Call) and _call_name(arg.func) == "plain_table")
                ]
                for arg in given:
                    self.findings.append(Finding(self.path, node.lineno, name, ast.unparse(arg)[:120]))
                continue
            for arg in given:
                for part in self.unsafe_parts(arg):
                    self.findings.append(Finding(self.path, node.lineno, name, ast.unparse(part)[:120]))


def _portal_modules() -> list[Path]:
    skip = {"tests", "bench", ".venv", "db", "scripts", "demo"}
    return sorted(
        path
        for path in PROJECT_ROOT.rglob("*.py")
        if not (set(path.relative_to(PROJECT_ROOT).parts[:-1]) & skip)
        and not any(part.startswith(".") for part in path.relative_to(PROJECT_ROOT).parts)
    )


def findings_in(source: str, path: str) -> list[Finding]:
    checker = _Checker(path)
    checker.visit(ast.parse(source))
    return checker.findings


def test_no_typed_text_reaches_markdown_unescaped() -> None:
    findings = [
        finding
        for path in _portal_modules()
        for finding in findings_in(path.read_text(encoding="utf-8"), str(path.relative_to(PROJECT_ROOT)))
    ]
    assert not findings, (
        "Text that may have been typed by someone reaches a call that renders Markdown; wrap it in "
        "md_escape (a table: plain_table), or, if it is code-written, say why on this test's allow-lists:\n"
        + "\n".join(map(str, findings))
    )


def test_the_check_catches_a_name_a_title_and_a_table() -> None:
    """The check itself: the forms the review found are caught, and their escaped forms pass."""
    caught = findings_in(
        "st.write(f'**Diagnosis:** {p.diagnosis}')\n"
        "st.caption(meeting.title)\n"
        "st.table(pd.DataFrame({'Hopes': [record.hopes]}))\n"
        "st.info(f'{view.presenter_name} is presenting now.')\n",
        "components/example.py",
    )
    assert [f.part for f in caught] == [
        "p.diagnosis",
        "meeting.title",
        "pd.DataFrame({'Hopes': [record.hopes]})",
        "view.presenter_name",
    ]
    assert not findings_in(
        "st.write(f'**Diagnosis:** {md_escape(p.diagnosis)}')\n"
        "st.caption(md_escape(meeting.title))\n"
        "st.table(plain_table(pd.DataFrame({'Hopes': [record.hopes]})))\n"
        "st.info(f'Saved on {when:%d %b %Y}; version {record.version}. {NOTE}')\n",
        "components/example.py",
    )
