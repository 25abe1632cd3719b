"""On PostgreSQL the portal connects as a role that may only add to and read the audit trail (migration
0011, db/roles.py): someone holding the portal's credentials cannot change, remove or empty it, nor
switch off the triggers that guard it. The owner, who runs the migrations, still can: that is what the
audit chain detects (docs/security.md). SQLite has no roles, so every test here is PostgreSQL's only.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from auth import audit
from auth.audit import AuditAction
from db.engine import transaction
from db.roles import PORTAL_ROLE
from tests.conftest import PG_PORTAL_USER, skip_or_fail_without_pg

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)

INSUFFICIENT_PRIVILEGE = "42501"


@pytest.fixture(autouse=True)
def _postgresql_as_the_portal() -> None:
    skip_or_fail_without_pg()
    if not PG_PORTAL_USER:  # under VESPER_REQUIRE_PG=1, skip_or_fail_without_pg has failed already
        pytest.skip("VESPER_TEST_PG_PORTAL_USER is not set: the tests would connect as the owner")


def _one_event(engine: Engine) -> int:
    with transaction(engine) as s:
        return audit.record(s, AuditAction.SIGN_IN, actor_user_id=None, actor_name="x").id


def _refusal(engine: Engine, statement: str) -> DBAPIError:
    """The error `statement` meets when the portal runs it (it is rolled back either way)."""
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text(statement))
    return caught.value


def _events(owner_engine: Engine) -> list[tuple[int, str]]:
    with owner_engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, actor_name FROM audit_events ORDER BY id"))]


def test_the_tests_connect_as_the_portal_not_as_the_owner(engine):
    with engine.connect() as conn:
        superuser, owner, member = conn.execute(
            text(
                "SELECT rolsuper, (SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'), "
                "pg_has_role(current_user, :portal, 'MEMBER') FROM pg_roles WHERE rolname = current_user"
            ),
            {"portal": PORTAL_ROLE},
        ).one()
        me = conn.execute(text("SELECT current_user")).scalar_one()
    assert not superuser and owner != me and member, (
        f"the PostgreSQL tests connect as {me} (superuser {superuser}, owner {owner}, member {member}), not "
        f"as a plain member of {PORTAL_ROLE}: they would pass while the portal could still rewrite the trail"
    )


@pytest.mark.parametrize(
    ("statement", "what_breaks"),
    [
        (
            "UPDATE audit_events SET actor_name = 'someone else'",
            "someone with the portal's credentials could change who did what on the audit trail",
        ),
        (
            "DELETE FROM audit_events",
            "someone with the portal's credentials could remove events from the audit trail",
        ),
        (
            "TRUNCATE audit_events",
            "someone with the portal's credentials could empty the audit trail",
        ),
        (
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete",
            "someone with the portal's credentials could switch off the append-only guard and edit the trail",
        ),
        (
            "DROP TRIGGER audit_events_no_update_delete ON audit_events",
            "someone with the portal's credentials could drop the append-only guard, then edit the trail",
        ),
        (
            "UPDATE alembic_version SET version_num = '0001'",
            "the portal could make the next `make migrate` believe the schema is older than it is",
        ),
    ],
    ids=["update", "delete", "truncate", "disable-trigger", "drop-trigger", "alembic-version"],
)
def test_the_portal_may_not_change_the_audit_trail(engine, owner_engine, statement, what_breaks):
    _one_event(engine)
    before = _events(owner_engine)
    error = _refusal(engine, statement)
    sqlstate = getattr(error.orig, "sqlstate", None)
    assert sqlstate == INSUFFICIENT_PRIVILEGE, (
        f"`{statement}` was not refused for lack of privilege (SQLSTATE {sqlstate}, {error.orig}): "
        f"{what_breaks}"
    )
    assert _events(owner_engine) == before, f"the trail changed anyway: {what_breaks}"


def test_the_portal_appends_to_the_audit_trail_and_reads_it(engine):
    event_id = _one_event(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, actor_name, action FROM audit_events")).all()
    assert [tuple(r) for r in rows] == [(event_id, "x", "sign_in")], (
        "the portal could not record or read back a sign-in: every audited action would fail, and "
        "administrators would see an empty audit report"
    )


def test_the_portal_may_not_create_tables(engine):
    error = _refusal(engine, "CREATE TABLE audit_events_shadow (id integer)")
    assert getattr(error.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE, (
        f"the portal's role could create tables ({error.orig}): with the portal's credentials someone could "
        "change the schema the audit trail relies on"
    )


def test_the_owner_creates_tables_and_the_portal_may_use_them(engine, owner_engine):
    """What a later migration does: the owner creates a table, and the default privileges of 0011 give the
    portal the use of it without another GRANT."""
    with owner_engine.begin() as conn:
        conn.execute(text("CREATE TABLE later_migration (id serial PRIMARY KEY, note text)"))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO later_migration (note) VALUES ('written by the portal')"))
        notes = conn.execute(text("SELECT note FROM later_migration")).scalars().all()
    assert notes == ["written by the portal"], (
        "a table added by a later migration was not readable and writable by the portal: the screen "
        "using it would fail with permission denied after the upgrade"
    )
