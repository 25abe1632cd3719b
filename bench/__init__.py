"""Benchmarks. Each prints figures as one JSON object on its last line, including a ratio against a
baseline measured in the same process on the same data. Run all with `make bench`."""

import os
import tempfile
from pathlib import Path

# The audit chain needs a key on PostgreSQL (auth/audit_keys.py) and writes checkpoints: the benchmarks'
# own, as the tests have theirs, so `make bench` neither needs a configured key nor writes into var/.
os.environ.setdefault("VESPER_AUDIT_KEY", "bench:" + "b" * 40)
os.environ.setdefault(
    "VESPER_AUDIT_CHECKPOINTS",
    str(Path(tempfile.mkdtemp(prefix="vesper-bench-audit-")) / "checkpoints.jsonl"),
)
