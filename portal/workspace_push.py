"""Followers' workspaces redraw as soon as the meeting moves, instead of at their next poll.

Each drawn workspace registers here what it shows (watch): its session, its page, and the stamp of what it
drew (services.shared_view.workspace_stamp). One thread per server process looks at the stamps of the
workspaces watched, at once when a change was just made in this process (poke: the chair's Next case, a
save in the room) and every CHECK_SECONDS otherwise (a change made by another process); each workspace
whose stamp moved is asked to run again (media/patches/streamlit_rerun.py), and leaves the watch list
until its new run registers again. One query per conference and case a second, instead of one per person.

Where Streamlit cannot rerun a session from the server (under AppTest, or if the hook's guard refused an
upgraded Streamlit), `active()` is False and the workspace polls as it did (components/meeting_workspace).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from streamlit.runtime.scriptrunner import get_script_run_ctx

from db.engine import reading
from media.patches import streamlit_rerun
from services import shared_view

# A change made by another server process is seen within this; one made here, at once (poke).
CHECK_SECONDS = 1.0
_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Watch:
    conference_id: int
    patient_id: int | None
    drawn: tuple[int, ...]
    page_script_hash: str


_lock = threading.Lock()
_watches: dict[str, _Watch] = {}
_wake = threading.Event()
_thread: threading.Thread | None = None


def active() -> bool:
    """Whether workspaces here are pushed to: a Streamlit server runs in this process, and its hook was
    installed with the others (media.patches.install_all, when the room's media started)."""
    return streamlit_rerun.available()


def watch(conference_id: int, patient_id: int | None, drawn: tuple[int, ...]) -> None:
    """This session's page now shows this workspace, drawn at this stamp."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    with _lock:
        _watches[ctx.session_id] = _Watch(conference_id, patient_id, drawn, ctx.page_script_hash)
    _start()


def forget_this_session() -> None:
    """A full run of this session's page has begun (app.py calls this first): what it drew before no
    longer stands, and it must not be interrupted for being behind. If it draws a workspace again, it
    registers again with what it then drew. Without this, a chair's own save (which puts her screen behind
    the stamp until her rerun redraws it) had her rerun interrupted, and its "Outcome saved" went unseen."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    with _lock:
        _watches.pop(ctx.session_id, None)


def poke() -> None:
    """Something a workspace shows has just been committed here: look now. The caller's own session is
    taken off the list, as it reruns by itself (st.rerun) and registers again."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        with _lock:
            _watches.pop(ctx.session_id, None)
    _wake.set()


def _start() -> None:
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_run, name="vesper-workspace-push", daemon=True)
        _thread.start()


def _run() -> None:
    while True:
        _wake.wait(CHECK_SECONDS)
        _wake.clear()
        try:
            check_once(streamlit_rerun.rerun_session, streamlit_rerun.connected)
        except Exception:  # noqa: BLE001 - the thread must outlive one failed look; polling still works
            _LOGGER.exception("Could not look at the watched workspaces")


def check_once(
    rerun: Callable[[str, str], bool],
    connected: Callable[[str], bool],
    read: Callable[[], AbstractContextManager[Any]] = reading,
) -> int:
    """Ask every watched workspace whose stamp moved to run again; how many were asked. Sessions whose
    browser has gone are forgotten."""
    with _lock:
        for gone in [session_id for session_id in _watches if not connected(session_id)]:
            del _watches[gone]
        watched = dict(_watches)
    if not watched:
        return 0
    stamps: dict[tuple[int, int | None], tuple[int, ...]] = {}
    with read() as session:
        for item in watched.values():
            key = (item.conference_id, item.patient_id)
            if key not in stamps:
                stamps[key] = shared_view.workspace_stamp(session, *key)
    asked = 0
    for session_id, item in watched.items():
        if stamps[(item.conference_id, item.patient_id)] == item.drawn:
            continue
        with _lock:
            # Taken off only if it has not registered a newer drawing meanwhile.
            if _watches.get(session_id) is item:
                del _watches[session_id]
        if rerun(session_id, item.page_script_hash):
            asked += 1
    return asked


__all__ = ["CHECK_SECONDS", "active", "check_once", "forget_this_session", "poke", "watch"]
