"""Way (b): a peer connection created outside the hub (as streamlit-webrtc does), running on hub.loop."""

from __future__ import annotations

import asyncio

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

from media.hub import MediaHub
from media.sink import HubSink
from tests.media.peers import Client, SolidColourTrack, run_scenario, wait_until

ROOM = "505"


def test_an_externally_created_publisher_feeds_the_hub_through_a_relay_and_hub_sink(hub: MediaHub):
    async def scenario() -> None:
        browser = Client(hub, ROOM, "Dr browser", "magenta")  # plays the browser: a client on the test loop
        viewer = Client(hub, ROOM, "Dr viewer", "red")
        await browser.join()
        await viewer.join()

        # The browser's SENDONLY offer.
        offer_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        offer_pc.addTransceiver(SolidColourTrack("magenta"), direction="sendonly")
        await offer_pc.setLocalDescription(await offer_pc.createOffer())
        offer = offer_pc.localDescription

        # What streamlit-webrtc does on its loop (here hub.loop): its own PC, relay.subscribe(input), sink.
        async def server_side() -> tuple[RTCPeerConnection, str, str]:
            relay = MediaRelay()
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            sink = HubSink(hub, ROOM, browser.participant_id)

            @pc.on("track")
            def on_track(track):
                sink.addTrack(relay.subscribe(track))

            await pc.setRemoteDescription(RTCSessionDescription(offer.sdp, offer.type))
            await pc.setLocalDescription(await pc.createAnswer())
            sink.start()
            hub.adopt_connection(ROOM, browser.participant_id, pc)
            return pc, pc.localDescription.sdp, pc.localDescription.type

        server_pc, sdp, kind = await asyncio.wrap_future(hub.media_loop.submit(server_side()))
        await offer_pc.setRemoteDescription(RTCSessionDescription(sdp, kind))
        try:
            tile = await viewer.subscribe(browser)
            await asyncio.wait_for(tile.first_frame.wait(), 10)
            await asyncio.sleep(0.5)
            assert set(tile.colours) == {"magenta"}, f"viewer decoded {set(tile.colours)}"
            video = hub.sources(ROOM, browser.participant_id)["video"]
            assert video.keyframes.receiver is not None, "the hub could not find the browser PC's receiver"
            assert video.packets_in > 0 and video.frames_in == 0, "the external PC's track was decoded"

            await asyncio.to_thread(hub.leave, ROOM, browser.participant_id)
            await wait_until(lambda: "video" in tile.ended, 3, "the leaver's tile did not end")
            await wait_until(
                lambda: server_pc.connectionState == "closed", 3, "the adopted PC was not closed"
            )
        finally:
            await offer_pc.close()
            await viewer.close()

    run_scenario(scenario())
