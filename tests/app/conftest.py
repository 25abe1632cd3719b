"""AppTest fixtures: the real app.py against a real, freshly migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from auth.throttle import SignInThrottle
from clinical.roles import Role
from components import media_tiles, video_room
from components import sign_in as sign_in_screen
from db.engine import PROJECT_ROOT, transaction
from portal import room_hub
from tests import factories
from tests.app.fake_media import VIDEO_PREFIX, TextMedia

APP = str(PROJECT_ROOT / "app.py")


@dataclass
class Clinic:
    """A small synthetic clinic: one user per role, two patients on the physician's team, one not."""

    users: dict[Role, int]
    own_patient_names: list[str]
    other_patient_name: str


@pytest.fixture
def clinic(engine, db_url, monkeypatch) -> Clinic:
    monkeypatch.setenv("DATABASE_URL", db_url)
    with transaction(engine) as s:
        users = {role: factories.user(s, role.value, role) for role in Role}
        ada = factories.patient(s, "Ada", "Quillfeather")
        ben = factories.patient(s, "Benedikt", "Marrowstone")
        factories.patient(s, "Cleo", "Outsideteam")
        clinicians = [
            users[r] for r in (Role.PHYSICIAN, Role.NURSE, Role.SOCIAL_WORKER, Role.CHAPLAIN, Role.PHARMACIST)
        ]
        factories.on_team(s, ada, *clinicians)
        factories.on_team(s, ben, *clinicians)
        now = dt.datetime.now(dt.UTC)
        factories.assessment(s, ada, now - dt.timedelta(days=1), pain=8)
        factories.assessment(s, ada, now - dt.timedelta(hours=2), pain=7)
        factories.conference(
            s,
            users[Role.PHYSICIAN],
            "Weekly palliative MDT",
            now + dt.timedelta(days=2),
            (ada, users[Role.NURSE], "Pain escalating: rotate opioid?"),
        )
        return Clinic(
            {r: u.id for r, u in users.items()},
            ["Ada Quillfeather", "Benedikt Marrowstone"],
            "Cleo Outsideteam",
        )


# Text someone typed is shown through components.plain_text.md_escape: "lower\-case" on the wire is
# "lower-case" on the screen. The backslash before a Markdown special character is not read by anyone.
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~:$])")
_MARKDOWN_KINDS = {
    "title",
    "header",
    "subheader",
    "markdown",
    "caption",
    "info",
    "warning",
    "error",
    "success",
}


def shown(markdown: str) -> str:
    """The words a Markdown element shows: its text with md_escape's backslashes taken out."""
    return _MARKDOWN_ESCAPE.sub(r"\1", markdown)


def page_text(at: AppTest) -> str:
    """Everything a person would read on the rendered screen."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "info",
        "warning",
        "error",
        "success",
        "metric",
    ):
        for element in getattr(at, kind):
            value = str(getattr(element, "value", ""))
            parts.append(shown(value) if kind in _MARKDOWN_KINDS else value)
            parts.append(str(getattr(element, "label", "")))
    for table in at.dataframe:
        parts.append(table.value.to_string())
    for table in at.table:  # an st.table's cells and headings render Markdown
        parts.append(shown(table.value.to_string()))
    for box in at.selectbox:
        parts.extend(str(o) for o in box.options)
    return "\n".join(parts)


class _ServerThatHasRunAppPy(PagesManager):
    """AppTest builds a fresh PagesManager on every run, so each run looks like a fresh server's first
    request and Streamlit's legacy pages/ handling runs the page file without app.py. A real server does
    that only until app.py first calls st.navigation. These tests exercise the steady state; the fresh
    server's first request is covered in Chromium by tests/e2e/test_pages_signed_out.py."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture
def app(clinic, monkeypatch) -> Callable[[], AppTest]:
    monkeypatch.setattr(app_test_module, "PagesManager", _ServerThatHasRunAppPy)
    # A fresh sign-in throttle for each test: the process-wide one would count every other test's tries.
    monkeypatch.setattr(sign_in_screen, "THROTTLE", SignInThrottle())

    def make() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.run()
        return at

    return make


def by_label(elements, label: str):
    for element in elements:
        if element.label == label:
            return element
    raise AssertionError(f"nothing labelled {label!r} on the screen")


def sign_in(at: AppTest, username: str, password: str = factories.PASSWORD) -> AppTest:
    by_label(at.text_input, "User name").input(username)
    by_label(at.text_input, "Password").input(password)
    by_label(at.button, "Sign in").click()
    at.run()
    return at


@pytest.fixture
def room_media(monkeypatch) -> Iterator[None]:
    """For tests of the conference room: each video tile drawn as a line of text (tests/app/fake_media.py:
    no webrtc component runs without a Streamlit server), and a fresh media hub (the cached one is cleared,
    which closes it) with nobody remembered as removed."""
    monkeypatch.setattr(media_tiles, "page_media", TextMedia)
    room_hub.hub.clear()
    video_room._removed_by.clear()
    yield
    room_hub.hub.clear()


def join(app: Callable[[], AppTest], username: str, meeting: str) -> AppTest:
    """`username` signs in, opens the Conference room and presses Join on `meeting` (preselected)."""
    at = sign_in(app(), username)
    at.switch_page("pages/conference_room.py").run()
    assert meeting in page_text(at), f"{username} is not offered the meeting"
    by_label(at.button, "Join").click().run()
    return at


def button_labels(at: AppTest) -> set[str]:
    return {b.label for b in at.button}


def video_tiles(at: AppTest) -> list[str]:
    """The video tiles on the screen, as the fake media draws them ("Video: <name>")."""
    return [t.value for t in at.text if str(t.value).startswith(VIDEO_PREFIX)]
