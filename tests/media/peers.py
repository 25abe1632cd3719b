"""Fake participants for the media tests: synthetic tracks and aiortc client peers on the test's own loop.

The hub runs on its MediaLoop thread; client peers run on the loop of asyncio.run() inside each test, so they
are ordinary aiortc peers that encode what they send and decode what they receive.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fractions
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack, VideoStreamTrack

from media.backend import JoinOutcome, Person
from media.hub import MediaHub

T = TypeVar("T")

WIDTH, HEIGHT, FPS = 160, 120, 15
VIDEO_CLOCK = 90000

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 200, 40),
    "blue": (40, 40, 220),
    "yellow": (220, 220, 40),
    "magenta": (200, 40, 200),
}


def run_scenario(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run() on a thread of its own: the test's client peers get a fresh loop even when another
    test (Playwright's sync API, in tests/e2e) has left an event loop running on the main thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="media-test") as pool:
        return pool.submit(asyncio.run, coro).result()


def nearest_colour(rgb: np.ndarray) -> str:
    return min(COLOURS, key=lambda name: float(np.sum((np.array(COLOURS[name]) - rgb) ** 2)))


def frame_colour(frame: av.VideoFrame) -> str:
    return nearest_colour(frame.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0))


class SolidColourTrack(VideoStreamTrack):
    """160x120 frames of one colour at ~15 fps; pause() makes recv() wait forever (a stalled camera)."""

    def __init__(self, colour: str) -> None:
        super().__init__()
        self.colour = colour
        rgb = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
        rgb[:, :] = COLOURS[colour]
        self._image = rgb
        self._start: float | None = None
        self._pts = 0
        self.paused = False
        self.sent = 0

    async def recv(self) -> av.VideoFrame:
        if self.paused:
            await asyncio.Event().wait()  # never set: the source stalls for good
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._pts += VIDEO_CLOCK // FPS
            delay = self._start + self._pts / VIDEO_CLOCK - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        frame = av.VideoFrame.from_ndarray(self._image, format="rgb24")
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self.sent += 1
        return frame


def person(name: str, *, clinician: bool = True, on_care_team: bool = True) -> Person:
    return Person(
        user_id=abs(hash(name)) % 10_000,
        display_name=name,
        role="physician" if clinician else "family",
        clinician=clinician,
        on_care_team=on_care_team,
    )


@dataclass
class Tile:
    """One received remote participant, as a client sees it."""

    source_id: str
    pc: RTCPeerConnection
    colours: list[str] = field(default_factory=list)
    video_times: list[float] = field(default_factory=list)
    audio_frames: int = 0
    ended: set[str] = field(default_factory=set)
    connected_at: float | None = None
    first_frame: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task] = field(default_factory=list)

    async def read(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                self.ended.add(track.kind)
                return
            if track.kind == "video":
                self.colours.append(frame_colour(frame))
                self.video_times.append(time.monotonic())
                self.first_frame.set()
            else:
                self.audio_frames += 1

    def frames_since(self, t: float) -> int:
        return sum(1 for x in self.video_times if x >= t)


class Client:
    """A participant: one publishing PC and one receiving PC per remote participant."""

    def __init__(self, hub: MediaHub, room_id: str, name: str, colour: str, **who: bool) -> None:
        self.hub = hub
        self.room_id = room_id
        self.name = name
        self.colour = colour
        self.person = person(name, **who)
        self.participant_id = ""
        self.video = SolidColourTrack(colour)
        self.audio = AudioStreamTrack()
        self.publisher: RTCPeerConnection | None = None
        self.tiles: dict[str, Tile] = {}

    async def join(self) -> JoinOutcome:
        result = await asyncio.to_thread(self.hub.join, self.room_id, self.person)
        self.participant_id = result.participant_id or ""
        return result.outcome

    async def publish(self) -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.publisher = pc
        pc.addTransceiver(self.video, direction="sendonly")
        pc.addTransceiver(self.audio, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp, kind = await asyncio.to_thread(
            self.hub.negotiate,
            self.room_id,
            self.participant_id,
            pc.localDescription.sdp,
            pc.localDescription.type,
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))

    async def subscribe(self, other: Client) -> Tile:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        tile = Tile(other.participant_id, pc)
        self.tiles[other.participant_id] = tile

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            tile.tasks.append(asyncio.ensure_future(tile.read(track)))

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "connected" and tile.connected_at is None:
                tile.connected_at = time.monotonic()

        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp, kind = await asyncio.to_thread(
            self.hub.negotiate_subscription,
            self.room_id,
            self.participant_id,
            other.participant_id,
            pc.localDescription.sdp,
            pc.localDescription.type,
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
        return tile

    async def close(self) -> None:
        for tile in self.tiles.values():
            for task in tile.tasks:
                task.cancel()
            await tile.pc.close()
        if self.publisher is not None:
            await self.publisher.close()


async def room_of(hub: MediaHub, room_id: str, colours: list[str]) -> list[Client]:
    """Clinicians on the care team, each publishing and subscribed to every other."""
    clients = [Client(hub, room_id, f"Dr {c}", c) for c in colours]
    for c in clients:
        assert await c.join() is JoinOutcome.JOINED
    await asyncio.gather(*(c.publish() for c in clients))
    await asyncio.gather(*(a.subscribe(b) for a in clients for b in clients if a is not b))
    return clients


async def wait_until(predicate, timeout: float, message: str, interval: float = 0.05) -> None:
    """Poll `predicate` until true; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (waited {timeout} s)")
        await asyncio.sleep(interval)
