"""The one small hook into aiortc that lets the hub forward encoded media without decoding it.

aiortc's RTCRtpReceiver reassembles each encoded frame and hands it to a decoder thread; the issue text says
"RTCRtpReceiver gets its decoder from aiortc.rtcrtpreceiver.get_decoder". Replacing get_decoder would change
every receiver in the process, including the client peers in tests and any page that really wants pictures.
So instead we replace `aiortc.rtcrtpreceiver.decoder_worker`, the module global that RTCRtpReceiver.receive()
passes as the decoder thread's target. It is the equivalent one-function hook, and it can tell receivers
apart: its first argument is the event loop of the receiver's peer connection. Receivers on a loop registered
here (the hub's MediaLoop) get a passthrough worker that turns each encoded frame into an av.Packet (pts,
time_base and a keyframe tag) with no decode; every other receiver gets aiortc's own decoder_worker.

RTCRtpSender already sends av.Packet objects as they are (Encoder.pack), so a packet received on the hub can
be handed to any number of senders with no encode.

The second hook wraps RTCRtpSender._send_keyframe (called on a subscriber's PLI/FIR): when the sender's track
is a hub forwarding track, the request is passed on to the hub, which asks the source (rate-limited).

Both hooks are tied to aiortc 1.16.0; install() refuses any other version, and checks the signatures.

Module state: `_REGISTRY` is the one module-level mutable object in media/. It is process-wide because the
hooked aiortc functions are process-wide; it holds the set of forwarding loops and the saved originals.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any

import av
from aiortc import rtcrtpreceiver, rtcrtpsender
from aiortc.mediastreams import MediaStreamTrack

from media import pins

logger = logging.getLogger(__name__)

PINNED_AIORTC = "1.16.0"

# Attribute a MediaStreamTrack sets to a zero-argument callable to be told of a subscriber's PLI/FIR.
KEYFRAME_REQUEST_ATTR = "on_subscriber_keyframe_request"

_EXPECTED_DECODER_WORKER = ["loop", "input_q", "output_q", "decode_error"]
_EXPECTED_SEND_KEYFRAME = ["self"]
_EXPECTED_SEND_RTCP_PLI = ["self", "media_ssrc"]


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
        self.original_decoder_worker: Callable[..., None] | None = None
        self.original_send_keyframe: Callable[..., None] | None = None


_REGISTRY = _Registry()


def is_keyframe(codec_name: str, data: bytes) -> bool:
    """Whether an encoded frame can start a decoder: VP8 by its frame tag, audio always, H.264 by NAL type."""
    name = codec_name.upper()
    if name == "VP8":
        # RFC 6386 9.1: bit 0 of the frame tag is 0 for a key frame.
        return len(data) > 0 and (data[0] & 0x01) == 0
    if name == "H264":
        return _h264_has_idr(data)
    return True  # audio codecs (Opus, G.711, G.722) have no inter-frame dependency worth waiting for


def _h264_has_idr(data: bytes) -> bool:
    # aiortc's h264_depayload produces Annex B: NAL units behind 00 00 01 / 00 00 00 01 start codes.
    i = 0
    while True:
        i = data.find(b"\x00\x00\x01", i)
        if i < 0 or i + 3 >= len(data):
            return False
        if data[i + 3] & 0x1F in (5, 7):  # IDR slice or sequence parameter set
            return True
        i += 3


def make_packet(codec: Any, encoded_frame: Any) -> av.Packet:
    """An av.Packet for one reassembled frame, as aiortc's encoders' pack() expects it."""
    packet = av.Packet(encoded_frame.data)
    packet.pts = encoded_frame.timestamp
    packet.time_base = fractions.Fraction(1, codec.clockRate)
    packet.is_keyframe = is_keyframe(codec.name, encoded_frame.data)
    return packet


def passthrough_worker(
    loop: asyncio.AbstractEventLoop, input_q: queue.Queue, output_q: asyncio.Queue
) -> None:
    """Decoder-thread body for forwarding receivers: encoded frame in, av.Packet out, nothing decoded."""
    while True:
        task = input_q.get()
        if task is None:
            _put(loop, output_q, None)  # tells the RemoteStreamTrack it has ended
            break
        codec, encoded_frame = task
        if not _put(loop, output_q, make_packet(codec, encoded_frame)):
            break


def _put(loop: asyncio.AbstractEventLoop, output_q: asyncio.Queue, item: Any) -> bool:
    try:
        asyncio.run_coroutine_threadsafe(output_q.put(item), loop)
    except RuntimeError:  # the loop has closed under us (shutdown): nobody is listening any more
        return False
    return True


def _decoder_worker_dispatch(
    loop: asyncio.AbstractEventLoop,
    input_q: queue.Queue,
    output_q: asyncio.Queue,
    decode_error: threading.Event,
) -> None:
    if is_forwarding_loop(loop):
        passthrough_worker(loop, input_q, output_q)
        return
    original = _REGISTRY.original_decoder_worker
    assert original is not None
    original(loop, input_q, output_q, decode_error)


def find_keyframe_handler(track: MediaStreamTrack | None) -> Callable[[], None] | None:
    """The hub callback behind a sender's track, looking through MediaRelay proxies (streamlit-webrtc)."""
    for _ in range(4):
        if track is None:
            return None
        handler = getattr(track, KEYFRAME_REQUEST_ATTR, None)
        if callable(handler):
            return handler
        track = getattr(track, "_source", None)  # aiortc.contrib.media.RelayStreamTrack
    return None


def _send_keyframe_hook(self: rtcrtpsender.RTCRtpSender) -> None:
    original = _REGISTRY.original_send_keyframe
    assert original is not None
    original(self)
    handler = find_keyframe_handler(self.track)
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
        "media.passthrough",
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


def register_forwarding_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Receivers created on `loop` from now on yield av.Packet instead of decoded frames."""
    install()
    with _REGISTRY.lock:
        _REGISTRY.loops.add(loop)


def unregister_forwarding_loop(loop: asyncio.AbstractEventLoop) -> None:
    with _REGISTRY.lock:
        _REGISTRY.loops.discard(loop)


def is_forwarding_loop(loop: asyncio.AbstractEventLoop) -> bool:
    with _REGISTRY.lock:
        return loop in _REGISTRY.loops
