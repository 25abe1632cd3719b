"""The lobby and clinicians' controls, as the media sees them: nothing reaches a guest before admit."""

from __future__ import annotations

import asyncio
import time

import pytest

from media.backend import ControlRefused, JoinOutcome, ParticipantState
from media.hub import MediaHub
from tests.media.peers import Client, run_scenario, wait_until

ROOM = "303"


def test_a_lobby_guest_receives_no_media_until_admitted(hub: MediaHub):
    async def scenario() -> None:
        doctor = Client(hub, ROOM, "Dr red", "red")
        guest = Client(hub, ROOM, "Daughter", "green", clinician=False, on_care_team=False)
        try:
            assert await doctor.join() is JoinOutcome.JOINED
            assert await guest.join() is JoinOutcome.WAITING
            await asyncio.gather(doctor.publish(), guest.publish())

            with pytest.raises(ControlRefused):
                await guest.subscribe(doctor)
            with pytest.raises(ControlRefused):
                await asyncio.to_thread(
                    hub.subscriber_track, ROOM, guest.participant_id, doctor.participant_id, "video"
                )
            doctor_sources = hub.sources(ROOM, doctor.participant_id)
            assert all(not s.subscribers for s in doctor_sources.values()), "a lobby guest got a ForwardTrack"

            # The doctor may open the guest's tile early, but it stays dark while the guest waits.
            tile = await doctor.subscribe(guest)
            await wait_until(
                lambda: tile.connected_at is not None, 5, "doctor's tile of the guest did not connect"
            )
            await asyncio.sleep(1)
            assert tile.colours == [] and tile.audio_frames == 0, "media from the lobby reached the room"

            await asyncio.to_thread(hub.admit, ROOM, doctor.participant_id, guest.participant_id)
            guest_tile = await guest.subscribe(doctor)
            await asyncio.wait_for(guest_tile.first_frame.wait(), 5)
            await asyncio.wait_for(tile.first_frame.wait(), 5)
            assert set(guest_tile.colours) == {"red"}, f"admitted guest saw {set(guest_tile.colours)}"
            assert set(tile.colours) == {"green"}, f"doctor saw {set(tile.colours)} from the guest"
        finally:
            await asyncio.gather(doctor.close(), guest.close())

    run_scenario(scenario())


def test_a_clinicians_mute_stops_that_persons_audio_and_shows_who_muted(hub: MediaHub):
    async def scenario() -> None:
        doctor = Client(hub, ROOM, "Dr red", "red")
        nurse = Client(hub, ROOM, "Nurse green", "green")
        try:
            await doctor.join()
            await nurse.join()
            await asyncio.gather(doctor.publish(), nurse.publish())
            tile = await doctor.subscribe(nurse)
            await asyncio.wait_for(tile.first_frame.wait(), 10)
            await wait_until(lambda: tile.audio_frames > 0, 5, "no audio from the nurse before the mute")

            await asyncio.to_thread(hub.mute, ROOM, doctor.participant_id, nurse.participant_id)
            view = next(
                p for p in hub.snapshot(ROOM).participants if p.participant_id == nurse.participant_id
            )
            assert view.muted_by == "Dr red" and not view.mic_on, f"snapshot after mute: {view}"

            audio = hub.sources(ROOM, nurse.participant_id)["audio"]
            forward = audio.subscribers[doctor.participant_id]
            await asyncio.sleep(0.3)  # packets already queued may still go out
            before = forward.forwarded
            # The window is 8 video frames (about half a second at 15 fps; longer on a busy machine):
            # video still flows, muted audio does not.
            t0 = time.monotonic()
            await wait_until(
                lambda: tile.frames_since(t0) >= 8, 30, "muting the audio also stopped the video"
            )
            assert forward.forwarded == before, (
                f"{forward.forwarded - before} muted audio packets were forwarded"
            )

            # Unmuting yourself afterwards is allowed and clears muted_by.
            await asyncio.to_thread(hub.set_own_media, ROOM, nurse.participant_id, mic_on=True)
            await wait_until(lambda: forward.forwarded > before, 3, "audio did not resume after unmuting")
            view = next(
                p for p in hub.snapshot(ROOM).participants if p.participant_id == nurse.participant_id
            )
            assert view.muted_by is None and view.mic_on
        finally:
            await asyncio.gather(doctor.close(), nurse.close())

    run_scenario(scenario())


def test_camera_off_stops_video_and_a_removed_persons_tiles_end(hub: MediaHub):
    async def scenario() -> None:
        doctor = Client(hub, ROOM, "Dr red", "red")
        guest = Client(hub, ROOM, "Son", "blue", clinician=False, on_care_team=False)
        try:
            await doctor.join()
            await guest.join()
            await asyncio.to_thread(hub.admit, ROOM, doctor.participant_id, guest.participant_id)
            await asyncio.gather(doctor.publish(), guest.publish())
            tile = await doctor.subscribe(guest)
            await asyncio.wait_for(tile.first_frame.wait(), 10)

            await asyncio.to_thread(hub.set_own_media, ROOM, guest.participant_id, camera_on=False)
            await asyncio.sleep(0.3)
            t0 = time.monotonic()
            await asyncio.sleep(1)
            assert tile.frames_since(t0) == 0, "video was forwarded with the camera off"

            with pytest.raises(ControlRefused):
                await asyncio.to_thread(hub.remove, ROOM, guest.participant_id, doctor.participant_id)
            await asyncio.to_thread(hub.remove, ROOM, doctor.participant_id, guest.participant_id)
            await wait_until(
                lambda: {"audio", "video"} <= tile.ended, 3, "the removed guest's tile did not end"
            )
            assert hub.heartbeat(ROOM, guest.participant_id) is ParticipantState.REMOVED
        finally:
            await asyncio.gather(doctor.close(), guest.close())

    run_scenario(scenario())
