"""Every hook into another package's internals (aiortc, aioice, streamlit-webrtc, Streamlit), in one place.

The rule: code that replaces, wraps or reads another package's private functions, module globals or built
files lives here and nowhere else, one module per upstream package (pins.py holds the guards they share).
Each hook
- is listed in PATCHES below, with the exact upstream version it was checked against (pinned), what it
  checks before it installs (guard: the version and the signatures or source it relies on; on anything else
  it refuses to install and raises), and the upstream change that would retire it (retire_when);
- is described in docs/hooks.md, one row per patch (tests/unit/test_docs_hooks.py keeps the two in step);
- is installed by install_all(), which the app calls once, where it starts its media (portal/room_hub.py);
  the one hook the sign-in screen needs is also installed by install_sign_in_hooks(), which app.py calls at
  start-up. Installing twice is harmless: each hook checks whether it is already in place.

Pure media logic the hooks call into (forwarding without decoding, keyframe detection) stays in media/;
only the hooking lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import NamedTuple

from media.hub import MediaHub
from media.patches import aioice_consent, aiortc_forwarding, streamlit_auth, streamlit_rerun, webrtc_frontend


@dataclass(frozen=True)
class Patch:
    """One hook into another package: what it touches, what it was checked against, and when it can go."""

    name: str  # as in docs/hooks.md
    module: str  # the module of media/patches/ that holds it
    package: str  # the distribution it hooks into
    target: str  # what it replaces, wraps or reads there
    pinned: str  # the exact version of `package` it was checked against
    guard: str  # what is checked before it installs; it refuses anything else
    retire_when: str  # the upstream change that makes it unnecessary
    check: Callable[[], object]  # the guard itself: raises RuntimeError unless `package` is as pinned
    installed: Callable[[], bool]


class _Hook(NamedTuple):
    """What differs between the hooks into one package; _hooks_into adds what they share."""

    name: str
    target: str
    guard: str
    retire_when: str
    check: Callable[[], object]
    installed: Callable[[], bool]


def _hooks_into(package: str, module: ModuleType, pinned: str, *hooks: _Hook) -> tuple[Patch, ...]:
    """The Patch entries of one module of media/patches/, all checked against the same pinned `package`."""
    return tuple(Patch(module=module.__name__, package=package, pinned=pinned, **h._asdict()) for h in hooks)


# Each _Hook is (name, target, guard, retire_when, check, installed), as in Patch.
PATCHES: tuple[Patch, ...] = (
    *_hooks_into(
        "aiortc",
        aiortc_forwarding,
        aiortc_forwarding.PINNED_AIORTC,
        _Hook(
            "aiortc-passthrough-receiver",
            "aiortc.rtcrtpreceiver.decoder_worker (replaced by a dispatcher: receivers on the hub's loop "
            "get media.passthrough.passthrough_worker, all others aiortc's own decoder)",
            "aiortc version; decoder_worker(loop, input_q, output_q, decode_error); "
            "RTCRtpReceiver._send_rtcp_pli(self, media_ssrc)",
            "aiortc lets an RTCRtpReceiver hand out encoded frames without decoding them "
            "(an encoded-frame or forwarding API)",
            aiortc_forwarding.check_versions,
            aiortc_forwarding.installed,
        ),
        _Hook(
            "aiortc-keyframe-request",
            "aiortc.rtcrtpsender.RTCRtpSender._send_keyframe (wrapped: a subscriber's PLI/FIR also "
            "reaches the hub's forwarding track)",
            "aiortc version; RTCRtpSender._send_keyframe(self)",
            "aiortc tells a sender's track about keyframe requests (an event or callback for "
            "PLI/FIR on RTCRtpSender)",
            aiortc_forwarding.check_versions,
            aiortc_forwarding.keyframe_hook_installed,
        ),
    ),
    *_hooks_into(
        "aioice",
        aioice_consent,
        aioice_consent.PINNED_AIOICE,
        _Hook(
            "aioice-consent-freshness",
            "aioice.ice.Connection.query_consent (replaced: consent expires 30 s after the last answered "
            "check, RFC 7675, and late answers count)",
            "aioice version; query_consent(self) is a coroutine; build_request(self, pair, nominate); "
            "StunProtocol.request(self, request, addr, integrity_key, retransmissions); the source of "
            "connect(), close(), __init__ and the original query_consent; TransactionTimeout is a "
            "TransactionError",
            "aioice expires consent as RFC 7675 says (30 s without an answered check) instead of "
            "after six single-attempt checks with a 0.5 s timeout",
            aioice_consent.check_versions,
            aioice_consent.installed,
        ),
    ),
    *_hooks_into(
        "streamlit-webrtc",
        webrtc_frontend,
        webrtc_frontend.WEBRTC_FRONTEND_VERSION,
        _Hook(
            "webrtc-hub-loop",
            "streamlit_webrtc.webrtc.get_global_event_loop and get_global_relay (replaced: peer "
            "connections run on the hub's loop, with no MediaRelay); streamlit_webrtc.webrtc._live_workers "
            "(read, to find the peer connection behind a track)",
            "streamlit-webrtc version; both functions exist and WebRtcWorker.__init__ calls them; "
            "_live_workers exists",
            "streamlit-webrtc's webrtc_streamer accepts an event loop and a relay (and exposes the "
            "peer connection behind a sink's track)",
            webrtc_frontend.check_worker_hooks,
            webrtc_frontend.webrtc_hooks_installed,
        ),
        _Hook(
            "webrtc-answer-each-offer",
            "streamlit_webrtc.component._handle_worker_lifecycle (wrapped, using _reset_context: every "
            "new SDP offer gets its own answer)",
            "streamlit-webrtc version; _handle_worker_lifecycle and _reset_context exist",
            "streamlit-webrtc resets a component's context when a new offer arrives, instead of "
            "handing the browser the previous connection's answer",
            webrtc_frontend.check_lifecycle,
            webrtc_frontend.lifecycle_wrapped,
        ),
        _Hook(
            "webrtc-call-across-pages",
            "streamlit_webrtc.shutdown.SessionShutdownObserver._resolve_initial_page_script_hash (replaced: "
            "no page, so opening another page does not stop a worker; a closed session still does)",
            "streamlit-webrtc version; the method is a staticmethod; _polling_thread_impl skips its page "
            "check for an empty page hash",
            "streamlit-webrtc lets a component drawn by the entrypoint of a multipage app outlive a page "
            "switch (an option to keep its worker across pages)",
            webrtc_frontend.check_across_pages,
            webrtc_frontend.calls_kept_across_pages,
        ),
        _Hook(
            "webrtc-fixed-frontend",
            "streamlit-webrtc's minified frontend bundle (frontend/dist/assets/index-*.js, string-patched "
            "into a copy: ONE_CONNECTION_PER_START, RIDE_OUT_DISCONNECTED), served by replacing "
            "streamlit_webrtc.component._component_func and registering it in Streamlit's component_registry",
            "streamlit-webrtc version; one index-*.js; each replaced text occurs exactly once, the two "
            "halves of the start() fix within 4000 characters; webrtc_streamer calls _component_func",
            "streamlit-webrtc's frontend dispatches SIGNALLING_START before it awaits the WebRTC "
            "adapter, and stops a connection only when it is failed or closed, not disconnected",
            webrtc_frontend.check_frontend,
            webrtc_frontend.fixed_frontend_served,
        ),
    ),
    *_hooks_into(
        "streamlit",
        streamlit_auth,
        streamlit_auth.PINNED_STREAMLIT,
        _Hook(
            "streamlit-auth-refusals",
            "the logger of streamlit.web.server.starlette.starlette_auth_routes (read: a handler keeps "
            "each refusal the sign-in callback logs); starlette_app_utils.decode_xsrf_token_string "
            "(called, to know a browser across page loads)",
            "streamlit version; the callback's three log messages and its module logger in the source; "
            "decode_xsrf_token_string(cookie_value)",
            "st.login tells the app when the identity provider sent the browser back with an error",
            streamlit_auth.check_versions,
            streamlit_auth.installed,
        ),
    ),
    *_hooks_into(
        "streamlit",
        streamlit_rerun,
        streamlit_rerun.PINNED_STREAMLIT,
        _Hook(
            "streamlit-session-rerun",
            "streamlit.runtime.Runtime._session_mgr.get_active_session_info, AppSession.request_rerun, "
            "_client_state and _call_soon_on_event_loop (called: the server reruns a follower's page when "
            "the meeting moves, portal/workspace_push.py)",
            "streamlit version; request_rerun(self, client_state); _call_soon_on_event_loop(self, "
            "callback); get_active_session_info(self, session_id); _client_state and _session_mgr set in "
            "__init__",
            "Streamlit offers a public way to rerun a session from the server",
            streamlit_rerun.check_versions,
            streamlit_rerun.installed,
        ),
    ),
)


def install_all(get_hub: Callable[[], MediaHub]) -> None:
    """Install every patch in PATCHES; each guard refuses a package other than the pinned one (RuntimeError).

    get_hub returns the MediaHub whose loop streamlit-webrtc's peer connections run on. Idempotent: a patch
    already in place is left as it is (the hub loop hook is pointed at get_hub again).
    """
    aiortc_forwarding.install()
    aioice_consent.install()
    webrtc_frontend.install_webrtc_hooks(get_hub)
    streamlit_rerun.install()
    install_sign_in_hooks()


def install_sign_in_hooks() -> None:
    """Install the hook the sign-in screen needs (streamlit_auth). app.py calls it at start-up, before
    anyone can press the hospital sign-in button: the media hooks wait for a room, this one cannot."""
    streamlit_auth.install()


__all__ = ["PATCHES", "Patch", "install_all", "install_sign_in_hooks"]
