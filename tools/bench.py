"""`make bench`: run every benchmark and write the figures to `bench-results/` for comparison.

Each benchmark module offers `run() -> dict`. Results go to `bench-results/latest.json` and are
appended, with the time and machine, to `bench-results/history.jsonl`. Naming benchmarks on the command
line (`python -m tools.bench quotes`) reruns only those and keeps the other figures in `latest.json`.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

BENCHMARKS = [
    "tools.bench_http",
    "tools.bench_sandbox",
    "tools.bench_webhook",
    "tools.bench_streaming",
    "tools.bench_options",
    "tools.bench_security",
    "tools.bench_quotes",
    "tools.bench_startup",
    "tools.bench_history",
    "tools.bench_analytics",
    "tools.bench_flow",
]
RESULTS = Path(__file__).resolve().parent.parent / "bench-results"


def main(names: list[str]) -> int:
    selected = [name for name in BENCHMARKS if not names or name.rsplit("_", 1)[-1] in names]
    report = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "system": platform.system()},
        "results": {},
    }
    for name in selected:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        print(f"running {name} ...", file=sys.stderr)
        report["results"][name.removeprefix("tools.bench_")] = module.run()
    RESULTS.mkdir(exist_ok=True)
    latest = RESULTS / "latest.json"
    if names and latest.exists():  # a partial run refreshes its own figures and keeps the others
        report["results"] = json.loads(latest.read_text())["results"] | report["results"]
    latest.write_text(json.dumps(report, indent=2) + "\n")
    with (RESULTS / "history.jsonl").open("a") as history:
        history.write(json.dumps(report) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
