"""The forwarding path never decodes or encodes on the server, while clients still see the right colours."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import av
import pytest
from aiortc import rtcrtpreceiver, rtcrtpsender
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder

from media.hub import MediaHub
from media.patches import aiortc_forwarding
from tests.media.peers import Client, room_of, run_scenario

ROOM = "202"


@pytest.fixture
def codec_calls(monkeypatch: pytest.MonkeyPatch, hub: MediaHub) -> Counter:
    """Counts decodes and encodes, split into those done for the hub and those done for the clients."""
    calls: Counter = Counter()
    hub_loop = hub.loop
    worker_loop: dict[threading.Thread, object] = {}
    hub_encoders: set[int] = set()

    original_worker = aiortc_forwarding._REGISTRY.original_decoder_worker

    def worker(loop, input_q, output_q, decode_error):
        worker_loop[threading.current_thread()] = loop
        calls["hub decoder threads" if loop is hub_loop else "client decoder threads"] += 1
        return original_worker(loop, input_q, output_q, decode_error)

    original_get_decoder = rtcrtpreceiver.get_decoder

    def get_decoder(codec):
        decoder = original_get_decoder(codec)
        side = "hub" if worker_loop.get(threading.current_thread()) is hub_loop else "client"
        inner = decoder.decode

        def decode(encoded_frame):
            calls[f"{side} decodes"] += 1
            return inner(encoded_frame)

        decoder.decode = decode
        return decoder

    original_get_encoder = rtcrtpsender.get_encoder

    def get_encoder(codec):
        encoder = original_get_encoder(codec)
        if asyncio.get_running_loop() is hub_loop:
            hub_encoders.add(id(encoder))
        return encoder

    def counting(cls, name):
        original = getattr(cls, name)

        def wrapper(self, *args, **kwargs):
            side = "hub" if id(self) in hub_encoders else "client"
            calls[f"{side} {name}"] += 1
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    monkeypatch.setattr(aiortc_forwarding._REGISTRY, "original_decoder_worker", worker)
    monkeypatch.setattr(rtcrtpreceiver, "get_decoder", get_decoder)
    monkeypatch.setattr(rtcrtpsender, "get_encoder", get_encoder)
    for cls in (Vp8Encoder, OpusEncoder):
        counting(cls, "encode")
        counting(cls, "pack")
    return calls


def test_forwarding_never_decodes_or_encodes_on_the_server(hub: MediaHub, codec_calls: Counter):
    async def scenario() -> None:
        clients = await room_of(hub, ROOM, ["red", "green", "blue"])
        try:
            tiles = [t for c in clients for t in c.tiles.values()]
            await asyncio.wait_for(asyncio.gather(*(t.first_frame.wait() for t in tiles)), 10)
            await asyncio.sleep(1)
            by_id = {c.participant_id: c for c in clients}
            for c in clients:
                for tile in c.tiles.values():
                    assert set(tile.colours) == {by_id[tile.source_id].colour}, f"{c.name} saw {tile.colours}"
                    assert tile.audio_frames > 0, f"{c.name} got no audio from {by_id[tile.source_id].name}"
            for c in clients:
                sources = hub.sources(ROOM, c.participant_id)
                for kind, source in sources.items():
                    assert source.packets_in > 0, f"no {kind} packets reached the hub from {c.name}"
                    assert source.frames_in == 0, (
                        f"the hub decoded {source.frames_in} {kind} frames of {c.name}"
                    )
                    for sub in source.subscribers.values():
                        assert sub.forwarded > 0, f"{kind} of {c.name} was never forwarded"
        finally:
            await asyncio.gather(*(c.close() for c in clients))

    run_scenario(scenario())
    calls = codec_calls
    assert calls["hub decoder threads"] == 0, "a hub receiver ran aiortc's decoding worker"
    assert calls["hub decodes"] == 0, f"the hub decoded {calls['hub decodes']} frames"
    assert calls["hub encode"] == 0, f"the hub encoded {calls['hub encode']} frames"
    assert calls["hub pack"] > 0, "the hub's senders never packed a forwarded packet (test is not measuring)"
    assert calls["client decodes"] > 0 and calls["client encode"] > 0, f"clients did not work: {dict(calls)}"


def test_a_forward_track_emits_the_sources_packets(hub: MediaHub):
    async def scenario() -> None:
        clients = await room_of(hub, ROOM, ["red", "green"])
        try:
            red, green = clients
            await asyncio.wait_for(red.tiles[green.participant_id].first_frame.wait(), 10)
            # A viewer with no tiles yet takes red's video the way (b) does: an externally held ForwardTrack.
            blue = Client(hub, ROOM, "Dr blue", "blue")
            await blue.join()
            track = await asyncio.to_thread(
                hub.subscriber_track, ROOM, blue.participant_id, red.participant_id, "video"
            )
            again = await asyncio.to_thread(
                hub.subscriber_track, ROOM, blue.participant_id, red.participant_id, "video"
            )
            assert again is track, "a rerun asking for the same tile must get the same live track"
            assert hub.is_forwarding_track(track)
            got = asyncio.run_coroutine_threadsafe(asyncio.wait_for(track.recv(), 5), hub.loop)
            packet = await asyncio.wrap_future(got)
            assert isinstance(packet, av.Packet), (
                f"ForwardTrack yielded {type(packet).__name__}, not av.Packet"
            )
            assert packet.is_keyframe, "a ForwardTrack's first video packet must be a keyframe"
        finally:
            await asyncio.gather(*(c.close() for c in clients))

    run_scenario(scenario())


def test_a_video_only_client_is_answered_with_video_only():
    from media.hub import offered_kinds

    video_only = (
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    )
    both = video_only + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    assert offered_kinds(video_only) == ["video"], "an audio transceiver the offer lacks breaks negotiation"
    assert offered_kinds(both) == ["audio", "video"]


def test_a_viewer_waiting_for_its_first_keyframe_keeps_asking(monkeypatch):
    """A lost picture-loss request must not leave a tile black for good."""
    import asyncio
    import contextlib

    from media import forward

    monkeypatch.setattr(forward, "KEYFRAME_RETRY", 0.05)
    asked: list[float] = []

    async def scenario() -> int:
        track = forward.ForwardTrack(
            "video", source_id="a", viewer_id="b", request_keyframe=lambda: asked.append(1)
        )
        waiter = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0.3)
        track.stop()
        with contextlib.suppress(Exception):  # the track ended, as it should once stopped
            await waiter
        return track.keyframe_retries

    retries = run_scenario(scenario())
    assert retries >= 3 and len(asked) >= 4, "a waiting viewer stopped asking for a keyframe"
