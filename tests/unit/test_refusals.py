"""Every refusal shown to a person derives from auth.refusal.Refusal, and the screens catch it once.

A new refusal class that forgot the base would escape a page's `except Refusal` and show a traceback where
a plain sentence belonged; a tuple of refusal classes in a handler is the ad-hoc catch this base replaced.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

from auth.refusal import Refusal
from services.goals_of_care import guards, signoff

ROOT = Path(__file__).resolve().parents[2]
# Layers whose exceptions reach a screen. media/ imports nothing of ours, so its ControlRefused stays apart.
REFUSING = ("auth", "services", "interop")
# Exceptions that are not said to a person: a programming error, caught by no screen.
# AuditKeyProblem: a missing or malformed audit key, said at start-up (app.py) and by the audit command.
NOT_REFUSALS = {"auth.audit.UnknownAuditAction", "auth.audit_keys.AuditKeyProblem"}


def _modules() -> list[str]:
    names = []
    for package in REFUSING:
        names.append(package)
        path = [str(ROOT / package)]
        names += [info.name for info in pkgutil.walk_packages(path, prefix=f"{package}.")]
    return names


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                found[f"{name}.{cls.__qualname__}"] = cls
    return found


EXCEPTIONS = _exception_classes()


def test_every_exception_said_to_a_person_is_a_refusal():
    assert len(EXCEPTIONS) >= 15, f"the scan found too few exception classes to mean anything: {EXCEPTIONS}"
    strays = sorted(name for name, cls in EXCEPTIONS.items() if not issubclass(cls, Refusal))
    assert strays == sorted(NOT_REFUSALS), "not derived from auth.refusal.Refusal"


def test_a_refusals_message_is_what_it_says():
    refusal = guards.Refused(["The hope is empty", "The reason is too long"])
    assert refusal.message == str(refusal) == "Not saved. The hope is empty; The reason is too long."
    assert refusal.messages == ["The hope is empty", "The reason is too long"]
    # The sign-off panel has always said "Not recorded." for a signature it could not take.
    assert signoff.SignOffRefused(["Please give a reason"]).message == "Not recorded. Please give a reason."


def _handled(node: ast.expr) -> list[str]:
    names = node.elts if isinstance(node, ast.Tuple) else [node]
    return [n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "") for n in names]


def test_screens_catch_refusals_once_not_in_tuples():
    refusal_names = {cls.__name__ for cls in EXCEPTIONS.values() if issubclass(cls, Refusal)} | {"Refusal"}
    tuples, handlers = [], 0
    for path in [*(ROOT / "pages").rglob("*.py"), *(ROOT / "components").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = [name for name in _handled(node.type) if name in refusal_names]
                handlers += "Refusal" in caught
                if isinstance(node.type, ast.Tuple) and caught:
                    tuples.append(f"{path.relative_to(ROOT)}:{node.lineno} {caught}")
    assert handlers >= 10, "the scan found too few `except Refusal` handlers to mean anything"
    assert not tuples, "catch `Refusal` once (a specific class before it only when it does something else)"
