"""The documents are part of the product: what they name in the code must exist, and what the code holds
(settings, audit actions, demo accounts, benchmarks) must be described where a reader looks for it.

README.md is the five-minute introduction; docs/*.md is the manual. Each assertion message says what a
reader would meet if it broke.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
from pathlib import Path

import pytest

from demo.seed import DEMO_ACCOUNTS
from settings import ENVIRONMENT_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
README_PATH = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_LINES = 200


def audit_action_names() -> list[str]:
    """Every registered audit action's name. The one place that knows how auth.audit registers them."""
    from auth.audit import ACTIONS

    return list(ACTIONS)


def _read(path: Path) -> str:
    assert path.is_file(), f"{path.relative_to(ROOT)} does not exist: every link to it leads nowhere"
    return path.read_text()


README = _read(README_PATH)
MARKDOWN_FILES = [README_PATH, *sorted(DOCS.glob("*.md"))]


# --- What the code holds is described where a reader looks for it -------------------------------------


def test_every_environment_variable_is_documented():
    operations = _read(DOCS / "operations.md")
    missing = [name for name in ENVIRONMENT_VARIABLES if f"`{name}`" not in operations]
    assert missing == [], (
        f"docs/operations.md does not describe {missing}: "
        "an operator reading it cannot learn these settings exist"
    )


def test_every_audit_action_is_documented():
    security = _read(DOCS / "security.md")
    missing = [name for name in audit_action_names() if f"| `{name}` |" not in security]
    assert missing == [], (
        f"the audit actions table in docs/security.md lacks {missing}: an auditor meets rows they cannot read"
    )


def test_demo_accounts_in_readme_match_the_seed():
    for account in DEMO_ACCOUNTS:
        assert f"| {account.username} | {account.password} |" in README, (
            f"README lists a wrong or no password for the demo account {account.username}: "
            "a newcomer cannot sign in as it"
        )


def test_the_two_commands_are_in_readme():
    for command in ("make run", "make test"):
        assert command in README, f"README does not say `{command}`: a newcomer does not know how to start"


def test_readme_reads_in_five_minutes():
    lines = len(README.splitlines())
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines (at most {README_MAX_LINES}): move the detail into docs/"
    )


def test_every_audit_action_used_in_the_code_is_registered():
    """Call sites name an AuditAction member; a string literal passed as the action is flagged too, so an
    action written the old way (or misspelt in a page that no test imports) cannot slip past."""
    from auth.audit import AuditAction

    audit_calls = {"record", "record_by", "record_view", "end_session", "_audit", "_audit_item"}
    members: set[str] = set()
    literals: set[str] = set()
    files = [ROOT / "app.py", *(p for f in _PRODUCT_PACKAGES for p in (ROOT / f).rglob("*.py"))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "AuditAction"
            ):
                members.add(node.attr)
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                audit_calls
            ):
                for arg in node.args:
                    branches = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
                    literals.update(
                        b.value for b in branches if isinstance(b, ast.Constant) and isinstance(b.value, str)
                    )
    assert len(members) >= 30, (
        f"the scan found only {len(members)} actions in use: is it looking in the right place?"
    )
    unknown = {name for name in members if name not in AuditAction.__members__}
    assert not unknown, f"AuditAction has no such members: {unknown}"
    assert not literals, f"audit actions passed as strings rather than AuditAction members: {literals}"


def test_every_room_event_maps_to_a_registered_audit_action():
    from services.meetings import ROOM_EVENT_ACTIONS

    assert set(ROOM_EVENT_ACTIONS.values()) <= set(audit_action_names())


def test_every_benchmark_has_its_latest_figures_documented():
    benchmarks = _read(DOCS / "benchmarks.md")
    names = [m.name for m in pkgutil.iter_modules([str(ROOT / "bench")]) if not m.name.startswith("_")]
    assert names, "no benchmark modules found: the scan is looking in the wrong place"
    missing = [name for name in names if f"| `bench/{name}.py` |" not in benchmarks]
    assert missing == [], (
        f"docs/benchmarks.md has no figures for {missing}: nobody can tell if they regressed"
    )


# --- What the documents name in the code exists ------------------------------------------------------

_PRODUCT_PACKAGES = (
    "auth",
    "services",
    "clinical",
    "db",
    "media",
    "portal",
    "components",
    "demo",
    "interop",
    "pages",
)
_DOTTED_ROOTS = (
    "auth",
    "services",
    "clinical",
    "db",
    "media",
    "portal",
    "components",
    "demo",
    "interop",
    "settings",
)
_FILE_SUFFIXES = (".py", ".md", ".png", ".sh", ".toml", ".html", ".txt", ".ini", ".example", ".mako")
# Packages the reshape removed: a document still naming them sends the reader to code that is gone.
_RETIRED = {"access": "the reshape split it into auth/ and services/"}
# Paths the documents name on purpose that are not in the repository: the operator or a run creates them.
_NOT_IN_REPOSITORY = {".streamlit/secrets.toml"}

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_PYTHON_M = re.compile(r"python -m ([A-Za-z_][\w.]*)")
_DOTTED = re.compile(rf"^(?:{'|'.join((*_DOTTED_ROOTS, *_RETIRED))})(?:\.[A-Za-z_]\w*)+$")
# "portal/gate.py: require_page" names a file and something in it.
_PATH_WITH_NAME = re.compile(r"^([\w./-]+?)(?::\s*([A-Za-z_]\w*))?$")


def _repository_files() -> list[str]:
    """Every file of the repository as git sees it, committed or not (not var/, .venv/ or ignored files)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "var", ".pytest_cache", ".ruff_cache"}
        listed = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and skip.isdisjoint(p.relative_to(ROOT).parts)
        ]
    return listed


REPOSITORY_FILES = _repository_files()
TOP_LEVEL = {path.split("/")[0] for path in REPOSITORY_FILES}
FILE_NAMES = {path.rsplit("/", 1)[-1] for path in REPOSITORY_FILES}


def _code_spans(text: str) -> list[str]:
    return [span.strip() for span in _CODE_SPAN.findall(_FENCE.sub("", text))]


def _looks_like_a_repo_path(span: str) -> str | None:
    """The repository-relative path a code span names, or None when it does not name one of ours."""
    match = _PATH_WITH_NAME.match(span)
    if not match:
        return None
    path = match.group(1).rstrip("/")
    if "://" in span or path.startswith(("/", "~", ".venv")) or not path:
        return None
    if "/" in path:
        return path if path.split("/")[0] in TOP_LEVEL | set(_RETIRED) else None
    if path in _RETIRED:
        return path
    if path in TOP_LEVEL:  # app.py, settings.py, Makefile, docs, ...
        return path
    if path.endswith(_FILE_SUFFIXES) and not path.startswith("."):
        return path  # a bare file name such as media_tiles.py: it must exist somewhere in the repository
    return None


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _references(kind: str) -> list[tuple[str, str]]:
    """(document, reference) pairs of one kind, across README.md and docs/*.md."""
    found: list[tuple[str, str]] = []
    for md in MARKDOWN_FILES:
        text = md.read_text()
        if kind == "path":
            found += [(_where(md), span) for span in _code_spans(text) if _looks_like_a_repo_path(span)]
        elif kind == "dotted":
            spans = [s.removesuffix("()") for s in _code_spans(text)]
            found += [(_where(md), s) for s in spans if _DOTTED.match(s) and not s.endswith(_FILE_SUFFIXES)]
            found += [
                (_where(md), m)
                for m in _PYTHON_M.findall(text)
                if m.split(".")[0] in (*_DOTTED_ROOTS, *_RETIRED)
            ]
        elif kind == "link":
            found += [(_where(md), target) for target in _LINK.findall(_FENCE.sub("", text))]
    return sorted(set(found))


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of a dotted name, then getattr the rest; raise if one is missing."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as exc:
            if exc.name is not None and not ".".join(parts[:cut]).startswith(exc.name):
                raise  # the module exists but imports something missing: that is not a wrong name
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ModuleNotFoundError(dotted)


def _repo_has(path: str) -> bool:
    if path.split("/")[0] in _RETIRED:
        return False
    if path in _NOT_IN_REPOSITORY:
        return True
    if "/" in path or path in TOP_LEVEL:
        return (ROOT / path).exists()
    return path in FILE_NAMES


def test_the_reference_scans_find_something():
    # Every check below would pass on an empty scan; this proves they read the documents as written.
    assert ("README.md", "docs/video.md") in _references("link")
    assert any(ref == "services/goals_of_care/signoff.py" for _, ref in _references("path"))
    assert any(ref == "auth.audit.record" for _, ref in _references("dotted"))
    assert _looks_like_a_repo_path("portal/gate.py: require_page") == "portal/gate.py"
    assert _looks_like_a_repo_path("https://example.org/x.py") is None
    assert _looks_like_a_repo_path("var/vesper.db") is None  # created by `make run`, not in git
    assert _looks_like_a_repo_path("access/goals_of_care.py") == "access/goals_of_care.py"  # gone: flagged


@pytest.mark.parametrize(("document", "path"), _references("path"))
def test_every_path_a_document_names_exists(document, path):
    named = _looks_like_a_repo_path(path)
    retired = _RETIRED.get(path.split("/")[0], "")
    assert not retired, (
        f"{document} names `{path}` under a package that is gone ({retired}): write the new path"
    )
    assert named is not None and _repo_has(named), (
        f"{document} names `{path}`, which is not in the repository: a reader looking for it finds nothing "
        "(did it move in the reshape?)"
    )


@pytest.mark.parametrize(("document", "dotted"), _references("dotted"))
def test_every_python_name_a_document_names_resolves(document, dotted):
    retired = _RETIRED.get(dotted.split(".")[0], "")
    assert not retired, (
        f"{document} names `{dotted}` in a package that is gone ({retired}): write the new name"
    )
    try:
        _resolve(dotted)
    except (ImportError, AttributeError) as exc:
        pytest.fail(
            f"{document} names `{dotted}`, which does not resolve ({exc}): "
            "a reader grepping for it finds nothing"
        )


@pytest.mark.parametrize(("document", "target"), _references("link"))
def test_every_relative_link_points_at_a_file(document, target):
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: and the like are not ours to check
        return
    path, _, anchor = target.partition("#")
    source = ROOT / document
    linked = (source.parent / path).resolve() if path else source
    assert linked.exists(), (
        f"{document} links to {target} ({_shown(linked)} from there), which does not exist: "
        "a reader following it finds nothing"
    )
    if anchor and linked.suffix == ".md":
        anchors = {_slug(h) for h in re.findall(r"^#+\s+(.+?)\s*$", _FENCE.sub("", linked.read_text()), re.M)}
        assert anchor in anchors, (
            f"{document} links to {target}, but {linked.relative_to(ROOT)} has no heading #{anchor}: "
            "a reader following it lands at the top of the page, not at the section"
        )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")
