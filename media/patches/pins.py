"""Guards shared by the hooks into pinned libraries' internals (media/patches/): a hook installs only on the
version and signatures it was checked against."""

from __future__ import annotations

import importlib.metadata
import inspect
from collections.abc import Callable
from typing import Any


def params(fn: Callable[..., Any]) -> list[str]:
    """The parameter names of `fn`, in order: what a hook compares with the signature it was written for."""
    return list(inspect.signature(fn).parameters)


def require_pinned(distribution: str, pinned: str, hook: str, recheck: str) -> None:
    """Raise RuntimeError unless `distribution` is installed at exactly `pinned`.

    recheck names what to read again before moving the pin ("Re-check ..., then update PINNED_...").
    """
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - the hooks import it first
        version = "unknown"
    if version != pinned:
        raise RuntimeError(
            f"{hook} hooks {distribution} internals checked against {distribution} {pinned}, but "
            f"{distribution} {version} is installed. {recheck}"
        )
