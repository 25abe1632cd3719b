"""A database error names the statement, never the values it carried (issue 14, point 15): a failed save
of a goals-of-care record would otherwise put its clinical words in the server's log."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from clinical.roles import Role
from db.engine import transaction
from tests import factories

SECRET = "Prefers not to be told the prognosis; daughter does not know"


def test_a_failed_insert_does_not_show_what_it_carried(engine):
    with transaction(engine) as s:
        factories.user(s, "nurse", Role.NURSE)
        ada = factories.patient(s, "Ada", "Quillfeather")
        mrn = ada.mrn
    with pytest.raises(IntegrityError) as failed, transaction(engine) as s:
        # The same record number again: refused by the unique constraint, after the values were bound.
        factories.patient(s, SECRET, "Quillfeather", mrn=mrn)
    message = str(failed.value)
    assert "INSERT INTO patients" in message, "the error should still say which statement failed"
    assert SECRET not in message, f"the error message (and so the log) carries clinical text: {message}"
