"""Room rules: cap, lobby, who may use which control, heartbeats (no media involved)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from media.backend import ControlRefused, JoinOutcome, ParticipantState, ParticipantView
from media.hub import MediaHub
from media.roster import Roster
from tests.media.peers import person

ROOM = "404"


@pytest.fixture
def small_hub() -> Iterator[MediaHub]:
    h = MediaHub(cap=3, drop_after=1.5)
    try:
        yield h
    finally:
        h.close()


def test_care_team_clinicians_join_directly_everyone_else_waits(small_hub: MediaHub):
    doctor = small_hub.join(ROOM, person("Dr A"))
    family = small_hub.join(ROOM, person("Wife", clinician=False, on_care_team=False))
    visiting = small_hub.join(ROOM, person("Dr B", on_care_team=False))
    assert doctor.outcome is JoinOutcome.JOINED
    assert family.outcome is JoinOutcome.WAITING
    assert family.message == "Please wait: someone from the care team will let you in shortly."
    assert visiting.outcome is JoinOutcome.WAITING, "a clinician outside the care team must wait too"
    states = {p.display_name: p.state for p in small_hub.snapshot(ROOM).participants}
    assert states == {
        "Dr A": ParticipantState.IN_ROOM,
        "Wife": ParticipantState.LOBBY,
        "Dr B": ParticipantState.LOBBY,
    }


def test_a_full_room_says_so_in_plain_words(small_hub: MediaHub):
    for name in ("Dr A", "Dr B", "Dr C"):
        assert small_hub.join(ROOM, person(name)).outcome is JoinOutcome.JOINED
    full = small_hub.join(ROOM, person("Dr D"))
    assert full.outcome is JoinOutcome.ROOM_FULL and full.participant_id is None
    assert (
        full.message == "This meeting is full (3 people). Please ask the team to make room, then try again."
    )
    assert len(small_hub.snapshot(ROOM).participants) == 3, "the refused person must not appear anywhere"
    # The lobby is not the room: a relative may wait until someone leaves (admitting is refused till then).
    waiting = small_hub.join(ROOM, person("Nephew", clinician=False, on_care_team=False))
    assert waiting.outcome is JoinOutcome.WAITING


def test_the_default_cap_is_eight_and_the_lobby_does_not_fill_it(hub: MediaHub):
    """Eight tabs of one family account once filled the room and locked the clinicians out."""
    hub.join(ROOM, person("Dr A"))
    for i in range(7):
        assert (
            hub.join(ROOM, person(f"Guest {i}", clinician=False, on_care_team=False)).outcome
            is JoinOutcome.WAITING
        )
    assert hub.join(ROOM, person("Dr B")).outcome is JoinOutcome.JOINED, "waiting guests kept a doctor out"
    for i in range(2, 8):
        hub.join(ROOM, person(f"Dr {i}"))
    full = hub.join(ROOM, person("Dr Nine"))
    assert full.outcome is JoinOutcome.ROOM_FULL and "(8 people)" in full.message


def test_one_seat_per_person_per_room(small_hub: MediaHub):
    """Joining again (a second tab, a reload) replaces the seat: one family account in eight tabs is one
    person in the lobby, and the old tab is told it left."""
    seats = [small_hub.join(ROOM, person("Wife", clinician=False, on_care_team=False)) for _ in range(8)]
    assert all(s.outcome is JoinOutcome.WAITING for s in seats)
    listed = [p for p in small_hub.snapshot(ROOM).participants if p.display_name == "Wife"]
    assert [p.participant_id for p in listed] == [seats[-1].participant_id], "one person, one seat"
    assert small_hub.heartbeat(ROOM, seats[0].participant_id) is ParticipantState.LEFT


def test_removed_or_declined_come_back_to_the_lobby_at_most(small_hub: MediaHub):
    doctor = small_hub.join(ROOM, person("Dr A")).participant_id
    colleague = small_hub.join(ROOM, person("Dr B")).participant_id
    small_hub.remove(ROOM, doctor, colleague)
    again = small_hub.join(ROOM, person("Dr B"))
    assert again.outcome is JoinOutcome.WAITING, "a removed clinician walked straight back into the room"
    relative = small_hub.join(ROOM, person("Son", clinician=False, on_care_team=False)).participant_id
    small_hub.decline(ROOM, doctor, relative)
    assert small_hub.join(ROOM, person("Son", clinician=False, on_care_team=False)).outcome is (
        JoinOutcome.WAITING
    )


def test_admitting_into_a_full_room_is_refused(small_hub: MediaHub):
    doctor = small_hub.join(ROOM, person("Dr A")).participant_id
    small_hub.join(ROOM, person("Dr B"))
    small_hub.join(ROOM, person("Dr C"))
    waiting = small_hub.join(ROOM, person("Wife", clinician=False, on_care_team=False)).participant_id
    with pytest.raises(ControlRefused, match="full"):
        small_hub.admit(ROOM, doctor, waiting)


def test_only_clinicians_in_the_room_may_moderate(small_hub: MediaHub):
    doctor = small_hub.join(ROOM, person("Dr A")).participant_id
    family = small_hub.join(ROOM, person("Wife", clinician=False, on_care_team=False)).participant_id
    waiting_doctor = small_hub.join(ROOM, person("Dr B", on_care_team=False)).participant_id
    for by in (family, waiting_doctor, "nobody"):
        for control in (
            lambda by=by: small_hub.admit(ROOM, by, family),
            lambda by=by: small_hub.decline(ROOM, by, family),
            lambda by=by: small_hub.mute(ROOM, by, doctor),
            lambda by=by: small_hub.remove(ROOM, by, doctor),
            lambda by=by: small_hub.end(ROOM, by),
        ):
            version = small_hub.snapshot(ROOM).version
            with pytest.raises(ControlRefused, match="Only a clinician"):
                control()
            assert small_hub.snapshot(ROOM).version == version, "a refused control changed the room"

    small_hub.admit(ROOM, doctor, family)
    with pytest.raises(ControlRefused):
        small_hub.mute(ROOM, family, doctor)  # admitted, but still not a clinician
    small_hub.decline(ROOM, doctor, waiting_doctor)
    assert small_hub.heartbeat(ROOM, waiting_doctor) is ParticipantState.DECLINED

    # Family may switch their own mic and camera, and leave.
    small_hub.set_own_media(ROOM, family, mic_on=False, camera_on=False)
    view = next(p for p in small_hub.snapshot(ROOM).participants if p.participant_id == family)
    assert not view.mic_on and not view.camera_on and view.muted_by is None
    small_hub.leave(ROOM, family)
    assert small_hub.heartbeat(ROOM, family) is ParticipantState.LEFT

    small_hub.end(ROOM, doctor)
    snap = small_hub.snapshot(ROOM)
    assert snap.ended and snap.participants == ()
    ended = small_hub.join(ROOM, person("Dr C"))
    assert ended.outcome is JoinOutcome.ROOM_ENDED and ended.participant_id is None


def test_every_change_bumps_the_version(small_hub: MediaHub):
    versions = [small_hub.snapshot(ROOM).version]
    doctor = small_hub.join(ROOM, person("Dr A")).participant_id
    versions.append(small_hub.snapshot(ROOM).version)
    guest = small_hub.join(ROOM, person("Son", clinician=False, on_care_team=False)).participant_id
    versions.append(small_hub.snapshot(ROOM).version)
    small_hub.admit(ROOM, doctor, guest)
    versions.append(small_hub.snapshot(ROOM).version)
    small_hub.mute(ROOM, doctor, guest)
    versions.append(small_hub.snapshot(ROOM).version)
    small_hub.heartbeat(ROOM, guest)
    assert small_hub.snapshot(ROOM).version == versions[-1], "a heartbeat is not a change"
    small_hub.remove(ROOM, doctor, guest)
    versions.append(small_hub.snapshot(ROOM).version)
    assert versions == sorted(set(versions)), f"versions did not grow on every change: {versions}"


def test_a_silent_participant_is_dropped_and_can_join_again(small_hub: MediaHub):
    # The hub's sweeper drops whoever stops heartbeating. When (not before drop_after, at the first sweep
    # after it) is Roster's rule, checked on a fake clock below: a wall-clock bound here would be a speed
    # limit that a loaded machine fails.
    doctor = small_hub.join(ROOM, person("Dr A")).participant_id
    quiet = small_hub.join(ROOM, person("Dr B")).participant_id
    deadline = time.monotonic() + 30  # a bound for a broken sweeper, not a speed limit
    while small_hub.heartbeat(ROOM, doctor) is ParticipantState.IN_ROOM and time.monotonic() < deadline:
        if small_hub.snapshot(ROOM).participants and all(
            p.participant_id != quiet for p in small_hub.snapshot(ROOM).participants
        ):
            break
        time.sleep(0.2)
    assert small_hub.heartbeat(ROOM, quiet) is ParticipantState.LEFT, "the silent participant was not dropped"
    assert small_hub.heartbeat(ROOM, doctor) is ParticipantState.IN_ROOM, (
        "the heartbeating doctor was dropped"
    )
    again = small_hub.join(ROOM, person("Dr B"))
    assert again.outcome is JoinOutcome.JOINED and again.participant_id != quiet


def test_silence_drops_a_participant_only_after_drop_after_seconds():
    clock = [100.0]
    roster = Roster(drop_after=1.5, clock=lambda: clock[0])
    doctor = roster.join(ROOM, person("Dr A")).participant_id
    quiet = roster.join(ROOM, person("Dr B")).participant_id
    assert doctor and quiet
    clock[0] = 101.5
    roster.heartbeat(ROOM, doctor)
    assert roster.sweep() == [], "someone silent for exactly drop_after seconds was dropped"
    clock[0] = 101.6
    assert roster.sweep() == [(ROOM, quiet)], "someone silent for longer than drop_after was not dropped"
    clock[0] = 102.9
    assert roster.sweep() == [], "a participant who heartbeats within drop_after was dropped"
    assert roster.heartbeat(ROOM, doctor) is ParticipantState.IN_ROOM
    assert roster.heartbeat(ROOM, quiet) is ParticipantState.LEFT


def test_the_dropped_observer_hears_of_each_drop_once_off_the_media_loop(small_hub: MediaHub):
    heard: list[tuple[str, str, ParticipantState, str, bool]] = []
    done = threading.Event()

    def observer(room_id: str, participant: ParticipantView) -> None:
        gone = all(
            p.participant_id != participant.participant_id for p in small_hub.snapshot(room_id).participants
        )
        heard.append(
            (room_id, participant.display_name, participant.state, threading.current_thread().name, gone)
        )
        done.set()

    small_hub.on_dropped(observer)
    doctor = small_hub.join(ROOM, person("Dr A")).participant_id
    quiet = small_hub.join(ROOM, person("Dr B")).participant_id
    deadline = time.monotonic() + 30  # a bound for a broken sweeper, not a speed limit
    while not done.is_set() and time.monotonic() < deadline:
        small_hub.heartbeat(ROOM, doctor)
        time.sleep(0.2)
    for _ in range(12):  # more sweeps (one a second) while the doctor stays: still one report of the drop
        small_hub.heartbeat(ROOM, doctor)
        time.sleep(0.2)
    assert len(heard) == 1, f"expected one report of the drop, heard {heard}"
    ((room_id, name, state, thread, gone),) = heard
    assert (room_id, name, state) == (ROOM, "Dr B", ParticipantState.LEFT)
    assert gone, "the observer was called before the drop was applied"
    assert thread != "vesper-media-hub" and thread.startswith("vesper-hub-observer"), thread
    assert small_hub.heartbeat(ROOM, quiet) is ParticipantState.LEFT


def test_a_failing_observer_does_not_stop_the_others_or_the_sweeper(small_hub: MediaHub):
    heard: list[str] = []

    def broken(room_id: str, participant: ParticipantView) -> None:
        raise RuntimeError("database down")

    small_hub.on_dropped(broken)
    small_hub.on_dropped(lambda room_id, participant: heard.append(participant.display_name))
    small_hub.join(ROOM, person("Dr A"))
    deadline = time.monotonic() + 30  # a bound for a broken sweeper, not a speed limit
    while not heard and time.monotonic() < deadline:
        time.sleep(0.2)
    assert heard == ["Dr A"]
    small_hub.join(ROOM, person("Dr C"))
    deadline = time.monotonic() + 30  # a bound for a broken sweeper, not a speed limit
    while len(heard) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert heard == ["Dr A", "Dr C"], "the sweeper stopped after an observer failed"


def test_return_to_lobby_clinicians_or_yourself_only():
    roster = Roster()
    doctor = roster.join(ROOM, person("Dr A")).participant_id
    wife = roster.join(ROOM, person("Wife", clinician=False, on_care_team=False)).participant_id
    son = roster.join(ROOM, person("Son", clinician=False, on_care_team=False)).participant_id
    visiting = roster.join(
        ROOM, person("Dr B", on_care_team=False)
    ).participant_id  # a clinician still waiting
    assert doctor and wife and son and visiting
    roster.admit(ROOM, doctor, wife)
    roster.admit(ROOM, doctor, son)

    def state(pid: str) -> ParticipantState:
        participant = roster.get(ROOM, pid)
        assert participant is not None
        return participant.state

    for by, target in ((wife, son), (son, doctor), (visiting, wife), ("nobody", wife)):
        version = roster.room(ROOM).version
        with pytest.raises(ControlRefused, match="Only a clinician"):
            roster.return_to_lobby(ROOM, by, target)
        assert state(target) is ParticipantState.IN_ROOM, "someone who may not moderate sent a person out"
        assert roster.room(ROOM).version == version, "a refused control changed everyone's participant list"

    version = roster.room(ROOM).version
    roster.return_to_lobby(ROOM, doctor, wife)
    assert state(wife) is ParticipantState.LOBBY, "the clinician could not send the wife back to the lobby"
    assert roster.room(ROOM).version > version, "other pages would not notice the wife went back to the lobby"
    views = {p.participant_id: p.state for p in roster.snapshot(ROOM).participants}
    assert views[wife] is ParticipantState.LOBBY, "the participant list does not show the wife as waiting"

    # Someone not in the room is left alone, as when two clinicians click at once.
    for target in (wife, visiting):
        version = roster.room(ROOM).version
        roster.return_to_lobby(ROOM, doctor, target)
        assert state(target) is ParticipantState.LOBBY and roster.room(ROOM).version == version, (
            "sending back someone already waiting changed the room"
        )

    version = roster.room(ROOM).version
    roster.return_to_lobby(ROOM, son, son)
    assert state(son) is ParticipantState.LOBBY, "the son's own page could not send him back to the lobby"
    assert roster.room(ROOM).version > version, "other pages would not notice the son went back to the lobby"

    roster.admit(ROOM, doctor, wife)
    assert state(wife) is ParticipantState.IN_ROOM, "the wife could not be admitted again"

    roster.leave(ROOM, son)
    version = roster.room(ROOM).version
    roster.return_to_lobby(ROOM, doctor, son)
    assert state(son) is ParticipantState.LEFT and roster.room(ROOM).version == version, (
        "someone who had left was put back in the lobby"
    )

    roster.end(ROOM, doctor)
    roster.return_to_lobby(ROOM, wife, wife)
    assert state(wife) is ParticipantState.ENDED, "someone was put in the lobby of an ended meeting"
