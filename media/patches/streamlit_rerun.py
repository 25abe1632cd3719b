"""Hook into Streamlit's runtime: rerun another browser session's script from the server.

Streamlit runs a session's script only when its browser asks (a click, or a fragment's timer). The meeting
workspace needs the opposite: when the chair moves to the next case, every follower's page must redraw at
once, not at its next poll. This asks a session's AppSession to run its script again, on the session's own
event loop, with the client state of its last run (the page it is on, its query string), which is what
Streamlit itself does when a source file changes under "run on save". The browser receives the new run as
it receives any other; widget values stay as they were, as with st.rerun().

Guard: the Streamlit version; Runtime.instance()/exists(); the runtime's session manager and its
get_active_session_info(session_id); AppSession.request_rerun(client_state), _client_state and
_call_soon_on_event_loop(callback). Retired when Streamlit offers a public way to rerun a session from
the server (a server-side st.rerun for another session, or a push channel).
"""

from __future__ import annotations

import inspect

from media.patches.pins import params, require_pinned

PINNED_STREAMLIT = "1.67.0"
HOOK = "streamlit-session-rerun"
_checked = False


def check_versions() -> None:
    """Raise RuntimeError unless Streamlit is the pinned version with the internals this relies on."""
    recheck = (
        "Re-check streamlit.runtime.Runtime._session_mgr.get_active_session_info and AppSession."
        "request_rerun, _client_state and _call_soon_on_event_loop, then update PINNED_STREAMLIT."
    )
    require_pinned("streamlit", PINNED_STREAMLIT, HOOK, recheck)
    from streamlit.runtime import Runtime
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.session_manager import SessionManager

    problems = []
    if params(AppSession.request_rerun) != ["self", "client_state"]:
        problems.append("AppSession.request_rerun(self, client_state)")
    if params(AppSession._call_soon_on_event_loop) != ["self", "callback"]:
        problems.append("AppSession._call_soon_on_event_loop(self, callback)")
    if "self._client_state = ClientState()" not in inspect.getsource(AppSession.__init__):
        problems.append("AppSession._client_state")
    if params(SessionManager.get_active_session_info) != ["self", "session_id"]:
        problems.append("SessionManager.get_active_session_info(self, session_id)")
    if "self._session_mgr = " not in inspect.getsource(Runtime.__init__):
        problems.append("Runtime._session_mgr")
    if problems:
        raise RuntimeError(f"{HOOK}: Streamlit changed ({', '.join(problems)}). {recheck}")


def install() -> None:
    """Check once that the internals are as pinned (nothing is replaced: this hook only calls them)."""
    global _checked
    if not _checked:
        check_versions()
        _checked = True


def installed() -> bool:
    return _checked


def available() -> bool:
    """Whether a Streamlit server runs in this process: not a plain script, and not AppTest, whose runtime
    is a stand-in without sessions (its instance is a mock of Runtime)."""
    from streamlit.runtime import Runtime

    # type(), not isinstance(): AppTest's stand-in is a Mock made with spec=Runtime, which passes isinstance.
    return _checked and Runtime.exists() and type(Runtime.instance()) is Runtime


def connected(session_id: str) -> bool:
    """Whether this session still has its browser."""
    from streamlit.runtime import Runtime

    return available() and Runtime.instance()._session_mgr.get_active_session_info(session_id) is not None


def rerun_session(session_id: str, page_script_hash: str) -> bool:
    """Ask this session to run its script again, if it is still connected and still on the page whose
    script hash is given (a session that moved to another page since is left alone). True when asked."""
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.runtime import Runtime

    if not available():
        return False
    info = Runtime.instance()._session_mgr.get_active_session_info(session_id)
    if info is None:
        return False
    session = info.session
    last = session._client_state
    if last.page_script_hash != page_script_hash:
        return False
    client_state = ClientState()
    client_state.CopyFrom(last)
    session._call_soon_on_event_loop(lambda: session.request_rerun(client_state))
    return True


__all__ = ["available", "check_versions", "connected", "install", "installed", "rerun_session"]
