"""MediaHub: the built-in VideoBackend, a selective forwarding unit on aiortc.

Threads: the public methods are called from Streamlit script threads (and tests, and the bench). The roster
lives behind a lock; every media object (peer connections, tracks, fan-out tasks) lives on the hub's
MediaLoop and is only touched there. A roster change is followed by `_apply`, run on the loop, which brings
the media in line with the roster (end the tiles of whoever left, gate muted audio and camera-off video).

Two ways to connect a participant:

(a) hub-owned peer connections, for tests, the bench and any non-Streamlit client: one publishing PC per
    participant (`negotiate`) and one receiving PC per (viewer, source) (`negotiate_subscription`).
(b) peer connections created elsewhere (streamlit-webrtc), running on `hub.loop`: `attach_source` registers a
    participant's incoming track, `subscriber_track` hands out the ForwardTrack a viewer's tile should send,
    and `adopt_connection` lets the hub close that PC when the participant goes.

Hooks: the hub relies on the hooks in media/patches/ (receivers that forward without decoding, RFC 7675
consent expiry) but does not install them: whoever starts the media does, once, with
media.patches.install_all() (the app in portal/room_hub.py; the media tests and the bench likewise). Without
them the hub still works, but decodes what it receives and every subscriber's sender encodes it again.

Observers: `on_dropped(callback)` registers a callback(room_id, ParticipantView) for everyone the heartbeat
sweeper drops. It is called once per drop, after the drop is applied to the media, on the hub's own observer
thread (never on the media loop), so it may block, e.g. to write to the database.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability
from aiortc.sdp import SessionDescription

from media import passthrough
from media.backend import (
    ControlRefused,
    JoinResult,
    ParticipantState,
    ParticipantView,
    Person,
    RoomSnapshot,
)
from media.forward import KINDS, ForwardTrack, Source
from media.loop import MediaLoop
from media.roster import PRESENT, Roster

logger = logging.getLogger(__name__)

T = TypeVar("T")

DroppedObserver = Callable[[str, ParticipantView], None]

MSG_LOBBY_NO_MEDIA = "You will see and hear the others once someone from the care team lets you in."
MSG_SOURCE_GONE = "That person is no longer in the meeting."
FORWARDED_CODECS = {"video": ("video/vp8", "video/rtx"), "audio": ("audio/opus",)}


def offered_kinds(offer_sdp: str) -> list[str]:
    """The media kinds an offer asks for, in our order: a video-only client gets a video-only answer
    (a transceiver the offer lacks would make aiortc refuse the answer)."""
    kinds = {media.kind for media in SessionDescription.parse(offer_sdp).media}
    return [kind for kind in KINDS if kind in kinds]


def codec_preferences(kind: str) -> list[RTCRtpCodecCapability]:
    """VP8 (+RTX) or Opus only, so every packet a source sends fits every subscriber."""
    wanted = FORWARDED_CODECS[kind]
    caps = RTCRtpSender.getCapabilities(kind).codecs
    return [c for c in caps if c.mimeType.lower() in wanted]


@dataclass
class _Gate:
    state: ParticipantState
    sends_audio: bool
    sends_video: bool


@dataclass
class _Member:
    """The media side of one participant (lives on the loop)."""

    room_id: str
    participant_id: str
    sources: dict[str, Source] = field(default_factory=dict)
    publisher: RTCPeerConnection | None = None
    subscriptions: dict[str, RTCPeerConnection] = field(default_factory=dict)  # by source participant id
    adopted: set[RTCPeerConnection] = field(default_factory=set)
    gate: _Gate | None = None
    # Whether `_apply` last saw them in the room: set only there (and at creation), so a negotiation that
    # refreshes `gate` between a roster change and its `_apply` cannot hide a return to the lobby.
    in_room: bool = False

    def pcs(self) -> list[RTCPeerConnection]:
        pcs = list(self.subscriptions.values()) + list(self.adopted)
        return pcs + ([self.publisher] if self.publisher is not None else [])


def _run_observer(callback: DroppedObserver, room_id: str, participant: ParticipantView) -> None:
    try:
        callback(room_id, participant)
    except Exception:  # noqa: BLE001 - an observer must not stop the others, nor the hub
        logger.exception("on_dropped observer failed for %s in room %s", participant.participant_id, room_id)


class MediaHub:
    """Rooms, lobby and selective forwarding; implements media.backend.VideoBackend."""

    def __init__(
        self,
        *,
        cap: int = 8,
        drop_after: float = 10.0,
        ice_servers: list[RTCIceServer] | None = None,
        sweep_interval: float = 1.0,
        pli_interval: float = 0.5,
        media_loop: MediaLoop | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._roster = Roster(cap=cap, drop_after=drop_after)
        # Never a public STUN server by default: a hospital deployment configures its own, or none.
        self._ice_servers = list(ice_servers or [])
        self._sweep_interval = sweep_interval
        self._pli_interval = pli_interval
        self._owns_loop = media_loop is None
        self._media = media_loop or MediaLoop("vesper-media-hub")
        self._members: dict[tuple[str, str], _Member] = {}  # loop only
        self._sweeper: asyncio.Task[None] | None = None
        self._started = False
        self._closed = False
        self._dropped_observers: list[DroppedObserver] = []  # behind the lock
        self._observer_pool: ThreadPoolExecutor | None = None  # made on the first drop with an observer

    # -- the loop --------------------------------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The asyncio loop every media object of this hub lives on (started on first use)."""
        return self._ensure_started()

    @property
    def media_loop(self) -> MediaLoop:
        return self._media

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        loop = self._media.loop
        with self._lock:
            if self._closed:
                raise RuntimeError("this MediaHub is closed")
            if self._started:
                return loop
            self._started = True
        passthrough.register_forwarding_loop(loop)
        self._media.call_soon(self._start_sweeper)
        return loop

    def _start_sweeper(self) -> None:
        self._sweeper = asyncio.ensure_future(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_interval)
            try:
                await self._sweep_once()
            except Exception:  # one bad sweep must not stop the heartbeat limit for good
                logger.exception("heartbeat sweep failed")

    async def _sweep_once(self) -> None:
        with self._lock:
            dropped = self._roster.sweep()
            rooms = {room_id for room_id, _ in dropped}
            gates = {room_id: self._gates(room_id) for room_id in rooms}
            views = [
                (room_id, participant.view())
                for room_id, pid in dropped
                if (participant := self._roster.get(room_id, pid)) is not None
            ]
            observers = list(self._dropped_observers)
        for room_id, pid in dropped:
            logger.info("dropped participant %s from room %s (no heartbeat)", pid, room_id)
        for room_id in rooms:
            await self._apply(room_id, gates[room_id])
        for room_id, view in views:
            self._notify_dropped(observers, room_id, view)

    # -- observers -------------------------------------------------------------------------------------------

    def on_dropped(self, callback: DroppedObserver) -> None:
        """Call `callback(room_id, participant)` for everyone the heartbeat sweeper drops from now on.

        Called once per drop, after the drop is applied, on the hub's observer thread (one thread, so calls
        come in the order of the drops); never on the media loop. An exception is logged, not raised.
        """
        with self._lock:
            self._dropped_observers.append(callback)

    def _notify_dropped(
        self, observers: list[DroppedObserver], room_id: str, participant: ParticipantView
    ) -> None:
        if not observers:
            return
        with self._lock:
            if self._closed:
                return
            if self._observer_pool is None:
                self._observer_pool = ThreadPoolExecutor(1, thread_name_prefix="vesper-hub-observer")
            pool = self._observer_pool
        for callback in observers:
            pool.submit(_run_observer, callback, room_id, participant)

    def _on_loop(self, fn: Callable[[], Coroutine[Any, Any, T]], timeout: float | None = 30.0) -> T:
        self._ensure_started()
        if self._media.in_loop_thread():
            raise RuntimeError("blocking MediaHub call made on the media loop; use the async_* variant")
        return self._media.run(fn(), timeout)

    def is_forwarding_track(self, track: MediaStreamTrack | None) -> bool:
        """Whether `track` is (or relays) one of this hub's ForwardTracks."""
        handler = passthrough.find_keyframe_handler(track)
        owner = getattr(handler, "__self__", None)
        return isinstance(owner, ForwardTrack)

    # -- VideoBackend: the roster ----------------------------------------------------------------------------

    def join(self, room_id: str, person: Person) -> JoinResult:
        self._ensure_started()  # the heartbeat sweeper runs on the loop
        joined: list[JoinResult] = []
        # As a change: a seat this person had (another tab) is replaced, and its media must end with it.
        self._change(room_id, lambda: joined.append(self._roster.join(room_id, person)))
        return joined[0]

    def leave(self, room_id: str, participant_id: str) -> None:
        self._change(room_id, lambda: self._roster.leave(room_id, participant_id))

    def admit(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        self._change(room_id, lambda: self._roster.admit(room_id, by_participant_id, participant_id))

    def decline(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        self._change(room_id, lambda: self._roster.decline(room_id, by_participant_id, participant_id))

    def mute(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        self._change(room_id, lambda: self._roster.mute(room_id, by_participant_id, participant_id))

    def remove(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        self._change(room_id, lambda: self._roster.remove(room_id, by_participant_id, participant_id))

    def return_to_lobby(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        self._change(
            room_id, lambda: self._roster.return_to_lobby(room_id, by_participant_id, participant_id)
        )

    def end(self, room_id: str, by_participant_id: str) -> None:
        self._change(room_id, lambda: self._roster.end(room_id, by_participant_id))

    def set_own_media(
        self, room_id: str, participant_id: str, *, mic_on: bool | None = None, camera_on: bool | None = None
    ) -> None:
        self._change(
            room_id,
            lambda: self._roster.set_own_media(room_id, participant_id, mic_on=mic_on, camera_on=camera_on),
        )

    def heartbeat(self, room_id: str, participant_id: str) -> ParticipantState:
        with self._lock:
            return self._roster.heartbeat(room_id, participant_id)

    def snapshot(self, room_id: str) -> RoomSnapshot:
        with self._lock:
            return self._roster.snapshot(room_id)

    def _change(self, room_id: str, mutate: Callable[[], None]) -> None:
        with self._lock:
            mutate()  # may raise ControlRefused: then nothing changed
            gates = self._gates(room_id)
        if not self._started or self._closed:
            return
        if self._media.in_loop_thread():
            asyncio.ensure_future(self._apply(room_id, gates))
        else:
            # Blocking on purpose: when leave() returns, that person's tiles have ended for everyone.
            self._on_loop(lambda: self._apply(room_id, gates))

    def _gates(self, room_id: str) -> dict[str, _Gate]:
        room = self._roster.room(room_id)
        return {
            p.participant_id: _Gate(p.state, p.sends_audio, p.sends_video) for p in room.participants.values()
        }

    # -- bringing media in line with the roster (loop) -------------------------------------------------------

    async def _apply(self, room_id: str, gates: dict[str, _Gate]) -> None:
        for (rid, pid), member in list(self._members.items()):
            if rid != room_id:
                continue
            gate = gates.get(pid)
            if gate is None or gate.state not in PRESENT:
                await self._teardown(member)
                continue
            if member.in_room and gate.state is ParticipantState.LOBBY:
                # Sent back to the lobby: as on first joining, they receive nothing and their tiles end, but
                # their publishing connection and sources stay, so admit() brings their tile back at once.
                await self._unlink(member)
            member.in_room = gate.state is ParticipantState.IN_ROOM
            member.gate = gate
            for kind, source in member.sources.items():
                source.set_enabled(gate.sends_audio if kind == "audio" else gate.sends_video)

    async def _teardown(self, member: _Member) -> None:
        self._members.pop((member.room_id, member.participant_id), None)
        for source in member.sources.values():
            source.close()  # their tiles end for everyone
        await self._unlink(member)
        for pc in member.pcs():
            await pc.close()

    async def _unlink(self, member: _Member) -> None:
        """End every tile between `member` and the rest of their room, both ways.

        Their own sources, publishing connection and adopted connections stay as they are.
        """
        for source in member.sources.values():
            for viewer_id in list(source.subscribers):
                source.unsubscribe(viewer_id)  # their tile ends for everyone
        for (rid, _), other in list(self._members.items()):
            if rid != member.room_id or other is member:
                continue
            for source in other.sources.values():
                source.unsubscribe(member.participant_id)  # they receive nothing
            pc = other.subscriptions.pop(member.participant_id, None)
            if pc is not None:
                await pc.close()
        subscriptions = list(member.subscriptions.values())
        member.subscriptions.clear()
        for pc in subscriptions:
            await pc.close()

    def _member(self, room_id: str, participant_id: str) -> _Member:
        member = self._members.get((room_id, participant_id))
        created = member is None
        if member is None:
            member = _Member(room_id, participant_id)
            for kind in KINDS:
                member.sources[kind] = Source(participant_id, kind, pli_interval=self._pli_interval)
            self._members[(room_id, participant_id)] = member
        with self._lock:
            gate = self._gates(room_id).get(participant_id)
        if created and gate is not None:
            member.in_room = gate.state is ParticipantState.IN_ROOM
        if gate is not None:
            member.gate = gate
            member.sources["audio"].set_enabled(gate.sends_audio)
            member.sources["video"].set_enabled(gate.sends_video)
        return member

    def _require_present(self, room_id: str, participant_id: str) -> None:
        with self._lock:
            p = self._roster.get(room_id, participant_id)
            if p is None or p.state not in PRESENT:
                raise ControlRefused(MSG_SOURCE_GONE)

    def _require_pair(self, room_id: str, viewer_id: str, source_id: str) -> None:
        if viewer_id == source_id:
            raise ValueError("a participant never receives their own stream")
        with self._lock:
            viewer = self._roster.get(room_id, viewer_id)
            source = self._roster.get(room_id, source_id)
            if viewer is None or viewer.state is not ParticipantState.IN_ROOM:
                raise ControlRefused(MSG_LOBBY_NO_MEDIA)
            if source is None or source.state not in PRESENT:
                raise ControlRefused(MSG_SOURCE_GONE)

    # -- (a) hub-owned peer connections ----------------------------------------------------------------------

    def negotiate(
        self, room_id: str, participant_id: str, offer_sdp: str, offer_type: str
    ) -> tuple[str, str]:
        """Answer a participant's publishing offer (sendonly audio+video); returns (answer sdp, type)."""
        return self._on_loop(lambda: self.async_negotiate(room_id, participant_id, offer_sdp, offer_type))

    async def async_negotiate(
        self, room_id: str, participant_id: str, offer_sdp: str, offer_type: str
    ) -> tuple[str, str]:
        self._require_present(room_id, participant_id)
        member = self._member(room_id, participant_id)
        if member.publisher is not None:
            old, member.publisher = member.publisher, None
            await old.close()
        pc = self._new_pc(member)
        member.publisher = pc
        for kind in offered_kinds(offer_sdp):
            transceiver = pc.addTransceiver(kind, direction="recvonly")
            transceiver.setCodecPreferences(codec_preferences(kind))

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            receiver = next((r for r in pc.getReceivers() if r.track is track), None)
            member.sources[track.kind].attach(track, receiver)

        return await self._answer(pc, offer_sdp, offer_type)

    def negotiate_subscription(
        self, room_id: str, viewer_id: str, source_id: str, offer_sdp: str, offer_type: str
    ) -> tuple[str, str]:
        """Answer a viewer's receiving offer (recvonly audio+video) with that source's ForwardTracks."""
        return self._on_loop(
            lambda: self.async_negotiate_subscription(room_id, viewer_id, source_id, offer_sdp, offer_type)
        )

    async def async_negotiate_subscription(
        self, room_id: str, viewer_id: str, source_id: str, offer_sdp: str, offer_type: str
    ) -> tuple[str, str]:
        self._require_pair(room_id, viewer_id, source_id)
        viewer = self._member(room_id, viewer_id)
        source = self._member(room_id, source_id)
        old = viewer.subscriptions.pop(source_id, None)
        if old is not None:
            await old.close()
            # The roster may have changed meanwhile (the viewer sent back to the lobby, the source gone).
            self._require_pair(room_id, viewer_id, source_id)
        pc = self._new_pc(viewer, subscription_of=source_id)
        viewer.subscriptions[source_id] = pc
        for kind in offered_kinds(offer_sdp):
            track = source.sources[kind].subscribe(viewer_id, replace=True)
            transceiver = pc.addTransceiver(track, direction="sendonly")
            transceiver.setCodecPreferences(codec_preferences(kind))
        return await self._answer(pc, offer_sdp, offer_type)

    def _new_pc(self, member: _Member, subscription_of: str | None = None) -> RTCPeerConnection:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=list(self._ice_servers)))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await pc.close()
                if member.publisher is pc:
                    member.publisher = None
                if subscription_of is not None and member.subscriptions.get(subscription_of) is pc:
                    del member.subscriptions[subscription_of]
                member.adopted.discard(pc)

        return pc

    async def _answer(self, pc: RTCPeerConnection, offer_sdp: str, offer_type: str) -> tuple[str, str]:
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type=offer_type))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            await pc.close()
            raise
        local = pc.localDescription
        return local.sdp, local.type

    # -- (b) peer connections created elsewhere (streamlit-webrtc) -------------------------------------------

    def attach_source(
        self,
        room_id: str,
        participant_id: str,
        track: MediaStreamTrack,
        receiver: RTCRtpReceiver | None = None,
    ) -> None:
        """Register an incoming remote track as the participant's audio or video source.

        The track's peer connection must run on `hub.loop`, so the track yields av.Packet. Pass its
        RTCRtpReceiver (e.g. `next(r for r in pc.getReceivers() if r.track is track)`) so the hub can ask the
        browser for keyframes; without it, a late joiner waits for the browser's next periodic keyframe.
        """
        self._call(lambda: self._attach_source(room_id, participant_id, track, receiver))

    def _attach_source(
        self, room_id: str, participant_id: str, track: MediaStreamTrack, receiver: RTCRtpReceiver | None
    ) -> None:
        self._require_present(room_id, participant_id)
        if track.kind not in KINDS:
            raise ValueError(f"unknown track kind {track.kind!r}")
        member = self._member(room_id, participant_id)
        member.sources[track.kind].attach(track, receiver)
        self._resolve_receivers(member)
        logger.debug(
            "source %s/%s attached; receiver %s",
            participant_id,
            track.kind,
            member.sources[track.kind].keyframes.receiver,
        )

    def subscriber_track(self, room_id: str, viewer_id: str, source_id: str, kind: str) -> MediaStreamTrack:
        """The viewer's ForwardTrack of the source (the same live one on every call; a new one once ended)."""
        return self._call(lambda: self._subscriber_track(room_id, viewer_id, source_id, kind))

    def _subscriber_track(self, room_id: str, viewer_id: str, source_id: str, kind: str) -> ForwardTrack:
        if kind not in KINDS:
            raise ValueError(f"unknown track kind {kind!r}")
        self._require_pair(room_id, viewer_id, source_id)
        self._member(room_id, viewer_id)
        return self._member(room_id, source_id).sources[kind].subscribe(viewer_id)

    def adopt_connection(self, room_id: str, participant_id: str, pc: RTCPeerConnection) -> None:
        """Let the hub close an externally created PC when the participant goes, and at close()."""
        self._call(lambda: self._adopt(room_id, participant_id, pc))

    def _adopt(self, room_id: str, participant_id: str, pc: RTCPeerConnection) -> None:
        self._require_present(room_id, participant_id)
        member = self._member(room_id, participant_id)
        member.adopted.add(pc)
        self._resolve_receivers(member)
        logger.debug("adopted %s for %s (%s)", id(pc), participant_id, pc.connectionState)

        @pc.on("connectionstatechange")
        def log_state() -> None:
            logger.debug("adopted %s for %s is %s", id(pc), participant_id, pc.connectionState)

    @staticmethod
    def _resolve_receivers(member: _Member) -> None:
        # A track attached without its receiver (HubSink gets a MediaRelay proxy) is matched to the
        # RTCRtpReceiver of an adopted PC, so PLI can reach the browser.
        for source in member.sources.values():
            if source.track is None or source.keyframes.receiver is not None:
                continue
            raw: MediaStreamTrack | None = source.track
            for _ in range(4):
                if raw is None:
                    break
                for pc in member.adopted:
                    found = next((r for r in pc.getReceivers() if r.track is raw), None)
                    if found is not None:
                        source.keyframes.receiver = found
                        break
                if source.keyframes.receiver is not None:
                    break
                raw = getattr(raw, "_source", None)

    def _call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the loop: directly if already there (streamlit-webrtc callbacks), else blocking."""
        self._ensure_started()
        if self._media.in_loop_thread():
            return fn()

        async def on_loop() -> T:
            return fn()

        return self._media.run(on_loop())

    # -- inspection (tests, bench) ---------------------------------------------------------------------------

    def sources(self, room_id: str, participant_id: str) -> dict[str, Source]:
        """The participant's Source objects (read on the loop; for tests and the bench)."""

        async def get() -> dict[str, Source]:
            member = self._members.get((room_id, participant_id))
            return dict(member.sources) if member else {}

        return self._on_loop(get)

    # -- shutdown --------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every peer connection, end every track, stop the sweeper and (if ours) the loop."""
        with self._lock:
            if self._closed:
                return
            started = self._started
            self._closed = True
        if started:
            try:
                self._media.run(self._close_all(), timeout=15)
            finally:
                passthrough.unregister_forwarding_loop(self._media.loop)
        if self._owns_loop:
            self._media.stop()
        with self._lock:
            pool, self._observer_pool = self._observer_pool, None
        if pool is not None:
            pool.shutdown(wait=True)  # drops already noticed are still recorded

    async def _close_all(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for member in list(self._members.values()):
            await self._teardown(member)
        self._members.clear()

    def __enter__(self) -> MediaHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
