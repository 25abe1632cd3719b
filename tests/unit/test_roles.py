from auth.permissions import PageId, may_open, pages_for
from clinical.roles import Role, parse_role


def test_each_role_sees_exactly_its_pages():
    expected = {
        Role.PHYSICIAN: {
            PageId.HOME,
            PageId.PATIENTS,
            PageId.GOALS_OF_CARE,
            PageId.CHECKIN,
            PageId.CONFERENCE_ROOM,
        },
        Role.NURSE: {
            PageId.HOME,
            PageId.PATIENTS,
            PageId.GOALS_OF_CARE,
            PageId.CHECKIN,
            PageId.CONFERENCE_ROOM,
        },
        Role.SOCIAL_WORKER: {
            PageId.HOME,
            PageId.PATIENTS,
            PageId.GOALS_OF_CARE,
            PageId.CHECKIN,
            PageId.CONFERENCE_ROOM,
        },
        Role.CHAPLAIN: {
            PageId.HOME,
            PageId.PATIENTS,
            PageId.GOALS_OF_CARE,
            PageId.CHECKIN,
            PageId.CONFERENCE_ROOM,
        },
        Role.PHARMACIST: {
            PageId.HOME,
            PageId.PATIENTS,
            PageId.GOALS_OF_CARE,
            PageId.CHECKIN,
            PageId.CONFERENCE_ROOM,
        },
        Role.ADMIN: {PageId.HOME, PageId.ADMIN_USERS, PageId.ADMIN_AUDIT},
        Role.FAMILY: {PageId.HOME, PageId.CHECKIN, PageId.CONFERENCE_ROOM},
    }
    assert {role: set(pages_for(role)) for role in Role} == expected


def test_nobody_signed_in_may_open_nothing():
    assert not any(may_open(None, page) for page in PageId)


def test_admin_sees_no_patient_pages_and_clinicians_no_admin_pages():
    assert not may_open(Role.ADMIN, PageId.PATIENTS), "administrators manage accounts, not records"
    assert not may_open(Role.PHYSICIAN, PageId.ADMIN_AUDIT)
    assert not may_open(Role.FAMILY, PageId.PATIENTS), "family must not browse the patient list"
    assert not may_open(Role.ADMIN, PageId.CONFERENCE_ROOM), "administrators take no part in meetings"
    assert not may_open(Role.ADMIN, PageId.GOALS_OF_CARE), "administrators see no clinical records"
    assert not may_open(Role.FAMILY, PageId.GOALS_OF_CARE), "family ask for corrections; they do not edit"


def test_parse_role_accepts_claim_spellings_and_rejects_others():
    assert parse_role("Social Worker") is Role.SOCIAL_WORKER
    assert parse_role("social-worker") is Role.SOCIAL_WORKER
    assert parse_role("PHYSICIAN") is Role.PHYSICIAN
    assert parse_role("superuser") is None
    assert parse_role(None) is None
