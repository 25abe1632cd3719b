"""Consensus sign-off rules: from the signatures on a plan, who has signed what is there now, who is still
missing, which dissents block, and whether the record is final.

Pure: the signatures come in as plain data. A signature counts for its role only while it is live (not
voided by a later edit and not withdrawn) and names the hash of the content as it is now. A dissent that
is live blocks finalisation, whatever content it named, until it is withdrawn or the chair overrides it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class SignOffDecision(enum.StrEnum):
    """A sign-off's decision; db.models stores it as this enum's values."""

    AGREE = enum.auto()
    DISSENT = enum.auto()


@dataclass(frozen=True)
class Signature:
    role: str
    content_hash: str
    decision: SignOffDecision = SignOffDecision.AGREE
    voided: bool = False
    withdrawn: bool = False
    overridden: bool = False
    signature_id: int | None = None

    @property
    def live(self) -> bool:
        return not self.voided and not self.withdrawn


@dataclass(frozen=True)
class ConsensusStatus:
    current_hash: str
    required_roles: tuple[str, ...]
    # Roles (required or not) with a live agreement on the current content, in required-roles order first.
    signed_roles: tuple[str, ...]
    missing_roles: tuple[str, ...]
    blocking_dissents: tuple[Signature, ...]

    @property
    def is_final(self) -> bool:
        return bool(self.required_roles) and not self.missing_roles and not self.blocking_dissents

    def explain(self) -> str:
        """Why the record is or is not final, in plain words."""
        if self.is_final:
            return "Every required role has signed this content: the record is final."
        parts = []
        if not self.required_roles:
            parts.append("no roles are set as required to sign")
        if self.missing_roles:
            parts.append("still to sign: " + ", ".join(r.replace("_", " ") for r in self.missing_roles))
        if self.blocking_dissents:
            roles = ", ".join(s.role.replace("_", " ") for s in self.blocking_dissents)
            parts.append(f"a dissent ({roles}) stands until it is withdrawn or the chair overrides it")
        return "Not final yet: " + "; ".join(parts) + "."


def evaluate(
    required_roles: Iterable[str], signatures: Iterable[Signature], current_hash: str
) -> ConsensusStatus:
    required = tuple(dict.fromkeys(required_roles))
    sigs = list(signatures)
    agreeing = {
        s.role
        for s in sigs
        if s.live and s.decision is SignOffDecision.AGREE and s.content_hash == current_hash
    }
    signed = tuple(r for r in required if r in agreeing) + tuple(sorted(agreeing - set(required)))
    missing = tuple(r for r in required if r not in agreeing)
    blocking = tuple(s for s in sigs if s.live and s.decision is SignOffDecision.DISSENT and not s.overridden)
    return ConsensusStatus(current_hash, required, signed, missing, blocking)
