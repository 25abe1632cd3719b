"""Guards on the hooks into aiortc (media/patches/aiortc_forwarding.py): pinned version, expected signatures,
idempotent install, dispatch to media.passthrough."""

from __future__ import annotations

import asyncio
import fractions
import importlib.metadata
import inspect
import queue
import threading

import av
import pytest
from aiortc import rtcrtpreceiver, rtcrtpsender
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media import passthrough
from media.patches import aiortc_forwarding
from tests.media.peers import run_scenario

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)


def test_aiortc_is_the_pinned_version_with_the_expected_internals():
    assert importlib.metadata.version("aiortc") == aiortc_forwarding.PINNED_AIORTC
    aiortc_forwarding.install()
    original = aiortc_forwarding._REGISTRY.original_decoder_worker
    assert list(inspect.signature(original).parameters) == ["loop", "input_q", "output_q", "decode_error"]
    assert list(inspect.signature(aiortc_forwarding._REGISTRY.original_send_keyframe).parameters) == ["self"]
    assert list(inspect.signature(rtcrtpreceiver.RTCRtpReceiver._send_rtcp_pli).parameters) == [
        "self",
        "media_ssrc",
    ]
    # RTCRtpReceiver.receive() must still look decoder_worker up as a module global at call time.
    assert "target=decoder_worker" in inspect.getsource(rtcrtpreceiver.RTCRtpReceiver.receive)
    assert "self._send_keyframe()" in inspect.getsource(rtcrtpsender.RTCRtpSender._handle_rtcp_packet)


def test_install_is_idempotent():
    aiortc_forwarding.install()
    worker, keyframe = rtcrtpreceiver.decoder_worker, rtcrtpsender.RTCRtpSender._send_keyframe
    aiortc_forwarding.install()
    assert rtcrtpreceiver.decoder_worker is worker and rtcrtpsender.RTCRtpSender._send_keyframe is keyframe
    assert aiortc_forwarding._REGISTRY.original_decoder_worker is not worker, "install wrapped its own hook"


def test_another_aiortc_version_is_refused_with_a_clear_message(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9")
    with pytest.raises(RuntimeError, match=r"checked against aiortc 1\.16\.0, but aiortc 9\.9\.9"):
        aiortc_forwarding.check_versions()


def test_a_changed_signature_is_refused(monkeypatch: pytest.MonkeyPatch):
    def new_worker(loop, input_q, output_q, decode_error, extra):  # what a future aiortc might do
        pass

    monkeypatch.setattr(aiortc_forwarding._REGISTRY, "original_decoder_worker", new_worker)
    with pytest.raises(RuntimeError, match="decoder_worker has parameters"):
        aiortc_forwarding.check_versions()


def test_vp8_keyframes_are_told_apart_by_the_frame_tag():
    assert passthrough.is_keyframe("VP8", bytes([0x10, 0x02, 0x00]))  # bit 0 clear: key frame
    assert not passthrough.is_keyframe("VP8", bytes([0x11, 0x02, 0x00]))
    assert passthrough.is_keyframe("opus", b"\x78")
    assert passthrough.is_keyframe("H264", b"\x00\x00\x00\x01\x67abc")
    assert not passthrough.is_keyframe("H264", b"\x00\x00\x00\x01\x41abc")


def _run_worker(loop_is_forwarding: bool, codec, data: bytes) -> list:
    async def scenario() -> list:
        loop = asyncio.get_running_loop()
        if loop_is_forwarding:
            passthrough.register_forwarding_loop(loop)
        try:
            input_q: queue.Queue = queue.Queue()
            output_q: asyncio.Queue = asyncio.Queue()
            thread = threading.Thread(
                target=rtcrtpreceiver.decoder_worker, args=(loop, input_q, output_q, threading.Event())
            )
            thread.start()
            input_q.put((codec, JitterFrame(data=data, timestamp=3000)))
            input_q.put(None)
            out = []
            while (item := await asyncio.wait_for(output_q.get(), 5)) is not None:
                out.append(item)
            await asyncio.to_thread(thread.join)
            return out
        finally:
            passthrough.unregister_forwarding_loop(loop)

    return run_scenario(scenario())


def _vp8_keyframe() -> bytes:
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 64, 48, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    frame = av.VideoFrame(64, 48, "yuv420p")
    frame.pts = 0
    return b"".join(bytes(p) for p in [*encoder.encode(frame), *encoder.encode(None)])


def test_a_forwarding_loop_gets_packets_and_any_other_loop_gets_decoded_frames():
    aiortc_forwarding.install()
    data = _vp8_keyframe()
    forwarded = _run_worker(True, VP8, data)
    assert len(forwarded) == 1 and isinstance(forwarded[0], av.Packet), f"forwarding loop got {forwarded}"
    packet = forwarded[0]
    assert bytes(packet) == data and packet.pts == 3000 and packet.time_base == fractions.Fraction(1, 90000)
    assert packet.is_keyframe
    decoded = _run_worker(False, VP8, data)
    assert decoded and all(isinstance(f, av.VideoFrame) for f in decoded), f"ordinary loop got {decoded}"

    opus = _run_worker(True, OPUS, b"\xfc\xff\xfe")
    assert opus[0].time_base == fractions.Fraction(1, 48000) and opus[0].is_keyframe


def test_a_subscribers_keyframe_request_reaches_the_hub_through_a_relay():
    from aiortc.contrib.media import MediaRelay

    from media.forward import ForwardTrack

    async def scenario() -> int:
        requests = []
        track = ForwardTrack(
            "video", source_id="s", viewer_id="v", request_keyframe=lambda: requests.append(1)
        )
        proxy = MediaRelay().subscribe(track)  # streamlit-webrtc wraps source tracks like this
        handler = passthrough.find_keyframe_handler(proxy)
        assert handler is not None, "the hook cannot see through MediaRelay"
        handler()
        return len(requests)

    aiortc_forwarding.install()
    assert run_scenario(scenario()) == 1
