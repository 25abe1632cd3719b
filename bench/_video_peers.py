"""Synthetic video peers for bench/video_room.py: a camera that writes its send time into the picture, and a
client that publishes one camera per peer and subscribes every peer to every other peer.

The send time survives VP8 because it is painted as big black and white blocks (16x16, aligned to VP8's
macroblocks): 32 bits of milliseconds since a shared epoch, 8 bits of source index and an 8-bit CRC, so a
frame whose stamp was damaged by lossy coding is counted as unreadable rather than misread.
"""

from __future__ import annotations

import asyncio
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

WIDTH, HEIGHT, FPS = 640, 360, 15
BLOCK = 16
BLOCKS_PER_ROW = WIDTH // BLOCK  # 40
STAMP_BITS = 48  # 32 bits of send time, 8 of source index, 8 of CRC
STAMP_ROWS = -(-STAMP_BITS // BLOCKS_PER_ROW)
VIDEO_TIME_BASE = Fraction(1, 90000)

# Solid backgrounds (Y, U, V), one per peer; mid-grey luma keeps the stamp's black and white far from it.
BACKGROUNDS = [(110, 90, 170), (130, 170, 80), (100, 160, 160), (140, 80, 100), (120, 128, 128)]


class Clock:
    """Milliseconds since a shared epoch, on this process's monotonic clock.

    Every sender and receiver lives in this process, so both ends of a measured delay read one clock.
    """

    def __init__(self) -> None:
        self.epoch = time.monotonic()

    def ms(self) -> int:
        return int((time.monotonic() - self.epoch) * 1000)


# --- the stamp ---------------------------------------------------------------------------------------------


def stamp_bits(send_ms: int, source: int) -> np.ndarray:
    body = (send_ms & 0xFFFFFFFF).to_bytes(4, "big") + bytes([source & 0xFF])
    word = int.from_bytes(body + bytes([zlib.crc32(body) & 0xFF]), "big")
    return np.array([(word >> (STAMP_BITS - 1 - k)) & 1 for k in range(STAMP_BITS)], dtype=np.uint8)


def paint_stamp(luma: np.ndarray, send_ms: int, source: int) -> None:
    """Paint the stamp into the top rows of a (HEIGHT, WIDTH) luma array, in place."""
    bits = np.zeros(STAMP_ROWS * BLOCKS_PER_ROW, dtype=np.uint8)
    bits[:STAMP_BITS] = stamp_bits(send_ms, source)
    # Unused blocks stay black; each bit becomes a 16x16 block of 0 or 255.
    blocks = (bits * 255).reshape(STAMP_ROWS, BLOCKS_PER_ROW)
    luma[: STAMP_ROWS * BLOCK, :WIDTH] = np.repeat(np.repeat(blocks, BLOCK, axis=0), BLOCK, axis=1)


def read_stamp(luma: np.ndarray) -> tuple[int, int] | None:
    """(send_ms, source) from a decoded luma plane (rows x line size), or None if the CRC does not match."""
    top = luma[: STAMP_ROWS * BLOCK, :WIDTH].reshape(STAMP_ROWS, BLOCK, BLOCKS_PER_ROW, BLOCK)
    # The middle 8x8 of every block: VP8's ringing lives at the block edges.
    means = top[:, 4:12, :, 4:12].mean(axis=(1, 3)).reshape(-1)[:STAMP_BITS]
    word = 0
    for bit in means > 128:
        word = (word << 1) | int(bit)
    raw = word.to_bytes(STAMP_BITS // 8, "big")
    if zlib.crc32(raw[:5]) & 0xFF != raw[5]:
        return None
    return int.from_bytes(raw[:4], "big"), raw[4]


def luma_of(frame: av.VideoFrame) -> np.ndarray:
    """The decoded frame's Y plane as a (height, line size) view, without converting the frame."""
    plane = frame.planes[0]
    return np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)


# --- the camera --------------------------------------------------------------------------------------------


class StampedCamera(MediaStreamTrack):
    """A fake camera: a solid colour with the send time stamped in, already VP8-encoded.

    It hands aiortc encoded packets (which RTCRtpSender only packetizes), so the peer's own encoder is ours
    and cheap: libvpx at its fastest realtime setting, one thread, a keyframe every second (a new
    subscriber waits at most that long for a picture; aiortc cannot force a keyframe on a packet track).
    """

    kind = "video"

    def __init__(self, source: int, clock: Clock, fps: int = FPS) -> None:
        super().__init__()
        self.source = source
        self.clock = clock
        self.fps = fps
        y, u, v = BACKGROUNDS[source % len(BACKGROUNDS)]
        # yuv420p as from_ndarray wants it: Y rows, then U, then V, each packed into WIDTH columns.
        self._yuv = np.empty((HEIGHT * 3 // 2, WIDTH), dtype=np.uint8)
        self._yuv[:HEIGHT] = y
        self._yuv[HEIGHT : HEIGHT + HEIGHT // 4] = u
        self._yuv[HEIGHT + HEIGHT // 4 :] = v
        self._luma = self._yuv[:HEIGHT]
        self._codec = av.CodecContext.create("libvpx", "w")
        self._codec.width, self._codec.height, self._codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        self._codec.time_base = Fraction(1, fps)
        self._codec.framerate = Fraction(fps, 1)
        self._codec.bit_rate = 300_000
        self._codec.gop_size = fps
        self._codec.thread_count = 1
        self._codec.options = {
            "deadline": "realtime",
            "cpu-used": "16",
            "lag-in-frames": "0",
            "static-thresh": "1",
            "partitions": "0",
        }
        self._count = 0
        self._start: float | None = None
        self._keyframe_wanted = False
        self.sent_ms: list[int] = []  # send time of every frame handed to the sender
        self.sent_bytes = 0

    def request_keyframe(self) -> None:
        """Called in place of the sender's own keyframe request (a PLI or FIR from the far end)."""
        self._keyframe_wanted = True

    async def recv(self) -> av.Packet:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self._start is None:
                self._start = time.monotonic()
            due = self._start + self._count / self.fps
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            index = self._count
            self._count += 1
            send_ms = self.clock.ms()
            paint_stamp(self._luma, send_ms, self.source)
            frame = av.VideoFrame.from_ndarray(self._yuv, format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, self.fps)
            if self._keyframe_wanted:
                frame.pict_type, self._keyframe_wanted = av.video.frame.PictureType.I, False
            data = b"".join(bytes(p) for p in self._codec.encode(frame))
            if not data:
                continue  # the rate controller dropped it; nothing was sent
            self.sent_ms.append(send_ms)
            self.sent_bytes += len(data)
            packet = av.Packet(data)
            packet.pts, packet.time_base = index * (90000 // self.fps), VIDEO_TIME_BASE
            return packet


# --- the client --------------------------------------------------------------------------------------------


@dataclass
class Subscription:
    viewer: int
    source: int
    received: list[tuple[int, int]] = field(default_factory=list)  # (send_ms, receive_ms) per readable frame
    unreadable: int = 0
    misrouted: int = 0  # a readable frame from some other source


def _send_camera(pc: RTCPeerConnection, camera: StampedCamera) -> None:
    transceiver = pc.addTransceiver(camera, direction="sendonly")
    _vp8_only(transceiver)
    # aiortc forces keyframes only on tracks that give it raw frames; pass a far end's PLI to the camera.
    transceiver.sender._send_keyframe = camera.request_keyframe


async def watch(track: MediaStreamTrack, sub: Subscription, clock: Clock) -> None:
    """Read every decoded frame's stamp, as it comes out of the receiver."""
    try:
        while True:
            frame = await track.recv()
            now = clock.ms()
            stamp = read_stamp(luma_of(frame))
            if stamp is None:
                sub.unreadable += 1
            elif stamp[1] != sub.source:
                sub.misrouted += 1
            else:
                sub.received.append((stamp[0], now))
    except MediaStreamError:
        pass


async def direct_delays(clock: Clock, seconds: float) -> list[int]:
    """Delays of one camera sent straight to one receiver in this process: the floor with no server."""
    camera = StampedCamera(0, clock)
    tx = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    rx = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        _send_camera(tx, camera)
        await tx.setLocalDescription(await tx.createOffer())
        await rx.setRemoteDescription(tx.localDescription)
        await rx.setLocalDescription(await rx.createAnswer())
        await tx.setRemoteDescription(rx.localDescription)
        sub = Subscription(1, 0)
        task = asyncio.ensure_future(watch(rx.getTransceivers()[0].receiver.track, sub, clock))
        for _ in range(100):
            if sub.received:
                break
            await asyncio.sleep(0.1)
        t0 = clock.ms()
        await asyncio.sleep(seconds)
        t1 = clock.ms()
        await asyncio.sleep(0.5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return [rxms - txms for txms, rxms in sub.received if t0 <= txms < t1]
    finally:
        await tx.close()
        await rx.close()


def _vp8_only(transceiver) -> None:
    caps = RTCRtpSender.getCapabilities("video")
    transceiver.setCodecPreferences([c for c in caps.codecs if c.mimeType in ("video/VP8", "video/rtx")])


class Rpc:
    """A blocking request/response call to the server process, serialised so threads can share it."""

    def __init__(self, conn) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def __call__(self, *request):
        with self._lock:
            self._conn.send(request)
            ok, value = self._conn.recv()
        if not ok:
            raise RuntimeError(f"server failed on {request[0]}: {value}")
        return value


class PeerGroup:
    """N peers in one process: N publishing connections and N x (N-1) receiving connections."""

    def __init__(self, n: int, rpc: Callable, clock: Clock, beat_rpc: Callable | None = None) -> None:
        self.n = n
        self.rpc = rpc
        # Heartbeats on their own channel, so a long queue of negotiations never holds them back.
        self.beat_rpc = beat_rpc or rpc
        self.clock = clock
        self.participants: list[str] = []
        self.cameras: list[StampedCamera] = []
        self.subscriptions: list[Subscription] = []
        self.dropped: set[str] = set()  # participants the server no longer has in the room
        self.failed_connections = 0
        self._pcs: list[RTCPeerConnection] = []
        self._tasks: list[asyncio.Task] = []

    async def _call(self, *request, rpc: Callable | None = None):
        return await asyncio.get_running_loop().run_in_executor(None, rpc or self.rpc, *request)

    def _connection(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pcs.append(pc)

        @pc.on("connectionstatechange")
        async def _on_state() -> None:
            if pc.connectionState == "failed":
                self.failed_connections += 1
                await pc.close()

        return pc

    async def _offer(self, pc: RTCPeerConnection) -> tuple[str, str]:
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp, pc.localDescription.type

    async def publish(self) -> None:
        for i in range(self.n):
            self.participants.append(await self._call("join", i))
        for i, pid in enumerate(self.participants):
            camera = StampedCamera(i, self.clock)
            pc = self._connection()
            _send_camera(pc, camera)
            # An audio m-line with no track (so no audio packets): the hub's publishing answer expects one.
            pc.addTransceiver("audio", direction="sendonly")
            sdp, kind = await self._call("negotiate", pid, *await self._offer(pc))
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
            self.cameras.append(camera)

    async def subscribe_all(self) -> None:
        pairs = [(v, s) for v in range(self.n) for s in range(self.n) if v != s]
        await asyncio.gather(*(self._subscribe(v, s) for v, s in pairs))

    async def _subscribe(self, viewer: int, source: int) -> None:
        pc = self._connection()
        transceiver = pc.addTransceiver("video", direction="recvonly")
        _vp8_only(transceiver)
        pc.addTransceiver("audio", direction="recvonly")  # the sources send none; see publish()
        offer = await self._offer(pc)
        sdp, kind = await self._call(
            "subscribe", self.participants[viewer], self.participants[source], *offer
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
        sub = Subscription(viewer, source)
        self.subscriptions.append(sub)
        self._tasks.append(asyncio.ensure_future(watch(transceiver.receiver.track, sub, self.clock)))

    async def heartbeats(self, every: float = 2.0) -> None:
        while True:
            for pid in self.participants:
                state = await self._call("heartbeat", pid, rpc=self.beat_rpc)
                if state is not None and getattr(state, "value", state) != "in_room":
                    self.dropped.add(pid)
            await asyncio.sleep(every)

    async def wait_for_pictures(self, timeout: float) -> bool:
        """True once every subscription has shown at least one readable frame."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.subscriptions and all(s.received for s in self.subscriptions):
                return True
            await asyncio.sleep(0.1)
        return False

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(pc.close() for pc in self._pcs), return_exceptions=True)
