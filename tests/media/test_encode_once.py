"""The encode-once fallback: one decode and one encode per source frame, however many subscribers."""

from __future__ import annotations

import asyncio
import fractions

import av
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.encode_once import EncodeOnceFanout
from tests.media.peers import SolidColourTrack, frame_colour, run_scenario

FRAMES = 20


class EncodedSource(MediaStreamTrack):
    """What a passthrough receiver yields: VP8 av.Packet objects (here encoded by the test, at 50 fps)."""

    kind = "video"

    def __init__(self, colour: str, frames: int) -> None:
        super().__init__()
        self._picture = SolidColourTrack(colour)
        self._left = frames
        self._encoder = av.CodecContext.create("libvpx", "w")
        self._encoder.width, self._encoder.height = 160, 120
        self._encoder.pix_fmt = "yuv420p"
        self._encoder.time_base = fractions.Fraction(1, 30)
        self._encoder.options = {"deadline": "realtime", "lag-in-frames": "0"}
        self._pending: list[av.Packet] = []
        self.sent = 0
        self._n = 0

    async def recv(self) -> av.Packet:
        while not self._pending:
            if self._left == 0:
                self.stop()
                raise MediaStreamError
            self._left -= 1
            await asyncio.sleep(0.02)
            frame = av.VideoFrame.from_ndarray(self._picture._image, format="rgb24").reformat(
                format="yuv420p"
            )
            frame.pts = self._n
            self._n += 1
            for packet in self._encoder.encode(frame):
                packet.pts = frame.pts * 3000
                packet.time_base = fractions.Fraction(1, 90000)
                self._pending.append(packet)
        self.sent += 1
        return self._pending.pop(0)


async def drain(track: MediaStreamTrack) -> list[av.Packet]:
    packets = []
    while True:
        try:
            packets.append(await track.recv())
        except MediaStreamError:
            return packets


def decode_all(packets: list[av.Packet]) -> list[av.VideoFrame]:
    decoder = av.CodecContext.create("vp8", "r")
    return [f for p in packets for f in decoder.decode(p)]


@pytest.mark.parametrize("subscribers", [1, 3])
def test_each_source_frame_is_decoded_and_encoded_once_for_all_subscribers(subscribers: int):
    async def scenario() -> None:
        source = EncodedSource("blue", FRAMES)
        fanout = EncodeOnceFanout(source)
        tracks = [fanout.subscribe(f"viewer {i}") for i in range(subscribers)]
        tap = fanout.tap(maxsize=FRAMES)
        received = await asyncio.wait_for(asyncio.gather(*(drain(t) for t in tracks), drain(tap)), 10)
        await fanout.stop()

        *per_subscriber, tapped = received
        assert fanout.decode_calls == source.sent == FRAMES, (
            f"{fanout.decode_calls} decodes for {source.sent} source packets with {subscribers} subscribers"
        )
        assert fanout.encode_calls == FRAMES, f"{fanout.encode_calls} encodes for {FRAMES} frames"
        for i, packets in enumerate(per_subscriber):
            assert packets and packets[0].is_keyframe, f"subscriber {i} did not start on a keyframe"
            frames = decode_all(packets)
            assert len(frames) >= FRAMES - 2, f"subscriber {i} decoded only {len(frames)} frames"
            colours = {frame_colour(f) for f in frames}
            assert colours == {"blue"}, f"subscriber {i} decoded {colours}"
        first = [p[0] for p in per_subscriber]
        assert all(p is first[0] for p in first), "subscribers were not handed the same encoded packet"
        assert {frame_colour(f) for f in tapped} == {"blue"} and len(tapped) == FRAMES, (
            "the tap missed frames"
        )

    run_scenario(scenario())


def test_a_transform_is_applied_once_before_encoding():
    calls = []

    def grey(frame: av.VideoFrame) -> av.VideoFrame:
        calls.append(frame.pts)
        return frame.reformat(format="gray").reformat(format="yuv420p")

    async def scenario() -> list[av.Packet]:
        fanout = EncodeOnceFanout(EncodedSource("red", 10), transform=grey)
        tracks = [fanout.subscribe("a"), fanout.subscribe("b")]
        out = await asyncio.wait_for(asyncio.gather(*(drain(t) for t in tracks)), 10)
        await fanout.stop()
        return out[0]

    packets = run_scenario(scenario())
    assert len(calls) == 10, f"transform ran {len(calls)} times for 10 frames and 2 subscribers"
    rgb = decode_all(packets)[-1].to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0)
    assert max(rgb) - min(rgb) < 12, f"the transformed picture is not grey: {rgb}"
