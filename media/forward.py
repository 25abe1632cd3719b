"""Selective forwarding: one source's encoded packets fanned out to each subscriber, untouched.

Everything here runs on the hub's MediaLoop thread; nothing is thread-safe on its own.

- Source: one participant's audio or video. A reader task pulls av.Packet objects from the remote track and
  offers each to every subscriber's ForwardTrack without awaiting anything, so a stalled subscriber never
  holds up the others, and a stalled source only idles its own subscribers.
- ForwardTrack: what one subscriber's RTCRtpSender reads. A small bounded queue; on overflow the oldest
  packet goes (audio) or, for video, the queue is flushed and the track waits for the next keyframe, because
  the delta frames left behind a gap would only decode as garbage.
- KeyframeRequester: RTCP PLI towards the source, at most one per interval, later requests coalesced, so one
  lossy subscriber cannot make a source send keyframes all the time.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable

import av
from aiortc import RTCRtpReceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

logger = logging.getLogger(__name__)

KINDS = ("audio", "video")
VIDEO_QUEUE = 10  # ~0.7 s at 15 fps: enough to ride out a scheduling hiccup, small enough to stay live
AUDIO_QUEUE = 25  # 0.5 s of 20 ms Opus packets
KEYFRAME_RETRY = 1.0  # seconds a waiting viewer lets pass before asking the source for a keyframe again


def _is_key(item: object) -> bool:
    # Decoded frames (a source not on the forwarding loop) stand alone; packets carry the passthrough's tag.
    return item.is_keyframe if isinstance(item, av.Packet) else True


class KeyframeRequester:
    """Rate-limited picture-loss requests from the hub's receiver to one video source."""

    def __init__(self, min_interval: float = 0.5) -> None:
        self.min_interval = min_interval
        self.receiver: RTCRtpReceiver | None = None
        self.sent = 0  # PLI packets sent (one per media SSRC per request)
        self.requests = 0
        self._last = -math.inf
        self._timer: asyncio.TimerHandle | None = None
        self._pending = False  # asked before we knew the source's SSRC
        self._tasks: set[asyncio.Task[None]] = set()

    def request(self) -> None:
        self.requests += 1
        if self._timer is not None:
            return  # coalesced into the one already scheduled
        loop = asyncio.get_running_loop()
        wait = self._last + self.min_interval - loop.time()
        if wait <= 0:
            self._send()
        else:
            self._timer = loop.call_later(wait, self._fire)

    def on_packet(self) -> None:
        if self._pending:
            self._pending = False
            self.request()

    def _fire(self) -> None:
        self._timer = None
        self._send()

    def _send(self) -> None:
        receiver = self.receiver
        ssrcs = [s.source for s in receiver.getSynchronizationSources()] if receiver is not None else []
        if not ssrcs:
            logger.debug("keyframe request deferred: receiver %s, no SSRC yet", receiver)
            self._pending = True
            return
        logger.debug("PLI to %s", ssrcs)
        self._last = asyncio.get_running_loop().time()
        # getSynchronizationSources may also list the RTX SSRC; a PLI for it is routed nowhere and ignored.
        for ssrc in ssrcs:
            task = asyncio.ensure_future(receiver._send_rtcp_pli(ssrc))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            self.sent += 1

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.receiver = None


class ForwardTrack(MediaStreamTrack):
    """One subscriber's copy of one source: recv() returns the source's av.Packet objects as they are."""

    def __init__(
        self,
        kind: str,
        *,
        source_id: str,
        viewer_id: str,
        request_keyframe: Callable[[], None],
        maxsize: int | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.source_id = source_id
        self.viewer_id = viewer_id
        self._request_keyframe = request_keyframe
        self._queue: asyncio.Queue[object] = asyncio.Queue(
            maxsize=maxsize or (VIDEO_QUEUE if kind == "video" else AUDIO_QUEUE)
        )
        self._started = False  # the sender has started reading: packets before that would only go stale
        self._await_keyframe = kind == "video"  # browsers must never start on a delta frame
        self.forwarded = 0
        self.dropped = 0
        self.overflows = 0
        self.keyframe_retries = 0

    @property
    def started(self) -> bool:
        return self._started

    def on_subscriber_keyframe_request(self) -> None:
        """Called by media.passthrough when this track's subscriber sends PLI/FIR."""
        if self.kind == "video" and self.readyState == "live":
            self._request_keyframe()

    def need_keyframe(self) -> None:
        """Drop deltas until the next keyframe (after a gap: camera back on, source replaced)."""
        if self.kind == "video":
            self._await_keyframe = True

    def offer(self, item: object) -> None:
        """Queue one packet for the subscriber; never blocks."""
        if self.readyState != "live" or not self._started:
            return
        key = _is_key(item)
        if self._await_keyframe:
            if not key:
                self.dropped += 1
                return
            self._await_keyframe = False
        if self._queue.full():
            self.overflows += 1
            if self.kind == "video":
                self.dropped += self._flush()
                if not key:
                    self._await_keyframe = True
                    self.dropped += 1
                    self._request_keyframe()
                    return
            else:
                self._queue.get_nowait()
                self.dropped += 1
        self._queue.put_nowait(item)

    async def recv(self) -> av.Packet:  # type: ignore[override]
        if self.readyState != "live":
            raise MediaStreamError
        if not self._started:
            self._started = True
            if self.kind == "video":
                self._request_keyframe()
        item = await self._next()
        if item is None:
            self.stop()
            raise MediaStreamError
        self.forwarded += 1
        return item  # type: ignore[return-value]

    async def _next(self) -> object:
        # A picture-loss request can be lost (sent before the browser's connection was ready, or dropped on
        # the way). While this viewer still waits for its first keyframe, ask again every KEYFRAME_RETRY
        # seconds (the source's KeyframeRequester still rate-limits), so no tile stays black for good.
        while self._await_keyframe and self._queue.empty():
            try:
                return await asyncio.wait_for(self._queue.get(), KEYFRAME_RETRY)
            except TimeoutError:
                if self.readyState != "live":
                    return None
                self.keyframe_retries += 1
                self._request_keyframe()
        return await self._queue.get()

    def stop(self) -> None:
        if self.readyState == "ended":
            return
        super().stop()
        self._flush()
        self._queue.put_nowait(None)  # wakes a recv() waiting on an idle source

    def _flush(self) -> int:
        n = 0
        while not self._queue.empty():
            self._queue.get_nowait()
            n += 1
        return n


class Source:
    """One participant's audio or video, and every subscriber's ForwardTrack of it."""

    def __init__(self, participant_id: str, kind: str, *, pli_interval: float = 0.5) -> None:
        self.participant_id = participant_id
        self.kind = kind
        self.track: MediaStreamTrack | None = None
        self.keyframes = KeyframeRequester(pli_interval)
        self.subscribers: dict[str, ForwardTrack] = {}
        self.enabled = False  # the roster decides: in the room, mic/camera on, not muted
        self.packets_in = 0
        self.frames_in = 0  # decoded frames: only when the source is not on a forwarding loop
        self._pump: asyncio.Task[None] | None = None

    # -- the incoming side -----------------------------------------------------------------------------------

    def attach(self, track: MediaStreamTrack, receiver: RTCRtpReceiver | None = None) -> None:
        if track is self.track:
            return
        self._stop_pump()
        self.track = track
        self.keyframes.receiver = receiver
        self._pump = asyncio.ensure_future(self._run(track))
        # Subscribers already watching must not continue with deltas from the new encoder.
        self._gap()

    def detach(self) -> None:
        self._stop_pump()
        self.track = None
        self.keyframes.receiver = None

    async def _run(self, track: MediaStreamTrack) -> None:
        warned = False
        while True:
            try:
                item = await track.recv()
            except MediaStreamError:
                break
            if isinstance(item, av.Packet):
                self.packets_in += 1
            else:
                self.frames_in += 1
                if not warned:
                    warned = True
                    logger.warning(
                        "source %s/%s yields decoded frames: its peer connection is not on the hub loop, so "
                        "every subscriber's sender will encode it again",
                        self.participant_id,
                        self.kind,
                    )
            self.keyframes.on_packet()
            if not self.enabled:
                continue
            for sub in list(self.subscribers.values()):
                sub.offer(item)
        if self.track is track:
            self.track = None

    def _stop_pump(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None

    # -- the outgoing side -----------------------------------------------------------------------------------

    def request_keyframe(self) -> None:
        if self.kind == "video":
            self.keyframes.request()

    def set_enabled(self, enabled: bool) -> None:
        if enabled and not self.enabled:
            self.enabled = True
            self._gap()
        self.enabled = enabled

    def subscribe(self, viewer_id: str, *, replace: bool = False) -> ForwardTrack:
        """The viewer's live ForwardTrack of this source, creating it if there is none (or if replace)."""
        current = self.subscribers.get(viewer_id)
        if current is not None and current.readyState == "live" and not replace:
            return current
        if current is not None:
            current.stop()
        track = ForwardTrack(
            self.kind,
            source_id=self.participant_id,
            viewer_id=viewer_id,
            request_keyframe=self.request_keyframe,
        )
        self.subscribers[viewer_id] = track
        return track

    def unsubscribe(self, viewer_id: str) -> None:
        track = self.subscribers.pop(viewer_id, None)
        if track is not None:
            track.stop()

    def _gap(self) -> None:
        if self.kind != "video":
            return
        for sub in self.subscribers.values():
            sub.need_keyframe()
        if any(sub.started for sub in self.subscribers.values()):
            self.request_keyframe()

    def close(self) -> None:
        """The participant has gone: their tiles end for everyone."""
        self._stop_pump()
        self.keyframes.close()
        for sub in self.subscribers.values():
            sub.stop()
        self.subscribers.clear()
        self.track = None
