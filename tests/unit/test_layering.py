"""README's dependency rules hold: clinical/ is pure; db/, access/, interop/ know nothing of Streamlit."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "clinical": {"streamlit", "sqlalchemy", "db", "access", "components", "media", "pages"},
    "access": {"streamlit", "components", "pages"},
    "db": {"streamlit", "components", "pages"},
    "interop": {"streamlit", "components", "pages"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_what_it_must_not(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & FORBIDDEN[package]
    }
    assert offenders == {}, f"{package}/ breaks the one-way dependency rule: {offenders}"


def test_no_page_or_component_writes_sql_or_allows_raw_html():
    for folder in ("pages", "components"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text()
            assert "unsafe_allow_html" not in source, f"{path.name} renders raw HTML"
            assert "sqlalchemy" not in _imports(path), f"{path.name} writes SQL itself"


def test_every_page_file_starts_with_the_access_check():
    for path in (ROOT / "pages").glob("*.py"):
        tree = ast.parse(path.read_text())
        first_call = next(
            node for node in tree.body if not isinstance(node, ast.Import | ast.ImportFrom | ast.Expr)
        )
        assert "require_page" in ast.unparse(first_call), (
            f"{path.name}: the first statement after the imports must be the shared access check"
        )
