"""Patient list: one grouped query for every patient's last check-in and open alerts, against the
obvious baseline of one query per patient (N+1), on the demo data in a throwaway SQLite database.

Prints one JSON object on its last line: median milliseconds for each, and baseline / ours.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from db import queries
from db.engine import engine_for, transaction
from db.models import Alert, AlertStatus, Patient, SymptomAssessment, User
from db.schema import upgrade as migrate
from demo.seed import seed_demo

ROUNDS = 30


def _per_patient_baseline(session, user_id: int) -> list[tuple[Patient, object, int]]:
    rows = []
    for patient in session.scalars(
        select(Patient)
        .where(Patient.id.in_(queries.care_team_patient_ids(user_id)))
        .order_by(Patient.family_name)
    ):
        last = session.scalar(
            select(func.max(SymptomAssessment.assessed_at)).where(SymptomAssessment.patient_id == patient.id)
        )
        n = session.scalar(
            select(func.count(Alert.id)).where(
                Alert.patient_id == patient.id, Alert.status != AlertStatus.ACTIONED
            )
        )
        rows.append((patient, last, n))
    return rows


def _median_ms(fn) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        engine = engine_for(url)
        with transaction(engine) as s:
            seed_demo(s, dt.datetime.now(dt.UTC))
        with transaction(engine) as s:
            physician = s.scalar(select(User.id).where(User.username == "physician"))
            ours = queries.patients_with_status(s, queries.care_team_patient_ids(physician))
            base = _per_patient_baseline(s, physician)
            assert [(r["patient"].id, r["last_checkin"], r["open_alerts"]) for r in ours] == [
                (p.id, last, n) for p, last, n in base
            ], "the two ways of listing patients disagree; the comparison would be meaningless"
            ours_ms = _median_ms(
                lambda: queries.patients_with_status(s, queries.care_team_patient_ids(physician))
            )
            base_ms = _median_ms(lambda: _per_patient_baseline(s, physician))
        engine.dispose()
    print(
        json.dumps(
            {
                "benchmark": "patient_list",
                "patients": len(ours),
                "rounds": ROUNDS,
                "grouped_query_median_ms": round(ours_ms, 3),
                "per_patient_baseline_median_ms": round(base_ms, 3),
                "speedup_vs_baseline": round(base_ms / ours_ms, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
