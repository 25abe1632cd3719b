"""Who is in which room: the pure state machine behind MediaHub (no aiortc, no threads, no I/O).

Not thread-safe on its own: MediaHub holds a lock around every call.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from media.backend import (
    ControlRefused,
    JoinOutcome,
    JoinResult,
    ParticipantState,
    ParticipantView,
    Person,
    RoomSnapshot,
)

PRESENT = (ParticipantState.IN_ROOM, ParticipantState.LOBBY)
# Whoever a clinician sent away comes back to the lobby at most, never straight into the room.
TURNED_AWAY = (ParticipantState.REMOVED, ParticipantState.DECLINED)

MSG_JOINED = "You are in the meeting."
MSG_WAITING = "Please wait: someone from the care team will let you in shortly."
MSG_ENDED = "This meeting has ended."
MSG_NOT_MODERATOR = "Only a clinician who is in the meeting can do that."
MSG_NOT_PRESENT = "You are not in this meeting any more. Please join again."


def msg_full(cap: int) -> str:
    return f"This meeting is full ({cap} people). Please ask the team to make room, then try again."


@dataclass
class Participant:
    participant_id: str
    person: Person
    state: ParticipantState
    joined_at: dt.datetime
    last_seen: float
    mic_on: bool = True
    camera_on: bool = True
    muted_by: str | None = None

    def view(self) -> ParticipantView:
        return ParticipantView(
            participant_id=self.participant_id,
            user_id=self.person.user_id,
            display_name=self.person.display_name,
            role=self.person.role,
            state=self.state,
            joined_at=self.joined_at,
            mic_on=self.mic_on,
            camera_on=self.camera_on,
            muted_by=self.muted_by,
        )

    @property
    def sends_audio(self) -> bool:
        return self.state is ParticipantState.IN_ROOM and self.mic_on and self.muted_by is None

    @property
    def sends_video(self) -> bool:
        return self.state is ParticipantState.IN_ROOM and self.camera_on


@dataclass
class Room:
    room_id: str
    cap: int
    ended: bool = False
    version: int = 0
    participants: dict[str, Participant] = field(default_factory=dict)

    def present(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.state in PRESENT]


class Roster:
    """Rooms, their lobby and their rules."""

    def __init__(
        self,
        cap: int = 8,
        drop_after: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.cap = cap
        self.drop_after = drop_after
        self._clock = clock
        self._now = now
        self._rooms: dict[str, Room] = {}

    # -- reading --------------------------------------------------------------------------------------------

    def room(self, room_id: str) -> Room:
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms[room_id] = Room(room_id=room_id, cap=self.cap)
        return room

    def rooms(self) -> list[Room]:
        return list(self._rooms.values())

    def get(self, room_id: str, participant_id: str) -> Participant | None:
        room = self._rooms.get(room_id)
        return None if room is None else room.participants.get(participant_id)

    def snapshot(self, room_id: str) -> RoomSnapshot:
        room = self.room(room_id)
        return RoomSnapshot(
            room_id=room.room_id,
            version=room.version,
            ended=room.ended,
            cap=room.cap,
            participants=tuple(p.view() for p in room.present()),
        )

    # -- joining and leaving ---------------------------------------------------------------------------------

    def join(self, room_id: str, person: Person) -> JoinResult:
        """Seat `person`: in the room directly if they are a clinician on the care team who was never
        removed or declined here, in the lobby otherwise. A person has one seat per room: joining again
        (another tab, a reload) replaces the seat they had. The cap counts the people in the room; the
        lobby holds up to as many again, so waiting relatives never lock the team out."""
        room = self.room(room_id)
        if room.ended:
            return JoinResult(JoinOutcome.ROOM_ENDED, None, MSG_ENDED)
        theirs = [p for p in room.participants.values() if p.person.user_id == person.user_id]
        turned_away = any(p.state in TURNED_AWAY for p in theirs)
        direct = person.clinician and person.on_care_team and not turned_away
        wanted = ParticipantState.IN_ROOM if direct else ParticipantState.LOBBY
        others = [p for p in room.present() if p.state is wanted and p.person.user_id != person.user_id]
        if len(others) >= room.cap:
            return JoinResult(JoinOutcome.ROOM_FULL, None, msg_full(room.cap))
        for seat in theirs:
            if seat.state in PRESENT:
                seat.state = ParticipantState.LEFT  # replaced by the seat below
        participant = Participant(
            participant_id=uuid.uuid4().hex,
            person=person,
            state=wanted,
            joined_at=self._now(),
            last_seen=self._clock(),
        )
        room.participants[participant.participant_id] = participant
        room.version += 1
        if direct:
            return JoinResult(JoinOutcome.JOINED, participant.participant_id, MSG_JOINED)
        return JoinResult(JoinOutcome.WAITING, participant.participant_id, MSG_WAITING)

    def leave(self, room_id: str, participant_id: str) -> None:
        self._set_state(room_id, participant_id, ParticipantState.LEFT)

    def heartbeat(self, room_id: str, participant_id: str) -> ParticipantState:
        participant = self.get(room_id, participant_id)
        if participant is None:
            return ParticipantState.LEFT
        if participant.state in PRESENT:
            participant.last_seen = self._clock()
        return participant.state

    def sweep(self) -> list[tuple[str, str]]:
        """Drop everyone not seen for drop_after seconds; returns the (room_id, participant_id) dropped."""
        cutoff = self._clock() - self.drop_after
        dropped = []
        for room in self._rooms.values():
            for p in room.present():
                if p.last_seen < cutoff:
                    p.state = ParticipantState.LEFT
                    room.version += 1
                    dropped.append((room.room_id, p.participant_id))
        return dropped

    # -- own media -------------------------------------------------------------------------------------------

    def set_own_media(
        self, room_id: str, participant_id: str, *, mic_on: bool | None = None, camera_on: bool | None = None
    ) -> None:
        participant = self.get(room_id, participant_id)
        if participant is None or participant.state not in PRESENT:
            raise ControlRefused(MSG_NOT_PRESENT)
        changed = False
        if mic_on is not None and (mic_on != participant.mic_on or (mic_on and participant.muted_by)):
            participant.mic_on = mic_on
            if mic_on:
                # Unmuting yourself is allowed after a clinician muted you, as in any meeting app.
                participant.muted_by = None
            changed = True
        if camera_on is not None and camera_on != participant.camera_on:
            participant.camera_on = camera_on
            changed = True
        if changed:
            self.room(room_id).version += 1

    # -- moderation ------------------------------------------------------------------------------------------

    def _moderator(self, room_id: str, by_participant_id: str) -> Participant:
        by = self.get(room_id, by_participant_id)
        if by is None or by.state is not ParticipantState.IN_ROOM or not by.person.clinician:
            raise ControlRefused(MSG_NOT_MODERATOR)
        if self.room(room_id).ended:
            raise ControlRefused(MSG_ENDED)
        return by

    def admit(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        self._moderator(room_id, by_participant_id)
        room = self.room(room_id)
        if sum(p.state is ParticipantState.IN_ROOM for p in room.participants.values()) >= room.cap:
            raise ControlRefused(msg_full(room.cap))
        self._transition(room_id, participant_id, {ParticipantState.LOBBY}, ParticipantState.IN_ROOM)

    def decline(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        self._moderator(room_id, by_participant_id)
        self._transition(room_id, participant_id, {ParticipantState.LOBBY}, ParticipantState.DECLINED)

    def remove(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        self._moderator(room_id, by_participant_id)
        self._transition(room_id, participant_id, set(PRESENT), ParticipantState.REMOVED)

    def return_to_lobby(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        # Sending yourself back is allowed: the portal does it from the person's own page, so it does not
        # depend on a clinician's page being open.
        if by_participant_id != participant_id:
            self._moderator(room_id, by_participant_id)
        self._transition(room_id, participant_id, {ParticipantState.IN_ROOM}, ParticipantState.LOBBY)

    def mute(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        by = self._moderator(room_id, by_participant_id)
        target = self.get(room_id, participant_id)
        if target is None or target.state is not ParticipantState.IN_ROOM:
            return  # they left meanwhile: nothing to mute
        if target.mic_on or target.muted_by is None:
            target.mic_on = False
            target.muted_by = by.person.display_name
            self.room(room_id).version += 1

    def end(self, room_id: str, by_participant_id: str) -> None:
        self._moderator(room_id, by_participant_id)
        room = self.room(room_id)
        room.ended = True
        for p in room.present():
            p.state = ParticipantState.ENDED
        room.version += 1

    # -- helpers ---------------------------------------------------------------------------------------------

    def _transition(
        self, room_id: str, participant_id: str, allowed: set[ParticipantState], new: ParticipantState
    ) -> None:
        # A target that has already moved on (another clinician admitted them, they left) is not an error:
        # two clinicians clicking at once must not see a crash.
        target = self.get(room_id, participant_id)
        if target is not None and target.state in allowed:
            target.state = new
            target.last_seen = self._clock()
            self.room(room_id).version += 1

    def _set_state(self, room_id: str, participant_id: str, new: ParticipantState) -> None:
        target = self.get(room_id, participant_id)
        if target is not None and target.state in PRESENT:
            target.state = new
            self.room(room_id).version += 1
