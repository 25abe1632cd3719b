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


def _state(hub: MediaHub, participant_id: str) -> ParticipantState | None:
    return next(
        (p.state for p in hub.snapshot(ROOM).participants if p.participant_id == participant_id), None
    )


def test_a_clinician_sends_a_family_member_back_to_the_lobby_and_admits_them_again(hub: MediaHub):
    async def scenario() -> None:
        doctor = Client(hub, ROOM, "Dr red", "red")
        family = Client(hub, ROOM, "Daughter", "green", clinician=False, on_care_team=False)
        old_tiles = []
        try:
            assert await doctor.join() is JoinOutcome.JOINED
            assert await family.join() is JoinOutcome.WAITING
            await asyncio.to_thread(hub.admit, ROOM, doctor.participant_id, family.participant_id)
            await asyncio.gather(doctor.publish(), family.publish())
            doctor_tile = await doctor.subscribe(family)  # the doctor's tile of the daughter
            family_tile = await family.subscribe(doctor)  # the daughter's tile of the doctor
            old_tiles = [doctor_tile, family_tile]
            await asyncio.wait_for(doctor_tile.first_frame.wait(), 10)
            await asyncio.wait_for(family_tile.first_frame.wait(), 10)

            # The daughter's page cannot send anyone else out of the room.
            version = hub.snapshot(ROOM).version
            with pytest.raises(ControlRefused, match="Only a clinician"):
                await asyncio.to_thread(
                    hub.return_to_lobby, ROOM, family.participant_id, doctor.participant_id
                )
            assert _state(hub, doctor.participant_id) is ParticipantState.IN_ROOM, (
                "a family member sent the doctor out of the meeting"
            )
            assert hub.snapshot(ROOM).version == version, (
                "a refused control changed everyone's participant list"
            )

            await asyncio.to_thread(hub.return_to_lobby, ROOM, doctor.participant_id, family.participant_id)
            assert _state(hub, family.participant_id) is ParticipantState.LOBBY, (
                "the daughter is not shown as waiting in the lobby after the doctor sent her back"
            )
            assert hub.heartbeat(ROOM, family.participant_id) is ParticipantState.LOBBY, (
                "the daughter's page would not switch to the lobby screen"
            )

            await wait_until(
                lambda: {"audio", "video"} <= doctor_tile.ended,
                5,
                "the doctor still has a tile of the daughter after sending her back to the lobby",
            )
            await wait_until(
                lambda: {"audio", "video"} <= family_tile.ended,
                5,
                "the daughter still sees and hears the meeting from the lobby",
            )
            t0 = time.monotonic()
            await asyncio.sleep(1)
            assert family_tile.frames_since(t0) == 0, (
                "video from the meeting kept reaching the daughter in the lobby"
            )
            doctor_sources = hub.sources(ROOM, doctor.participant_id)
            assert all(family.participant_id not in s.subscribers for s in doctor_sources.values()), (
                "the hub still forwards the doctor's media to the daughter in the lobby"
            )
            family_sources = hub.sources(ROOM, family.participant_id)
            assert all(not s.subscribers for s in family_sources.values()), (
                "the hub still forwards the daughter's media from the lobby into the meeting"
            )

            # No new way back in without an admit.
            with pytest.raises(ControlRefused):
                await family.subscribe(doctor)
            with pytest.raises(ControlRefused):
                await asyncio.to_thread(
                    hub.subscriber_track, ROOM, family.participant_id, doctor.participant_id, "video"
                )

            # Her camera and microphone stay connected while she waits.
            assert family.publisher is not None and family.publisher.connectionState == "connected", (
                "the daughter's camera connection dropped: after admit her tile would take seconds to return"
            )
            video = family_sources["video"]
            packets = video.packets_in
            await wait_until(
                lambda: video.packets_in > packets,
                5,
                "the hub stopped receiving the daughter's camera while she waits in the lobby",
            )
            assert not video.enabled, "the daughter's camera is forwarded while she waits in the lobby"

            await asyncio.to_thread(hub.admit, ROOM, doctor.participant_id, family.participant_id)
            assert _state(hub, family.participant_id) is ParticipantState.IN_ROOM, (
                "the daughter could not be admitted again after being sent back to the lobby"
            )
            doctor_tile = await doctor.subscribe(family)
            family_tile = await family.subscribe(doctor)
            await asyncio.wait_for(doctor_tile.first_frame.wait(), 10)
            await asyncio.wait_for(family_tile.first_frame.wait(), 10)
            assert set(doctor_tile.colours) == {"green"}, (
                f"after re-admitting her the doctor saw {set(doctor_tile.colours)}, not the daughter"
            )
            assert set(family_tile.colours) == {"red"}, (
                f"after being re-admitted the daughter saw {set(family_tile.colours)}, not the doctor"
            )
            await wait_until(
                lambda: doctor_tile.audio_frames > 0 and family_tile.audio_frames > 0,
                5,
                "after re-admitting the daughter the doctor and she cannot hear each other",
            )
        finally:
            for tile in old_tiles:
                for task in tile.tasks:
                    task.cancel()
                await tile.pc.close()
            await asyncio.gather(doctor.close(), family.close())

    run_scenario(scenario())


def test_a_family_member_may_send_themself_back_to_the_lobby(hub: MediaHub):
    async def scenario() -> None:
        doctor = Client(hub, ROOM, "Dr red", "red")
        family = Client(hub, ROOM, "Son", "blue", clinician=False, on_care_team=False)
        try:
            await doctor.join()
            await family.join()
            await asyncio.to_thread(hub.admit, ROOM, doctor.participant_id, family.participant_id)
            await asyncio.gather(doctor.publish(), family.publish())
            doctor_tile = await doctor.subscribe(family)
            family_tile = await family.subscribe(doctor)
            await asyncio.wait_for(doctor_tile.first_frame.wait(), 10)
            await asyncio.wait_for(family_tile.first_frame.wait(), 10)

            await asyncio.to_thread(hub.return_to_lobby, ROOM, family.participant_id, family.participant_id)
            assert _state(hub, family.participant_id) is ParticipantState.LOBBY, (
                "the son's own page could not send him back to the lobby"
            )
            await wait_until(
                lambda: {"audio", "video"} <= doctor_tile.ended,
                5,
                "the doctor still has a tile of the son after he went back to the lobby",
            )
            await wait_until(
                lambda: {"audio", "video"} <= family_tile.ended,
                5,
                "the son still sees and hears the meeting from the lobby",
            )
            assert family.publisher is not None and family.publisher.connectionState == "connected", (
                "the son's camera connection dropped when he went back to the lobby"
            )
        finally:
            await asyncio.gather(doctor.close(), family.close())

    run_scenario(scenario())
