"""Forwarding without decoding: what a receiver on the hub's loop yields, and how a keyframe request finds
the hub.

aiortc's RTCRtpReceiver reassembles each encoded frame and hands it to a decoder thread. On a forwarding loop
(the hub's MediaLoop, registered here) that thread is passthrough_worker instead: it turns each encoded frame
into an av.Packet (pts, time_base and a keyframe tag) with no decode; every other receiver keeps aiortc's own
decoder. RTCRtpSender already sends av.Packet objects as they are (Encoder.pack), so a packet received on the
hub can be handed to any number of senders with no encode. A subscriber's PLI/FIR reaches the hub through
find_keyframe_handler.

The hooks that make aiortc call into this module live in media/patches/aiortc_forwarding.py and are
installed at start-up (media.patches.install_all); this module touches no aiortc internals itself.

Module state: `_LOOPS` is process-wide because the hooked aiortc functions are process-wide: the set of
forwarding loops, behind a lock.
"""

from __future__ import annotations

import asyncio
import fractions
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any

import av
from aiortc.mediastreams import MediaStreamTrack

# Attribute a MediaStreamTrack sets to a zero-argument callable to be told of a subscriber's PLI/FIR.
KEYFRAME_REQUEST_ATTR = "on_subscriber_keyframe_request"


class _Loops:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


_LOOPS = _Loops()


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


def register_forwarding_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Receivers created on `loop` from now on yield av.Packet instead of decoded frames (once
    media/patches/aiortc_forwarding.py is installed)."""
    with _LOOPS.lock:
        _LOOPS.loops.add(loop)


def unregister_forwarding_loop(loop: asyncio.AbstractEventLoop) -> None:
    with _LOOPS.lock:
        _LOOPS.loops.discard(loop)


def is_forwarding_loop(loop: asyncio.AbstractEventLoop) -> bool:
    with _LOOPS.lock:
        return loop in _LOOPS.loops
