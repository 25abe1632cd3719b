"""The seam between the portal and whatever carries the media.

The built-in implementation is media.hub.MediaHub (a selective forwarding unit inside aiortc). A deployment
that outgrows one server can implement this protocol on an existing SFU (LiveKit, Janus) instead; the
pages and components only ever talk to a VideoBackend.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Protocol


class ParticipantState(str, enum.Enum):  # noqa: UP042 - str() of members stays as other code expects
    LOBBY = "lobby"  # waiting to be admitted; receives no media from the room
    IN_ROOM = "in_room"
    LEFT = "left"  # left on their own, or dropped (network, closed tab) after the heartbeat limit
    DECLINED = "declined"  # a clinician declined them at the lobby
    REMOVED = "removed"  # a clinician removed them from the room
    ENDED = "ended"  # the room was ended while they were in it or waiting


@dataclass(frozen=True)
class Person:
    """Who is joining, as the portal knows them (built from auth.accounts.Identity)."""

    user_id: int
    display_name: str
    role: str  # clinical.roles.Role value, e.g. "physician", "family"
    clinician: bool  # a clinical role: may moderate once in the room
    on_care_team: bool  # clinicians on the patient's care team join directly; everyone else waits


@dataclass(frozen=True)
class ParticipantView:
    """One line of the participant list, as every participant sees it."""

    participant_id: str
    user_id: int
    display_name: str
    role: str
    state: ParticipantState
    joined_at: dt.datetime  # when they entered the room (or the lobby, while waiting)
    mic_on: bool
    camera_on: bool
    muted_by: str | None  # display name of the clinician who muted them, if any


@dataclass(frozen=True)
class RoomSnapshot:
    room_id: str
    version: int  # grows on every change; a page polls "changed since version V" cheaply
    ended: bool
    cap: int
    participants: tuple[ParticipantView, ...]  # everyone currently in the room or the lobby


class JoinOutcome(str, enum.Enum):  # noqa: UP042 - see ParticipantState
    JOINED = "joined"
    WAITING = "waiting"  # placed in the lobby
    ROOM_FULL = "room_full"
    ROOM_ENDED = "room_ended"


@dataclass(frozen=True)
class JoinResult:
    outcome: JoinOutcome
    participant_id: str | None
    message: str  # plain words for the person joining


class ControlRefused(PermissionError):
    """A control the caller may not use (e.g. a family member trying to remove someone)."""


class VideoBackend(Protocol):
    """join, leave, admit, decline, mute, remove, return_to_lobby, end: the room's whole vocabulary."""

    def join(self, room_id: str, person: Person) -> JoinResult:
        """Enter the room, or its lobby. Rejoining after a drop gives a fresh participant id."""

    def leave(self, room_id: str, participant_id: str) -> None:
        """Leave the room; their tiles end for everyone."""

    def admit(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        """A clinician in the room admits someone from the lobby."""

    def decline(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        """A clinician in the room declines someone waiting in the lobby."""

    def mute(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        """A clinician in the room mutes someone's microphone for everyone."""

    def remove(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        """A clinician in the room removes someone from it."""

    def return_to_lobby(self, room_id: str, by_participant_id: str, participant_id: str) -> None:
        """A clinician in the room sends someone in it back to the lobby, or a person sends themself back.

        Afterwards they are waiting as if they had just joined: they receive no media from anyone, their
        tiles end for everyone, and they see and hear the room again only once a clinician admits them. Their
        own camera and microphone stay connected, so after admit() their tile comes back at once. Anyone
        other than a clinician in the room, or the person themself, is refused with ControlRefused; someone
        not in the room (still waiting, gone) is left as they are.
        """

    def end(self, room_id: str, by_participant_id: str) -> None:
        """A clinician in the room ends it for everyone."""

    def set_own_media(
        self, room_id: str, participant_id: str, *, mic_on: bool | None = None, camera_on: bool | None = None
    ) -> None:
        """A participant turns their own microphone or camera on or off."""

    def heartbeat(self, room_id: str, participant_id: str) -> ParticipantState:
        """Called every few seconds by each participant's page; returns their current state."""

    def snapshot(self, room_id: str) -> RoomSnapshot:
        """The room as it is now."""
