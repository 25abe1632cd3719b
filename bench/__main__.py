"""Run every benchmark module in bench/ (each as its own process, so none warms another's caches)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    # Every module is a benchmark but the private helpers (_video_peers) and this runner.
    for module in sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_")):
        print(f"== bench.{module}", flush=True)
        failed |= subprocess.call([sys.executable, "-m", f"bench.{module}"], cwd=HERE.parent)
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
