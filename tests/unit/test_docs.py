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
    import ast

    root = Path(__file__).resolve().parents[2]
    used: set[str] = set()
    for folder in ("access", "components", "pages", "db", "clinical", "media", "interop"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(
                    node.func, "attr", getattr(node.func, "id", "")
                ) in (
                    "record",
                    "end_session",
                ):
                    used.update(
                        a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    )
    assert used, "the scan found no audit calls at all, so it is not looking in the right place"
    assert used <= set(ACTIONS), f"unregistered audit actions in use: {used - set(ACTIONS)}"


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
