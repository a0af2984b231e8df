"""Reports of footprint results: a self-contained HTML page and results.json / .csv."""

from pcf.report.html import render_report, render_results_report
from pcf.report.results import ResultRow, write_results

__all__ = ["ResultRow", "render_report", "render_results_report", "write_results"]
