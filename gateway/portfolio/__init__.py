"""Portfolio and SIP backtests on daily closes from the broker or the local history store."""

from gateway.portfolio.prices import DailyCloses
from gateway.portfolio.service import PortfolioDesk, benchmarks
from gateway.portfolio.sip import FREQUENCIES
from gateway.portfolio.tearsheet import FILENAME as TEARSHEET_FILENAME
from gateway.portfolio.tearsheet import render as render_tearsheet

__all__ = ["FREQUENCIES", "TEARSHEET_FILENAME", "DailyCloses", "PortfolioDesk", "benchmarks", "render_tearsheet"]
