"""Run every benchmark module in bench/ (each as its own process, so none warms another's caches)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    for module in sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_")):
        print(f"== bench.{module}", flush=True)
        failed |= subprocess.call([sys.executable, "-m", f"bench.{module}"], cwd=HERE.parent)
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
