"""Request counters and latency histograms, rendered in the Prometheus text format for `GET /metrics`.

Recording is two dict updates and a bisect, cheap enough for every request. Other components add
their own figures with `register(name, help, collect)`; `collect()` returns a number, or a list of
`(labels, number)` pairs, and is called only when /metrics is scraped.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
Sample = float | int | list[tuple[dict[str, str], float | int]]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{name}="{_escape(str(value))}"' for name, value in labels.items()) + "}"


class Metrics:
    def __init__(self) -> None:
        self._requests: defaultdict[tuple[str, str, int], int] = defaultdict(int)
        # Per route: one count per bucket plus the overflow, then the running sum.
        self._latency: dict[str, list[float]] = {}
        self._collectors: dict[str, tuple[str, str, Callable[[], Sample]]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self._requests[(route, method, status)] += 1
        cells = self._latency.get(route)
        if cells is None:
            cells = self._latency[route] = [0.0] * (len(BUCKETS) + 2)
        cells[bisect.bisect_left(BUCKETS, seconds)] += 1
        cells[-1] += seconds

    def register(self, name: str, help_text: str, collect: Callable[[], Sample], *, kind: str = "gauge") -> None:
        """Add a figure computed at scrape time; `kind` is `gauge` or `counter`."""
        if kind not in ("gauge", "counter"):
            raise ValueError(f"metric kind must be 'gauge' or 'counter', not {kind!r}")
        self._collectors[name] = (help_text, kind, collect)

    def render(self) -> str:
        lines = [
            "# HELP brokergate_http_requests_total Requests answered, by route, method and status.",
            "# TYPE brokergate_http_requests_total counter",
        ]
        for (route, method, status), count in sorted(self._requests.items()):
            labels = _labels({"route": route, "method": method, "status": str(status)})
            lines.append(f"brokergate_http_requests_total{labels} {count}")
        lines += [
            "# HELP brokergate_http_request_duration_seconds Time to answer a request, by route.",
            "# TYPE brokergate_http_request_duration_seconds histogram",
        ]
        for route, cells in sorted(self._latency.items()):
            cumulative = 0.0
            for bound, count in zip((*BUCKETS, "+Inf"), cells[:-1], strict=True):
                cumulative += count
                labels = _labels({"route": route, "le": str(bound)})
                lines.append(f"brokergate_http_request_duration_seconds_bucket{labels} {cumulative:g}")
            lines.append(f"brokergate_http_request_duration_seconds_sum{_labels({'route': route})} {cells[-1]:.6f}")
            lines.append(f"brokergate_http_request_duration_seconds_count{_labels({'route': route})} {cumulative:g}")
        for name, (help_text, kind, collect) in sorted(self._collectors.items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
            sample = collect()
            if isinstance(sample, int | float):
                lines.append(f"{name} {sample}")
            else:
                lines += [f"{name}{_labels(labels)} {value}" for labels, value in sample]
        return "\n".join(lines) + "\n"
