"""Who is signed in, as the rest of the portal sees them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from clinical.roles import Role


@dataclass(frozen=True)
class Identity:
    """Who is signed in, as the rest of the portal sees them. Plain data: safe to keep in session state."""

    user_id: int
    username: str
    display_name: str
    role: Role
    method: str  # "password" or "oidc"
    # This sign-in, as opposed to the person: a view audited once per sign-in (audit.record_view) is
    # audited again when they sign in again, or in another browser.
    sign_in_id: str = field(default_factory=lambda: secrets.token_hex(8), compare=False)
    # The account's access_epoch when this sign-in began: an administrator's change moves the account's on,
    # and this sign-in is then over (auth.sessions.access_changed).
    access_epoch: int = 0
