"""The two hooks into aiortc that let the hub forward encoded media without decoding it (media.passthrough).

aiortc's RTCRtpReceiver gets its decoder from aiortc.rtcrtpreceiver.get_decoder. Replacing get_decoder would
change every receiver in the process, including the client peers in tests and any page that really wants
pictures. So instead we replace `aiortc.rtcrtpreceiver.decoder_worker`, the module global that
RTCRtpReceiver.receive() passes as the decoder thread's target. It is the equivalent one-function hook, and it
can tell receivers apart: its first argument is the event loop of the receiver's peer connection. Receivers on
a forwarding loop (media.passthrough.register_forwarding_loop: the hub's MediaLoop) get
media.passthrough.passthrough_worker; every other receiver gets aiortc's own decoder_worker.

The second hook wraps RTCRtpSender._send_keyframe (called on a subscriber's PLI/FIR): when the sender's track
is a hub forwarding track, the request is passed on to the hub, which asks the source (rate-limited).

Both are tied to aiortc PINNED_AIORTC: install() refuses any other version, and checks the signatures.

Module state: `_REGISTRY` holds the saved originals; it is process-wide because the hooked aiortc functions
are.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable

from aiortc import rtcrtpreceiver, rtcrtpsender

from media import passthrough
from media.patches import pins

logger = logging.getLogger(__name__)

PINNED_AIORTC = "1.16.0"

_EXPECTED_DECODER_WORKER = ["loop", "input_q", "output_q", "decode_error"]
_EXPECTED_SEND_KEYFRAME = ["self"]
_EXPECTED_SEND_RTCP_PLI = ["self", "media_ssrc"]


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.original_decoder_worker: Callable[..., None] | None = None
        self.original_send_keyframe: Callable[..., None] | None = None


_REGISTRY = _Registry()


def _decoder_worker_dispatch(
    loop: asyncio.AbstractEventLoop,
    input_q: queue.Queue,
    output_q: asyncio.Queue,
    decode_error: threading.Event,
) -> None:
    if passthrough.is_forwarding_loop(loop):
        passthrough.passthrough_worker(loop, input_q, output_q)
        return
    original = _REGISTRY.original_decoder_worker
    assert original is not None
    original(loop, input_q, output_q, decode_error)


def _send_keyframe_hook(self: rtcrtpsender.RTCRtpSender) -> None:
    original = _REGISTRY.original_send_keyframe
    assert original is not None
    original(self)
    handler = passthrough.find_keyframe_handler(self.track)
    if handler is not None:
        try:
            handler()
        except Exception:  # a hub bug must not break aiortc's RTCP handling
            logger.exception("keyframe request handler failed")


def check_versions() -> None:
    """Refuse to hook an aiortc whose internals we have not checked."""
    pins.require_pinned(
        "aiortc",
        PINNED_AIORTC,
        "media.patches.aiortc_forwarding",
        "Re-check rtcrtpreceiver.decoder_worker and RTCRtpSender._send_keyframe, then update PINNED_AIORTC.",
    )
    worker = _REGISTRY.original_decoder_worker or rtcrtpreceiver.decoder_worker
    checks = [
        ("aiortc.rtcrtpreceiver.decoder_worker", worker, _EXPECTED_DECODER_WORKER),
        (
            "RTCRtpSender._send_keyframe",
            _REGISTRY.original_send_keyframe or rtcrtpsender.RTCRtpSender._send_keyframe,
            _EXPECTED_SEND_KEYFRAME,
        ),
        (
            "RTCRtpReceiver._send_rtcp_pli",
            rtcrtpreceiver.RTCRtpReceiver._send_rtcp_pli,
            _EXPECTED_SEND_RTCP_PLI,
        ),
    ]
    for name, fn, expected in checks:
        if pins.params(fn) != expected:
            raise RuntimeError(
                f"{name} has parameters {pins.params(fn)}, expected {expected}; aiortc changed"
            )


def installed() -> bool:
    return rtcrtpreceiver.decoder_worker is _decoder_worker_dispatch


def keyframe_hook_installed() -> bool:
    return rtcrtpsender.RTCRtpSender._send_keyframe is _send_keyframe_hook


def install() -> None:
    """Install both hooks (idempotent, thread-safe)."""
    with _REGISTRY.lock:
        if installed():
            return
        check_versions()
        _REGISTRY.original_decoder_worker = rtcrtpreceiver.decoder_worker
        _REGISTRY.original_send_keyframe = rtcrtpsender.RTCRtpSender._send_keyframe
        rtcrtpreceiver.decoder_worker = _decoder_worker_dispatch
        rtcrtpsender.RTCRtpSender._send_keyframe = _send_keyframe_hook  # type: ignore[method-assign]


def uninstall() -> None:
    """Put aiortc back as it was (tests)."""
    with _REGISTRY.lock:
        if not installed():
            return
        rtcrtpreceiver.decoder_worker = _REGISTRY.original_decoder_worker  # type: ignore[assignment]
        rtcrtpsender.RTCRtpSender._send_keyframe = _REGISTRY.original_send_keyframe  # type: ignore[method-assign]
        _REGISTRY.original_decoder_worker = _REGISTRY.original_send_keyframe = None


__all__ = ["PINNED_AIORTC", "check_versions", "install", "installed", "keyframe_hook_installed", "uninstall"]
