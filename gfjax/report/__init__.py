"""Report pages: ``report.html`` of a run (:func:`write_report_page`) and the comparison page
of a sweep (:func:`write_sweep_page`); static HTML that works offline."""
from .page import write_report_page, write_report_page_or_warn
from .sweep import write_sweep_page

__all__ = ["write_report_page", "write_report_page_or_warn", "write_sweep_page"]
