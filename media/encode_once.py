"""The fallback for when decoded pictures are really needed: decode once, encode once, for everyone.

Selective forwarding (media.forward) never decodes. Some future features do need pictures: a recorder, a
burned-in caption, a blur. MediaRelay would then encode once per subscriber (N x (N-1) encodes in a room);
EncodeOnceFanout decodes a source once, optionally transforms the picture, encodes it once, and hands every
subscriber the very same av.Packet, which their RTCRtpSender sends as it is (Encoder.pack). DecodedTap gives
the decoded pictures to one more consumer (e.g. a recorder) without touching what subscribers get.

Runs on whatever loop it is created on (the hub's MediaLoop in production); decode and encode run in the
default executor so the loop stays free for RTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.forward import ForwardTrack

logger = logging.getLogger(__name__)

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
DEFAULT_BITRATE = 500_000


class DecodedTap(MediaStreamTrack):
    """Decoded frames of one source for one consumer; drops the oldest frame rather than fall behind."""

    kind = "video"

    def __init__(self, maxsize: int = 5) -> None:
        super().__init__()
        self._queue: asyncio.Queue[av.VideoFrame | None] = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, frame: av.VideoFrame) -> None:
        if self.readyState != "live":
            return
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(frame)

    async def recv(self) -> av.VideoFrame:  # type: ignore[override]
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        if self.readyState == "ended":
            return
        super().stop()
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)


class EncodeOnceFanout:
    """Decode a VP8 source once per frame and encode once per frame for all its subscribers."""

    def __init__(
        self,
        source: MediaStreamTrack,
        *,
        transform: Callable[[av.VideoFrame], av.VideoFrame] | None = None,
        bitrate: int = DEFAULT_BITRATE,
        source_id: str = "source",
    ) -> None:
        self.source = source
        self.source_id = source_id
        self._transform = transform
        self._bitrate = bitrate
        self._decoder = av.CodecContext.create("vp8", "r")
        self._encoder: av.VideoCodecContext | None = None
        self._force_keyframe = False
        self._subscribers: list[ForwardTrack] = []
        self._taps: list[DecodedTap] = []
        self._task: asyncio.Task[None] | None = None
        self.decode_calls = 0  # packets decoded: one per source frame, whatever the number of subscribers
        self.encode_calls = 0  # frames encoded: one per decoded frame, whatever the number of subscribers

    # -- consumers -------------------------------------------------------------------------------------------

    def subscribe(self, viewer_id: str = "viewer") -> ForwardTrack:
        """A track for one subscriber's RTCRtpSender: the shared encoded packets, starting at a keyframe."""
        track = ForwardTrack(
            "video", source_id=self.source_id, viewer_id=viewer_id, request_keyframe=self._request_keyframe
        )
        self._subscribers.append(track)
        self._ensure_running()
        return track

    def tap(self, maxsize: int = 5) -> DecodedTap:
        """Decoded frames for one consumer (recorder); does not affect the subscribers."""
        tap = DecodedTap(maxsize)
        self._taps.append(tap)
        self._ensure_running()
        return tap

    def _request_keyframe(self) -> None:
        self._force_keyframe = True

    # -- the work --------------------------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    item = await self.source.recv()
                except MediaStreamError:
                    break
                frames = await loop.run_in_executor(None, self._decode, item)
                for frame in frames:
                    for tap in list(self._taps):
                        tap.offer(frame)
                    live = [s for s in self._subscribers if s.readyState == "live"]
                    if not live:
                        continue
                    packets = await loop.run_in_executor(None, self._encode, frame)
                    for packet in packets:
                        for sub in live:
                            sub.offer(packet)  # the same av.Packet object for every subscriber
        finally:
            self._end_consumers()

    def _decode(self, item: object) -> list[av.VideoFrame]:
        if isinstance(item, av.VideoFrame):
            return [item]  # the source is already decoded (not on a forwarding loop)
        assert isinstance(item, av.Packet)
        self.decode_calls += 1
        try:
            return list(self._decoder.decode(item))
        except av.FFmpegError as exc:
            logger.warning("encode-once: cannot decode a frame of %s: %s", self.source_id, exc)
            return []

    def _encode(self, frame: av.VideoFrame) -> list[av.Packet]:
        if self._transform is not None:
            frame = self._transform(frame)
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        encoder = self._encoder
        if encoder is None or encoder.width != frame.width or encoder.height != frame.height:
            encoder = self._encoder = self._new_encoder(frame.width, frame.height)
            self._force_keyframe = True
        out = av.VideoFrame.from_ndarray(frame.to_ndarray(), format="yuv420p")
        out.pts = self.encode_calls
        out.time_base = encoder.time_base
        if self._force_keyframe:
            self._force_keyframe = False
            out.pict_type = av.video.frame.PictureType.I
        self.encode_calls += 1
        packets = list(encoder.encode(out))
        pts = frame.pts if frame.pts is not None else 0
        time_base = frame.time_base or VIDEO_TIME_BASE
        for packet in packets:
            # Keep the source's timing: RTCRtpSender turns pts/time_base into the RTP timestamp.
            packet.pts = pts
            packet.time_base = time_base
        return packets

    def _new_encoder(self, width: int, height: int) -> av.VideoCodecContext:
        encoder = av.CodecContext.create("libvpx", "w")
        encoder.width = width
        encoder.height = height
        encoder.pix_fmt = "yuv420p"
        encoder.bit_rate = self._bitrate
        encoder.time_base = fractions.Fraction(1, 30)
        encoder.gop_size = 3000  # keyframes on request only, as aiortc does
        encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
        return encoder

    def _end_consumers(self) -> None:
        for track in [*self._subscribers, *self._taps]:
            track.stop()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._end_consumers()
