"""The hooks that point streamlit-webrtc at the MediaHub and keep its signalling straight, and the checks
that they still hold.

streamlit-webrtc draws the browser side of the video room; the server side is our MediaHub (media/hub.py).
install_webrtc_hooks makes its peer connections run on the hub's own event loop, never on Streamlit's, and
replaces its MediaRelay with a pass-through so the hub's tracks reach aiortc's senders and receivers as they
are. It also makes every new SDP offer get its own answer (see answer_each_offer), and serves
streamlit-webrtc's frontend with two fixes: it starts one peer connection per start, not several
(ONE_CONNECTION_PER_START), and it rides out a "disconnected" connection instead of restarting it
(RIDE_OUT_DISCONNECTED). connection_of reads its registry of live workers to find the peer connection
behind a track.

All of it is tied to streamlit-webrtc WEBRTC_FRONTEND_VERSION: install_webrtc_hooks runs every guard
(check_worker_hooks, check_lifecycle, check_frontend) before it patches anything, and refuses any other
version. It is installed with the other hooks by media.patches.install_all.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit.components.v1 as st_components
import streamlit.runtime
from aiortc.mediastreams import MediaStreamTrack
from streamlit_webrtc import component as component_module
from streamlit_webrtc import shutdown as shutdown_module
from streamlit_webrtc import webrtc as webrtc_module

from media.hub import MediaHub
from media.patches import pins

logger = logging.getLogger(__name__)


class PassThroughRelay:
    """Stands in for aiortc's MediaRelay inside streamlit-webrtc: every track goes through unchanged.

    MediaRelay would put a proxy between the hub and aiortc: a RelayStreamTrack that copies whatever the
    source yields. With it, a subscriber's PLI/FIR would reach the proxy, not the hub's forwarding track,
    and a lobby participant's incoming track would be read by the relay's own task. Without it the hub's
    forwarding track is the sender's track and the browser's incoming track is handed to the hub as it is.
    """

    def subscribe(self, track: MediaStreamTrack, buffered: bool = True) -> MediaStreamTrack:
        return track


# The module globals of streamlit_webrtc.webrtc that WebRtcWorker.__init__ calls when no loop/relay is
# passed (component.webrtc_streamer never passes them). tests/app/test_conference_room.py checks they still
# exist and are still what WebRtcWorker uses, so an upgrade of streamlit-webrtc cannot silently undo this.
WEBRTC_HOOK_TARGETS = ("get_global_event_loop", "get_global_relay")
# Read, not patched: the WeakSet of live WebRtcWorkers, to find the peer connection behind a sink's track
# (the hub needs its RTCRtpReceiver to send the browser keyframe requests, and adopts the connection so it
# closes it when the participant goes). Checked by the same test.
WEBRTC_LIVE_WORKERS = "_live_workers"
# Wrapped, in streamlit_webrtc.component: the per-run reconciliation of a component's server side with its
# browser side (module global, called by webrtc_streamer), and the reset it uses. See answer_each_offer.
WEBRTC_LIFECYCLE = "_handle_worker_lifecycle"
WEBRTC_RESET = "_reset_context"
# Set on a WebRtcStreamerContext: the offer SDP its current answer was made for.
ANSWERED_OFFER_ATTR = "_vesper_answered_offer_sdp"
# Replaced, on streamlit_webrtc.shutdown.SessionShutdownObserver: the page a worker was made on. Its polling
# thread stops the worker (the server's peer connection) as soon as the session shows another page, unless
# that hash is empty ("if initial_page_script_hash:"). Vesper's webrtc components are drawn by app.py above
# every page (components/call_bar.py), so another page is not "navigated away": see keep_calls_across_pages.
WEBRTC_PAGE_OF_WORKER = "_resolve_initial_page_script_hash"
WEBRTC_NAVIGATION_CHECK = "if initial_page_script_hash:"
# Replaced, in streamlit_webrtc.component: the declared custom component that webrtc_streamer calls (a module
# global, looked up at call time). See serve_fixed_frontend.
WEBRTC_COMPONENT_FUNC = "_component_func"

# Two fixes to streamlit-webrtc's frontend bundle (frontend/dist/assets/index-*.js of 0.79.0).
#
# ONE_CONNECTION_PER_START. Its start() (the callback the desiredPlayingState effect calls while the
# component is STOPPED) first awaits the dynamic import of its WebRTC adapter and only then dispatches
# SIGNALLING_START. start() is a useCallback that depends on the component's args (rtcConfiguration,
# mediaStreamConstraints), which are new objects on every render message Streamlit posts to the iframe: on
# every change of its args, width, frame height (which the component itself sets as it draws), theme or
# disabled flag. Each such message during that await re-runs the effect, which still sees STOPPED and calls
# start() again: two or three RTCPeerConnections for one component, each making an offer and ICE candidates
# into the same component value. The server answers the first offer it sees; the browser applies the answer
# to whichever connection it created last, whose ICE then never completes (the connection stays
# "connecting"). The fix dispatches SIGNALLING_START (and resets the candidate ids) synchronously, before the
# await, so the next render already sees SIGNALLING and no second start() happens.
#
# RIDE_OUT_DISCONNECTED. It stops the connection (and so starts a new one) as soon as the browser reports the
# connection "disconnected". Chrome says "disconnected" when nothing came back on the selected candidate pair
# for a few seconds, which is what a loaded server looks like (the hub's event loop lags for seconds), and it
# goes back to "connected" by itself when packets flow again; "failed" comes when consent is really lost
# (RFC 7675: 30 s). Tearing down at "disconnected" turned every such stall into a new connection, a black gap
# for everyone watching, and a burst of full-page reruns. The fix stops only on "failed" or "closed".
#
# Each old text must occur exactly once in the bundle.
WEBRTC_FRONTEND_VERSION = "0.79.0"
ONE_CONNECTION_PER_START = (
    (
        "?(async()=>{await mw(()=>import(`./adapter_core-D_Iy9kFl.js`),__vite__mapDeps([0,1]),"
        "import.meta.url),l({type:`SIGNALLING_START`}),u.reset();",
        "?(l({type:`SIGNALLING_START`}),u.reset(),(async()=>{await mw("
        "()=>import(`./adapter_core-D_Iy9kFl.js`),__vite__mapDeps([0,1]),import.meta.url);",
    ),
    (
        "})().catch(e=>l({type:`ERROR`,error:e})):Promise.reject(Error(`WebRTC is already started`))",
        "})().catch(e=>l({type:`ERROR`,error:e}))):Promise.reject(Error(`WebRTC is already started`))",
    ),
)
RIDE_OUT_DISCONNECTED = (
    (
        "(c.connectionState===`disconnected`||c.connectionState===`closed`||c.connectionState===`failed`)"
        "&&f.current()",
        "(c.connectionState===`closed`||c.connectionState===`failed`)&&f.current()",
    ),
)
FRONTEND_FIXES = (*ONE_CONNECTION_PER_START, *RIDE_OUT_DISCONNECTED)
# The fixed frontend is served as a component of this name (this module's name + "." + it).
FIXED_FRONTEND_NAME = "webrtc_streamer"


def answer_each_offer(lifecycle: Callable[..., None]) -> Callable[..., None]:
    """Wrap streamlit-webrtc's _handle_worker_lifecycle so that every new SDP offer gets its own answer.

    streamlit-webrtc keeps one context per component key: the worker (server peer connection), the answer
    it made, and whether that answer was already sent. It forgets them only when a script run sees the
    browser side idle (neither playing nor signalling). When the server side of a connection dies (aiortc
    closes it on ICE consent expiry, for one) and the browser restarts that component at once (failed ->
    stopped -> new offer), the idle value is often overwritten before any full run reads it: the room page
    reruns on every component value and fragment tick, and a slow server coalesces them. The next run then
    sees a new offer and no live worker: it makes a new worker for the offer, but, the old answer being
    marked sent, it never sends the new one, and the browser's new peer connection is handed the previous
    connection's answer (other ICE credentials, candidates and DTLS fingerprint). Chrome then never gets a
    check through, the hub's new connection stays "checking", and the component times out and starts over.

    With this wrapper a context remembers which offer its answer is for. An offer other than that one is a
    new connection: the context is reset first (old worker stopped, old answer dropped), so the offer gets a
    fresh worker and its own answer. The offer already answered is never answered twice: when its worker is
    gone, no new worker is made for it (one would wait for checks that never come); the browser notices the
    dead connection and starts a new one.
    """

    def handle_worker_lifecycle(context: Any, key: str, sdp_offer: Any, **kwargs: Any) -> None:
        offer_sdp = sdp_offer.get("sdp") if isinstance(sdp_offer, dict) else None
        answered = getattr(context, ANSWERED_OFFER_ATTR, None)
        if offer_sdp and answered is not None and offer_sdp != answered:
            state = context.state
            getattr(component_module, WEBRTC_RESET)(context)
            context._set_state(state)  # what the browser last said; the reset assumes "idle"
            setattr(context, ANSWERED_OFFER_ATTR, None)
        elif offer_sdp and offer_sdp == answered and context._get_worker() is None:
            sdp_offer = None
        before = context._get_worker()
        try:
            lifecycle(context, key, sdp_offer, **kwargs)
        finally:
            worker = context._get_worker()
            if worker is not None and worker is not before and offer_sdp:
                setattr(context, ANSWERED_OFFER_ATTR, offer_sdp)  # a worker was made for this offer
            elif worker is None and not context.state.signalling and not context.state.playing:
                setattr(context, ANSWERED_OFFER_ATTR, None)

    handle_worker_lifecycle.__wrapped__ = lifecycle  # type: ignore[attr-defined]
    return handle_worker_lifecycle


def webrtc_frontend_dist() -> Path:
    """streamlit-webrtc's built frontend (the directory its component is declared with)."""
    return Path(component_module.__file__).parent / "frontend" / "dist"


def _frontend_bundle(dist: Path) -> Path:
    bundles = sorted((dist / "assets").glob("index-*.js"))
    if len(bundles) != 1:
        raise RuntimeError(f"expected one index-*.js in {dist / 'assets'}, found {len(bundles)}")
    return bundles[0]


def fix_frontend_source(source: str) -> str:
    """streamlit-webrtc's frontend bundle with FRONTEND_FIXES applied; RuntimeError when the bundle is not
    the one the fixes were written for."""
    positions = []
    for old, new in FRONTEND_FIXES:
        if source.count(old) != 1:
            raise RuntimeError(
                f"streamlit-webrtc's frontend has {source.count(old)} copies of {old[:60]!r}..., expected 1: "
                "re-check FRONTEND_FIXES in media/patches/webrtc_frontend.py"
            )
        positions.append(source.index(old))
        source = source.replace(old, new)
    # The two pieces of ONE_CONNECTION_PER_START belong to the same start() callback: the second closes
    # what the first opens.
    if not 0 < positions[1] - positions[0] < 4000:
        raise RuntimeError("streamlit-webrtc's start() changed shape: re-check ONE_CONNECTION_PER_START")
    return source


# Vesper's own folder for it, never the shared temporary directory: there the copy had a predictable name
# anyone on the machine could create first, and it was reused when its bundle alone matched.
FRONTEND_HOME = Path(__file__).resolve().parents[2] / "var" / "webrtc-frontend"


def private_dir(path: Path) -> Path:
    """`path`, made if need be, owned by this process's user and closed to everyone else (mode 0700);
    RuntimeError when another user owns it (it cannot be trusted, nor made private by us)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if path.is_symlink() or info.st_uid != os.getuid():
        raise RuntimeError(f"{path} is not Vesper's own folder (another owner, or a link): remove it")
    if info.st_mode & 0o077:
        path.chmod(0o700)
    return path


def _is_exact_copy(target: Path, dist: Path, bundle: Path, fixed: str) -> bool:
    """Every file of the installed frontend is in `target`, byte for byte (the bundle with its fixes), and
    nothing else is."""
    if not target.is_dir() or target.is_symlink():
        return False
    expected = {p.relative_to(dist): p for p in dist.rglob("*") if p.is_file()}
    found = {p.relative_to(target) for p in target.rglob("*") if p.is_file() or p.is_symlink()}
    if found != set(expected):
        return False
    fixed_bytes = fixed.encode("utf-8")
    for name, source in expected.items():
        copy = target / name
        want = fixed_bytes if source == bundle else source.read_bytes()
        if copy.is_symlink() or copy.read_bytes() != want:
            return False
    return True


def fixed_frontend_dir() -> Path:
    """A copy of streamlit-webrtc's frontend with the fixes applied, made once per bundle and fixes.

    The copy lives in FRONTEND_HOME (mode 0700, Vesper's user only), named after the installed version
    and a hash of the fixed bundle, so a changed bundle or fix gets a new directory (and a new URL, so no
    browser reuses a cached copy). Every file is checked against the installed frontend each time the
    portal starts; a copy that differs in any file is made again.
    """
    version = importlib.metadata.version("streamlit-webrtc")
    if version != WEBRTC_FRONTEND_VERSION:
        raise RuntimeError(
            f"media/patches/webrtc_frontend.py fixes streamlit-webrtc {WEBRTC_FRONTEND_VERSION}'s frontend, "
            f"but {version} is installed: re-check FRONTEND_FIXES (and whether they are still needed)"
        )
    dist = webrtc_frontend_dist()
    bundle = _frontend_bundle(dist)
    fixed = fix_frontend_source(bundle.read_text(encoding="utf-8"))
    digest = hashlib.sha256(fixed.encode("utf-8")).hexdigest()[:16]
    home = private_dir(FRONTEND_HOME)
    target = home / f"{version}-{digest}"
    if _is_exact_copy(target, dist, bundle, fixed):
        return target
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=home))
    try:
        shutil.copytree(dist, staging / "dist")
        (staging / "dist" / bundle.relative_to(dist)).write_text(fixed, encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(staging / "dist", target)
        except OSError:  # another process made it at the same moment: theirs is the same
            if not _is_exact_copy(target, dist, bundle, fixed):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def check_frontend() -> Path:
    """The guard of serve_fixed_frontend: the pinned version, a bundle the fixes apply to exactly, and a
    webrtc_streamer that still calls the module global it replaces. Returns the fixed frontend's directory."""
    if WEBRTC_COMPONENT_FUNC + "(" not in inspect.getsource(component_module.webrtc_streamer):
        raise RuntimeError(
            f"streamlit_webrtc.component.webrtc_streamer no longer calls {WEBRTC_COMPONENT_FUNC}: "
            "re-check media/patches/webrtc_frontend.py"
        )
    return fixed_frontend_dir()


def serve_fixed_frontend() -> Any:
    """Declare the fixed frontend as a component and make streamlit-webrtc's webrtc_streamer call it.

    webrtc_streamer calls the module global streamlit_webrtc.component._component_func; it becomes a
    component declared here (name "media.patches.webrtc_frontend.webrtc_streamer") whose files are
    fixed_frontend_dir(). Everything else (args, value, keys) is the same as with the original.
    """
    path = str(check_frontend())
    current = getattr(component_module, WEBRTC_COMPONENT_FUNC)
    if getattr(current, "path", None) == path:
        return current
    component = st_components.declare_component(FIXED_FRONTEND_NAME, path=path)
    # declare_component registers it only when called from a script run; the files must be served anyway.
    if streamlit.runtime.exists():
        streamlit.runtime.get_instance().component_registry.register_component(component)
    setattr(component_module, WEBRTC_COMPONENT_FUNC, component)
    return component


def fixed_frontend_served() -> bool:
    return getattr(getattr(component_module, WEBRTC_COMPONENT_FUNC), "name", None) == (
        f"{__name__}.{FIXED_FRONTEND_NAME}"
    )


def check_worker_hooks() -> None:
    """The guard of the hub loop/relay hook: the pinned version, and a WebRtcWorker that still resolves its
    loop and relay through the module globals replaced here (and a registry of live workers to read)."""
    pins.require_pinned(
        "streamlit-webrtc",
        WEBRTC_FRONTEND_VERSION,
        "media.patches.webrtc_frontend",
        "Re-check WEBRTC_HOOK_TARGETS, WEBRTC_LIVE_WORKERS and WebRtcWorker.__init__, then update "
        "WEBRTC_FRONTEND_VERSION.",
    )
    for name in WEBRTC_HOOK_TARGETS:
        if not callable(getattr(webrtc_module, name, None)):
            raise RuntimeError(
                f"streamlit_webrtc.webrtc.{name} is gone: re-check media/patches/webrtc_frontend.py"
            )
    if not webrtc_hook_targets_used():
        raise RuntimeError(
            "streamlit_webrtc.webrtc.WebRtcWorker no longer calls "
            f"{' and '.join(WEBRTC_HOOK_TARGETS)}: re-check media/patches/webrtc_frontend.py"
        )
    if not hasattr(webrtc_module, WEBRTC_LIVE_WORKERS):
        raise RuntimeError(
            f"streamlit_webrtc.webrtc.{WEBRTC_LIVE_WORKERS} is gone: "
            "re-check media/patches/webrtc_frontend.py"
        )


def check_lifecycle() -> None:
    """The guard of answer_each_offer: the pinned version, and the two component functions it relies on."""
    pins.require_pinned(
        "streamlit-webrtc",
        WEBRTC_FRONTEND_VERSION,
        "media.patches.webrtc_frontend",
        f"Re-check {WEBRTC_LIFECYCLE} and {WEBRTC_RESET}, then update WEBRTC_FRONTEND_VERSION.",
    )
    for name in (WEBRTC_LIFECYCLE, WEBRTC_RESET):
        if not callable(getattr(component_module, name, None)):
            raise RuntimeError(
                f"streamlit_webrtc.component.{name} is gone: re-check media/patches/webrtc_frontend.py"
            )


def lifecycle_wrapped() -> bool:
    return hasattr(getattr(component_module, WEBRTC_LIFECYCLE), "__wrapped__")


def _on_every_page(app_session: object) -> str:
    """Stands in for SessionShutdownObserver._resolve_initial_page_script_hash: no page, so no page switch
    stops a worker. A closed tab or a stopped server still does (the observer's other trigger)."""
    return ""


def check_across_pages() -> None:
    """The guard of keep_calls_across_pages: the pinned version, the method it replaces, and a polling
    thread that skips its page check for an empty page hash."""
    pins.require_pinned(
        "streamlit-webrtc",
        WEBRTC_FRONTEND_VERSION,
        "media.patches.webrtc_frontend",
        f"Re-check SessionShutdownObserver.{WEBRTC_PAGE_OF_WORKER} and _polling_thread_impl, then update "
        "WEBRTC_FRONTEND_VERSION.",
    )
    observer = shutdown_module.SessionShutdownObserver
    if not isinstance(observer.__dict__.get(WEBRTC_PAGE_OF_WORKER), staticmethod):
        raise RuntimeError(
            f"SessionShutdownObserver.{WEBRTC_PAGE_OF_WORKER} is gone or no longer a staticmethod: "
            "re-check media/patches/webrtc_frontend.py"
        )
    if WEBRTC_NAVIGATION_CHECK not in inspect.getsource(observer._polling_thread_impl):
        raise RuntimeError(
            "SessionShutdownObserver._polling_thread_impl no longer skips its page check for an empty page "
            "hash: re-check media/patches/webrtc_frontend.py"
        )


def keep_calls_across_pages() -> None:
    """Keep every webrtc worker running when its session opens another page.

    streamlit-webrtc assumes a component lives on one page of a multipage app and stops its worker when the
    session shows another. Vesper draws its call from the entrypoint, above every page, so the same
    component (same place, same key) is still there on the next page, and stopping its worker would cut the
    person's camera off from everyone for the seconds a new connection takes.
    """
    setattr(shutdown_module.SessionShutdownObserver, WEBRTC_PAGE_OF_WORKER, staticmethod(_on_every_page))


def calls_kept_across_pages() -> bool:
    method = shutdown_module.SessionShutdownObserver.__dict__.get(WEBRTC_PAGE_OF_WORKER)
    return isinstance(method, staticmethod) and method.__func__ is _on_every_page


def install_webrtc_hooks(get_hub: Callable[[], MediaHub]) -> None:
    """Make streamlit-webrtc run every peer connection on the hub's event loop, with no MediaRelay; answer
    every new offer; keep workers running across page switches; serve the fixed frontend. Every guard runs
    before anything is patched.

    Patched: streamlit_webrtc.webrtc.get_global_event_loop (normally Streamlit's own server loop) and
    streamlit_webrtc.webrtc.get_global_relay (normally a MediaRelay made on that loop). Peer connections on
    the hub's loop get media.passthrough's receivers, which yield encoded packets instead of frames.
    Installing again only points the loop and relay at `get_hub` again.
    """
    check_worker_hooks()
    check_lifecycle()
    check_frontend()
    check_across_pages()
    relay = PassThroughRelay()

    def hub_loop():  # type: ignore[no-untyped-def]
        return get_hub().loop

    def hub_relay() -> Any:
        return relay

    webrtc_module.get_global_event_loop = hub_loop  # type: ignore[assignment]
    webrtc_module.get_global_relay = hub_relay  # type: ignore[assignment]
    if not lifecycle_wrapped():
        setattr(
            component_module, WEBRTC_LIFECYCLE, answer_each_offer(getattr(component_module, WEBRTC_LIFECYCLE))
        )
    keep_calls_across_pages()
    serve_fixed_frontend()


def webrtc_hooks_installed() -> bool:
    return getattr(webrtc_module.get_global_relay, "__qualname__", "").startswith("install_webrtc_hooks")


def webrtc_hook_targets_used() -> bool:
    """Whether WebRtcWorker still resolves its loop and relay through the patched module globals."""
    source = inspect.getsource(webrtc_module.WebRtcWorker.__init__)
    return all(f"{name}()" in source for name in WEBRTC_HOOK_TARGETS)


def connection_of(sink: object, track: MediaStreamTrack) -> tuple[Any, Any]:
    """The peer connection and RTCRtpReceiver that `track` (handed to the MediaSink `sink`) arrives on, if
    found among streamlit-webrtc's live workers."""
    for worker in list(getattr(webrtc_module, WEBRTC_LIVE_WORKERS, ())):
        if sink not in (worker.sink_video_track, worker.sink_audio_track):
            continue
        for receiver in worker.pc.getReceivers():
            if receiver.track is track:
                return worker.pc, receiver
        return worker.pc, None
    return None, None


__all__ = [
    "ANSWERED_OFFER_ATTR",
    "FIXED_FRONTEND_NAME",
    "FRONTEND_FIXES",
    "ONE_CONNECTION_PER_START",
    "RIDE_OUT_DISCONNECTED",
    "WEBRTC_COMPONENT_FUNC",
    "WEBRTC_FRONTEND_VERSION",
    "WEBRTC_HOOK_TARGETS",
    "WEBRTC_LIFECYCLE",
    "WEBRTC_RESET",
    "WEBRTC_LIVE_WORKERS",
    "WEBRTC_NAVIGATION_CHECK",
    "WEBRTC_PAGE_OF_WORKER",
    "PassThroughRelay",
    "answer_each_offer",
    "calls_kept_across_pages",
    "check_across_pages",
    "check_frontend",
    "check_lifecycle",
    "check_worker_hooks",
    "connection_of",
    "fix_frontend_source",
    "fixed_frontend_dir",
    "fixed_frontend_served",
    "install_webrtc_hooks",
    "keep_calls_across_pages",
    "lifecycle_wrapped",
    "serve_fixed_frontend",
    "webrtc_hook_targets_used",
    "webrtc_frontend_dist",
    "webrtc_hooks_installed",
]
