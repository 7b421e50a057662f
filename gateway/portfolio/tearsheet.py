"""The tearsheet: a backtest's answer as one self-contained HTML page (inline CSS and SVG charts, no
script and no remote asset), to save, mail or print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
WIDTH, HEIGHT, PAD = 860, 240, 8
FILENAME = "portfolio-tearsheet.html"


def polyline(values: list[float], low: float, high: float) -> str:
    """SVG points of `values` spread across the chart's width, scaled between low and high."""
    if not values:
        return ""
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    return " ".join(
        f"{PAD + i * step:.1f},{PAD + (HEIGHT - 2 * PAD) * (1 - (value - low) / span):.1f}"
        for i, value in enumerate(values)
    )


def percent(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def render(result: dict[str, Any], title: str = "Portfolio tearsheet") -> str:
    equity = [point["value"] for point in result["equity"]]
    benchmark = [point["value"] for point in result["benchmark_equity"]]
    drawdown = [point["value"] for point in result["series"]["drawdown"]]
    low, high = min(equity + benchmark), max(equity + benchmark)
    return _ENVIRONMENT.get_template("tearsheet.html").render(
        title=title,
        result=result,
        width=WIDTH,
        height=HEIGHT,
        equity_points=polyline(equity, low, high),
        benchmark_points=polyline(benchmark, low, high),
        drawdown_points=polyline(drawdown, min([*drawdown, 0.0]), 0.0),
        low=low,
        high=high,
        percent=percent,
        number=number,
    )
