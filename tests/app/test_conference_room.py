"""The conference room under AppTest: joining, the lobby, a clinician's controls, and what gets recorded.

AppTest has no Streamlit server, so streamlit-webrtc cannot run: the page's media (components/media_tiles.py:
page_media) is replaced by tests/app/fake_media.py's TextMedia, which draws each video tile as the text
"Video: <name>" and the publisher as a line of text. Everything else is the real page (the camera preview
included), the real MediaHub and the real database. Each test gets a fresh hub (the cached one is cleared,
which closes it).
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from clinical.roles import Role
from components import agenda_panel, call_bar, conference_list, media_tiles, room_roster, video_room
from db.engine import transaction
from db.models import Attendance, AttendanceOutcome, AuditEvent, Conference, Patient, User
from media.backend import ParticipantState, ParticipantView
from media.patches import webrtc_frontend
from portal import call, clock, family_gate, room_hub
from services import meetings
from tests import factories
from tests.app.conftest import button_labels as _labels
from tests.app.conftest import by_label, join, page_text, sign_in
from tests.app.conftest import video_tiles as _tiles
from tests.app.fake_media import PUBLISHER_LINE

MEETING = "Weekly palliative MDT"

# Media as text, and a fresh hub for each test: tests/app/conftest.py.
pytestmark = pytest.mark.usefixtures("room_media")


@pytest.fixture
def family_linked(engine, clinic) -> None:
    """The clinic's family account is Ada Quillfeather's daughter; Ada is on the meeting's agenda."""
    with transaction(engine) as s:
        ada = s.scalar(select(Patient).where(Patient.family_name == "Quillfeather"))
        family = s.get(User, clinic.users[Role.FAMILY])
        factories.family_contact(s, ada, family)


def _room(app, username: str) -> AppTest:
    at = sign_in(app(), username)
    at.switch_page("pages/conference_room.py").run()
    return at


def _join(app, username: str) -> AppTest:
    return join(app, username, MEETING)


def _previews(at: AppTest) -> list[str]:
    """The camera previews on the screen, each by the caption under it (who sees the picture)."""
    frames = [f for f in at.get("iframe") if f.proto.alt == media_tiles.PREVIEW_ALT]
    captions = [
        c.value
        for c in at.caption
        if c.value in (media_tiles.LOBBY_PREVIEW_CAPTION, media_tiles.SELF_VIEW_CAPTION)
    ]
    assert len(frames) == len(captions), f"{len(frames)} camera previews, captioned {captions}"
    return captions


def _publishing(at: AppTest) -> bool:
    return PUBLISHER_LINE in [t.value for t in at.text]


def _stays(engine, user_id: int) -> list[Attendance]:
    with transaction(engine) as s:
        rows = s.scalars(
            select(Attendance).where(Attendance.user_id == user_id).order_by(Attendance.id)
        ).all()
        s.expunge_all()
        return list(rows)


def _actions(engine) -> list[tuple[str, str]]:
    with transaction(engine) as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.action.like("meeting_%")).order_by(AuditEvent.id)
        ).all()
        return [(r.action, r.actor_name) for r in rows]


def test_streamlit_webrtc_still_has_the_hooks_the_room_patches():
    """The pinned streamlit-webrtc still resolves its loop and relay through the module globals that
    install_webrtc_hooks replaces (installed by media.patches.install_all when the app makes its hub); an
    upgrade that moved them would silently put media back on Streamlit's own event loop."""
    from streamlit_webrtc import webrtc

    for name in webrtc_frontend.WEBRTC_HOOK_TARGETS:
        assert callable(getattr(webrtc, name, None)), f"streamlit_webrtc.webrtc.{name} is gone"
    assert webrtc_frontend.webrtc_hook_targets_used(), "WebRtcWorker no longer calls the patched functions"
    backend = room_hub.hub()
    assert webrtc_frontend.webrtc_hooks_installed()
    assert webrtc.get_global_event_loop() is backend.loop, "peer connections would not run on the hub loop"
    track = object()
    assert webrtc.get_global_relay().subscribe(track) is track, (
        "a relay proxy would sit between hub and aiortc"
    )


def test_rtc_configuration_never_falls_back_to_an_outside_stun_server(monkeypatch):
    monkeypatch.delenv("VESPER_ICE_SERVERS", raising=False)
    assert media_tiles.rtc_configuration() == {"iceServers": []}
    monkeypatch.setenv(
        "VESPER_ICE_SERVERS", '[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "c"}]'
    )
    assert media_tiles.rtc_configuration()["iceServers"][0]["urls"] == "turn:turn.example.org:3478"


def test_clinician_on_the_care_team_joins_directly_and_it_is_recorded(app, engine, clinic):
    at = _join(app, "physician")
    text = page_text(at)
    assert "In the room (1)" in text and "Test Physician" in text
    assert room_roster.WAITING_MESSAGE not in text, "a care-team clinician must not wait in the lobby"
    assert {"Mute microphone", "Turn camera off", "Leave", "End meeting"} <= _labels(at)
    (stay,) = _stays(engine, clinic.users[Role.PHYSICIAN])
    assert stay.outcome is AttendanceOutcome.IN_ROOM and stay.joined_at is not None
    assert _actions(engine) == [("meeting_joined", "physician")]


def test_family_waits_in_the_lobby_until_a_clinician_admits_them(app, engine, clinic, family_linked):
    doctor = _join(app, "physician")
    family = _join(app, "family")

    text = page_text(family)
    assert room_roster.WAITING_MESSAGE in text
    assert _tiles(family) == [], "someone in the lobby must see no video from the room"
    assert _previews(family) == [media_tiles.LOBBY_PREVIEW_CAPTION], (
        "someone in the lobby sees their own camera preview, told only they see it"
    )
    assert _publishing(family), "in the lobby the camera already goes to the hub, so admission is instant"
    assert not {"Admit", "Decline", "Mute", "Remove", "End meeting"} & _labels(family)

    doctor.run()
    assert "Waiting in the lobby (1)" in page_text(doctor)
    assert "Test Family" in page_text(doctor)
    # Before her mother's case is open, the hub refuses her in, and says why.
    by_label(doctor.button, "Admit").click().run()
    assert family_gate.NOT_YET_MESSAGE in page_text(doctor), "Admit did nothing, with no word why"
    assert "In the room (1)" in page_text(doctor), "a family member was let in before her relative's case"
    by_label(doctor.button, agenda_panel.START_AGENDA).click().run()
    by_label(doctor.button, "Admit").click().run()
    assert "In the room (2)" in page_text(doctor)
    assert _tiles(doctor) == ["Video: Test Family"]

    family.run()
    text = page_text(family)
    assert room_roster.WAITING_MESSAGE not in text
    assert "In the room (2)" in text
    assert _tiles(family) == ["Video: Test Physician"]
    assert media_tiles.LOBBY_PREVIEW_CAPTION not in text, (
        "once in the room, the preview must not say that only she sees it"
    )
    assert _previews(family) == [media_tiles.SELF_VIEW_CAPTION], (
        "in the room she has lost sight of herself: no self-view"
    )
    assert _publishing(family)
    assert not {"Admit", "Decline", "Mute", "Remove", "End meeting"} & _labels(family), (
        "a family member must get no moderation controls"
    )
    assert {"Mute microphone", "Leave"} <= _labels(family)

    (stay,) = _stays(engine, clinic.users[Role.FAMILY])
    assert stay.outcome is AttendanceOutcome.IN_ROOM
    assert stay.waiting_since is not None and stay.joined_at is not None
    assert stay.admitted_by_id == clinic.users[Role.PHYSICIAN]
    assert ("meeting_lobby_entered", "family") in _actions(engine)
    assert ("meeting_admitted", "physician") in _actions(engine)


def test_self_view_goes_with_the_camera(app, engine, clinic):
    doctor = _join(app, "physician")
    self_view = [media_tiles.SELF_VIEW_CAPTION]
    assert _previews(doctor) == self_view, "a participant with the camera on sees no self-view"
    by_label(doctor.button, "Turn camera off").click().run()
    assert _previews(doctor) == [], "the self-view still shows a picture the others no longer see"
    assert "Your camera is off: the others do not see you." in page_text(doctor)
    by_label(doctor.button, "Turn camera on").click().run()
    assert _previews(doctor) == self_view, "turning the camera back on does not bring the self-view back"


def test_family_home_shows_her_meeting_with_a_link_into_the_room(app, engine, clinic, family_linked):
    at = sign_in(app(), "family")
    text = page_text(at)
    assert MEETING in text, "the family member is not told of the meeting about her mother"
    assert "About: Ada Quillfeather" in text
    with transaction(engine) as s:
        meeting = s.scalar(select(Conference).where(Conference.title == MEETING))
        when = f"{meeting.starts_at:%A %d %B %Y, %H:%M}"
    assert when in text, "the meeting's day and time are not shown"
    assert conference_list.NO_FAMILY_MEETINGS not in text
    (link,) = [link for link in at.page_link if link.value == "Go to the meeting"]
    assert link.proto.page.endswith("conference_room"), "the link does not lead to the conference room"
    assert link.proto.query_string == f"conference={meeting.id}", "the link does not choose her meeting"


def test_family_home_without_a_meeting_says_where_one_will_appear(app, clinic):
    text = page_text(sign_in(app(), "family"))
    assert conference_list.NO_FAMILY_MEETINGS in text
    assert MEETING not in text, "a meeting about someone else's relative was shown to a family member"


def test_declined_family_member_is_told_plainly(app, engine, clinic, family_linked):
    doctor = _join(app, "physician")
    family = _join(app, "family")
    doctor.run()
    by_label(doctor.button, "Decline").click().run()
    family.run()
    assert "Sorry, you were not admitted to this meeting." in page_text(family)
    assert _tiles(family) == []
    (stay,) = _stays(engine, clinic.users[Role.FAMILY])
    assert stay.outcome is AttendanceOutcome.DECLINED and stay.joined_at is None


def test_removed_participant_is_told_who_removed_them(app, engine, clinic):
    doctor = _join(app, "physician")
    nurse = _join(app, "nurse")
    doctor.run()
    assert _tiles(doctor) == ["Video: Test Nurse"]
    by_label(doctor.button, "Remove").click().run()
    assert _tiles(doctor) == []
    nurse.run()
    assert "You were removed from the meeting by Test Physician." in page_text(nurse)
    assert "In the room" not in page_text(nurse)
    (stay,) = _stays(engine, clinic.users[Role.NURSE])
    assert stay.outcome is AttendanceOutcome.REMOVED
    assert stay.outcome_by_id == clinic.users[Role.PHYSICIAN]


def test_mute_shows_who_muted_whom(app, engine, clinic):
    doctor = _join(app, "physician")
    nurse = _join(app, "nurse")
    doctor.run()
    by_label(doctor.button, "Mute").click().run()
    nurse.run()
    assert "muted by Test Physician" in page_text(nurse)
    assert "Unmute microphone" in _labels(nurse)
    assert ("meeting_muted", "physician") in _actions(engine)


def test_ending_the_meeting_sends_everyone_out(app, engine, clinic):
    doctor = _join(app, "physician")
    nurse = _join(app, "nurse")
    doctor.run()
    by_label(doctor.button, "End meeting").click().run()
    nurse.run()
    assert "The care team ended this meeting." in page_text(nurse)
    for role in (Role.PHYSICIAN, Role.NURSE):
        (stay,) = _stays(engine, clinic.users[role])
        assert stay.outcome is AttendanceOutcome.ENDED


def test_full_room_says_so_and_lets_nobody_in(app, engine, clinic, monkeypatch):
    monkeypatch.setenv("VESPER_ROOM_CAP", "1")
    room_hub.hub.clear()
    _join(app, "physician")
    nurse = _join(app, "nurse")
    assert "full" in page_text(nurse).lower()
    assert "In the room" not in page_text(nurse)
    assert _stays(engine, clinic.users[Role.NURSE]) == []


def test_admin_may_not_open_the_room(app):
    at = sign_in(app(), "admin")
    assert "Conference room" not in {
        info["page_name"] for info in at._registered_pages.values() if info.get("url_pathname") is not None
    }


def test_a_participant_whose_page_stops_polling_is_recorded_as_dropped(app, engine, clinic, monkeypatch):
    """Through the real hub: its sweeper drops the silent nurse, and its on_dropped observer
    (room_hub.record_dropped) writes the attendance outcome and the audit event, with the system as actor."""
    monkeypatch.setattr(room_hub, "DROP_AFTER_SECONDS", 1.0)
    room_hub.hub.clear()
    nurse = _join(app, "nurse")  # AppTest runs no fragment between runs: from here on, no heartbeat
    assert "In the room (1)" in page_text(nurse)
    deadline = time.monotonic() + 30  # a bound for a broken sweeper, not a speed limit
    while time.monotonic() < deadline:
        (stay,) = _stays(engine, clinic.users[Role.NURSE])
        if stay.outcome is not AttendanceOutcome.IN_ROOM:
            break
        time.sleep(0.2)  # polling interval of a bounded wait for the hub's sweeper
    assert stay.outcome is AttendanceOutcome.DROPPED, f"the silent nurse was not recorded as dropped: {stay}"
    assert stay.left_at is not None and stay.outcome_by_id is None
    assert _actions(engine) == [("meeting_joined", "nurse"), ("meeting_dropped", "system")]
    nurse.run()
    assert video_room.DROPPED_MESSAGE in page_text(nurse)


def test_record_dropped_writes_attendance_and_audit(engine, clinic):
    """The observer on its own, as the hub calls it: room id and the dropped participant's view."""
    conference_id = _conference_id(engine)
    nurse = clinic.users[Role.NURSE]
    with transaction(engine) as s:
        meetings.record_room_event(
            s,
            conference_id,
            "joined",
            actor=None,
            subject_user_id=nurse,
            subject_name="Test Nurse",
            subject_role="nurse",
            now=clock.now(),
        )
    view = ParticipantView(
        participant_id="p1",
        user_id=nurse,
        display_name="Test Nurse",
        role="nurse",
        state=ParticipantState.LEFT,
        joined_at=clock.now(),
        mic_on=True,
        camera_on=True,
        muted_by=None,
    )
    room_hub.record_dropped(room_hub.room_id_for(conference_id), view)
    room_hub.record_dropped("not-a-conference", view)  # ignored (logged), not an error
    (stay,) = _stays(engine, nurse)
    assert stay.outcome is AttendanceOutcome.DROPPED and stay.left_at is not None
    with transaction(engine) as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "meeting_dropped"))
        assert event is not None and event.actor_name == "system" and event.actor_user_id is None
        assert event.target_id == str(conference_id)


def test_room_ids_map_back_to_their_conference():
    assert room_hub.conference_id_for(room_hub.room_id_for(42)) == 42
    assert room_hub.conference_id_for("42") is None
    assert room_hub.conference_id_for("conference-x") is None


def _conference_id(engine) -> int:
    with transaction(engine) as s:
        return s.scalar(select(Conference.id).where(Conference.title == MEETING))


# The call follows its owner: components/call_bar.py, drawn by app.py above every page.


def test_the_call_goes_on_while_she_opens_other_pages(app, engine, clinic):
    doctor = _join(app, "physician")
    _join(app, "nurse")
    for page in ("pages/patients.py", "pages/goals_of_care.py", "pages/home.py"):
        doctor.switch_page(page).run()
        text = page_text(doctor)
        assert MEETING in text, f"on {page} the physician no longer sees which meeting she is in"
        assert _tiles(doctor) == ["Video: Test Nurse"], f"on {page} the nurse's video is gone"
        assert _publishing(doctor), f"on {page} her camera no longer goes to the meeting"
        assert {"Mute microphone", "Turn camera off", "Leave", "End meeting"} <= _labels(doctor), page
        assert call_bar.BACK_TO_ROOM in [link.label for link in doctor.get("page_link")], page
    (stay,) = _stays(engine, clinic.users[Role.PHYSICIAN])
    assert stay.outcome is AttendanceOutcome.IN_ROOM, "opening other pages took her out of the meeting"
    doctor.switch_page("pages/conference_room.py").run()
    assert "In the room (2)" in page_text(doctor), "back in the room she had to join again"
    assert "Join" not in _labels(doctor)


def test_leaving_from_another_page_ends_the_call_there(app, engine, clinic):
    doctor = _join(app, "physician")
    doctor.switch_page("pages/patients.py").run()
    by_label(doctor.button, "Leave").click().run()
    assert "You left the meeting." in page_text(doctor)
    assert not _publishing(doctor), "after Leave her camera still goes to the meeting"
    assert MEETING not in page_text(doctor)
    (stay,) = _stays(engine, clinic.users[Role.PHYSICIAN])
    assert stay.outcome is AttendanceOutcome.LEFT


def test_signing_out_leaves_the_meeting_and_forgets_the_seat(app, engine, clinic):
    doctor = _join(app, "physician")
    by_label(doctor.button, "Sign out").click().run()
    (stay,) = _stays(engine, clinic.users[Role.PHYSICIAN])
    assert stay.outcome is AttendanceOutcome.LEFT, "signing out left her in the meeting"
    assert call.SEAT_KEY not in doctor.session_state, "the next person at this screen would inherit her seat"
    assert not _publishing(doctor)
    assert ("meeting_left", "physician") in _actions(engine)
    sign_in(doctor, "nurse")
    doctor.switch_page("pages/conference_room.py").run()
    assert "In the room" not in page_text(doctor), "the nurse inherited the physician's place in the meeting"
    assert "Join" in _labels(doctor)


def test_a_seat_that_is_not_hers_gives_her_nothing(app, engine, clinic):
    """A seat left in a session by someone else (however it got there) is not the signed-in person's: no
    call bar, no moderator controls, and the room offers her the chooser."""
    doctor = _join(app, "physician")
    seat = doctor.session_state[call.SEAT_KEY]
    nurse = sign_in(app(), "nurse")
    nurse.session_state[call.SEAT_KEY] = seat
    nurse.switch_page("pages/conference_room.py").run()
    assert "In the room" not in page_text(nurse)
    assert not _publishing(nurse), "the nurse's browser would send her camera as the physician"
    assert "End meeting" not in _labels(nurse)
    assert "Join" in _labels(nurse)


def test_an_address_with_a_strange_meeting_number_opens_the_room_plainly(app, clinic):
    """`?conference=²` crashed the room: "²".isdigit() is true, and int("²") is an error. The room now
    opens as if no meeting were named, and offers the meetings she may join."""
    for requested in ("²", "٣", "12abc", "9" * 40):
        at = sign_in(app(), "physician")
        at.query_params["conference"] = requested
        at.switch_page("pages/conference_room.py").run()
        assert not at.exception, f"?conference={requested} broke the room: {at.exception}"
        assert MEETING in page_text(at), f"with ?conference={requested} the room offers no meeting to join"
