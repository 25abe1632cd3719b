"""The layers hold: every arrow points down, and no module imports itself back round a circle.

    pages -> components -> portal -> services -> auth -> db -> clinical
                                  -> media       (media, clinical and shared_cache import nothing of ours)

A newcomer then finds a rule where the folder name says (the sign-off rule under services/goals_of_care/,
the alert rules in clinical/alerts.py, the audit chain in auth/audit.py, the video hooks in media/patches/),
and clinical/ and db/ can be read and tested without the rest.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STREAMLIT = {"streamlit", "streamlit_webrtc"}

# package -> the packages of ours it may import (besides itself), and whether it may import Streamlit.
ALLOWED: dict[str, tuple[set[str], bool]] = {
    "clinical": (set(), False),
    # One kind of in-process cache (a bounded map with a lock), for every layer above it.
    "shared_cache": (set(), False),
    "settings": ({"clinical"}, False),
    "db": ({"clinical", "shared_cache"}, False),
    "media": (set(), False),
    "auth": ({"clinical", "db", "settings", "shared_cache"}, False),
    "services": ({"clinical", "db", "auth", "settings", "shared_cache"}, False),
    "interop": ({"clinical", "db", "auth", "services", "settings", "shared_cache"}, False),
    "demo": ({"clinical", "db", "auth", "services", "settings", "shared_cache"}, False),
    "portal": ({"clinical", "db", "auth", "services", "media", "settings", "shared_cache"}, True),
    "components": (
        {"clinical", "db", "auth", "services", "media", "settings", "shared_cache", "portal", "demo"},
        True,
    ),
    "pages": (
        {"clinical", "db", "auth", "services", "media", "settings", "shared_cache", "portal", "components"},
        True,
    ),
    "app": ({"clinical", "auth", "settings", "shared_cache", "portal", "components"}, True),
}
# Layers that are one file at the top level rather than a package.
SINGLE_FILES = {"app", "settings", "shared_cache"}
# Only the hooks into streamlit-webrtc's and Streamlit's internals may import them, as they must.
STREAMLIT_EXCEPTIONS = {
    "media/patches/webrtc_frontend.py",
    "media/patches/streamlit_auth.py",
    "media/patches/streamlit_rerun.py",
}
OURS = set(ALLOWED)


def _product_files() -> dict[str, Path]:
    """Module name -> file, for every product module (tests, bench and migrations are not layers)."""
    files = {name: ROOT / f"{name}.py" for name in SINGLE_FILES}
    for package in OURS - SINGLE_FILES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            files[name] = path
    return files


FILES = _product_files()


def _imports(path: Path) -> set[str]:
    """Every module this file imports, at any depth (a function-level import is still an arrow)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from services import meetings` imports the module services.meetings.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _ours(names: set[str]) -> set[str]:
    return {name for name in names if name in FILES}


def test_the_scan_sees_every_layer():
    seen = {name.split(".")[0] for name in FILES}
    assert seen == OURS, f"a layer has no modules, so its rules test nothing: {OURS - seen}"


@pytest.mark.parametrize("layer", sorted(OURS))
def test_layer_imports_only_what_lies_below_it(layer):
    allowed, streamlit_ok = ALLOWED[layer]
    offenders: dict[str, list[str]] = {}
    for name, path in FILES.items():
        if name.split(".")[0] != layer:
            continue
        imported = _imports(path)
        upward = sorted({n.split(".")[0] for n in _ours(imported)} - allowed - {layer})
        relative = str(path.relative_to(ROOT))
        if not streamlit_ok and relative not in STREAMLIT_EXCEPTIONS:
            upward += sorted({n.split(".")[0] for n in imported} & STREAMLIT)
        if upward:
            offenders[relative] = upward
    assert offenders == {}, f"{layer} imports what lies above it: {offenders}"


def test_no_module_imports_itself_back_round_a_circle():
    graph = {
        name: {n for n in _ours(_imports(path)) if n != name and not name.startswith(f"{n}.")}
        for name, path in FILES.items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == [], f"circular imports: {cycles}"


def test_the_layering_test_catches_an_arrow_running_back_up(tmp_path):
    # The rules above would pass on an empty scan; this proves the scan reads imports as they are written.
    module = tmp_path / "m.py"
    module.write_text("from services import meetings\nimport streamlit as st\n")
    assert _imports(module) >= {"services", "services.meetings", "streamlit"}


def test_no_page_or_component_writes_sql_or_allows_raw_html():
    for folder in ("pages", "components", "portal"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text()
            assert "unsafe_allow_html" not in source, f"{path.name} renders raw HTML"
            assert not any(n.split(".")[0] == "sqlalchemy" for n in _imports(path)), (
                f"{path.name} writes SQL itself"
            )


def test_every_page_file_starts_with_the_access_check():
    for path in (ROOT / "pages").glob("*.py"):
        tree = ast.parse(path.read_text())
        first_call = next(
            node for node in tree.body if not isinstance(node, ast.Import | ast.ImportFrom | ast.Expr)
        )
        assert "require_page" in ast.unparse(first_call), (
            f"{path.name}: the first statement after the imports must be the shared access check"
        )
