"""README is part of the product: every setting, audit action and demo account it must describe is there."""

from pathlib import Path

from auth.audit import ACTIONS
from demo.seed import DEMO_ACCOUNTS
from settings import ENVIRONMENT_VARIABLES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_environment_variable_is_documented():
    missing = [name for name in ENVIRONMENT_VARIABLES if f"`{name}`" not in README]
    assert missing == [], f"README does not document: {missing}"


def test_every_audit_action_is_documented():
    missing = [name for name in ACTIONS if f"| `{name}` |" not in README]
    assert missing == [], f"README's audit table lacks: {missing}"


def test_demo_accounts_in_readme_match_the_seed():
    for account in DEMO_ACCOUNTS:
        assert f"| {account.username} | {account.password} |" in README, (
            f"README lists a wrong password for the demo account {account.username}"
        )


def test_the_two_commands_are_in_readme():
    assert "make run" in README and "make test" in README


def test_every_audit_action_used_in_the_code_is_registered():
    """Call sites name an AuditAction member; a string literal passed as the action is flagged too, so an
    action written the old way (or misspelt in a page that no test imports) cannot slip past."""
    import ast

    from auth.audit import AuditAction

    root = Path(__file__).resolve().parents[2]
    audit_calls = {"record", "record_by", "record_view", "end_session", "_audit", "_audit_item"}
    members: set[str] = set()
    literals: set[str] = set()
    files = [root / "app.py"]
    for folder in ("auth", "services", "portal", "components", "pages", "interop", "demo", "db", "media"):
        files += (root / folder).rglob("*.py")
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

    assert set(ROOM_EVENT_ACTIONS.values()) <= set(ACTIONS)


def test_every_benchmark_has_its_latest_figures_in_readme():
    import pkgutil

    bench = Path(__file__).resolve().parents[2] / "bench"
    names = [m.name for m in pkgutil.iter_modules([str(bench)]) if not m.name.startswith("_")]
    assert names, "no benchmark modules found: the scan is looking in the wrong place"
    missing = [name for name in names if f"| `bench/{name}.py` |" not in README]
    assert missing == [], f"README's Benchmarks table has no figures for: {missing}"
