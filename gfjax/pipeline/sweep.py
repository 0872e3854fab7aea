"""Sweep summary: after ``python -m gfjax.run -m ...`` a table of every job's validation and
truth metrics is written to ``<sweep dir>/summary.csv`` and ``summary.md``, and a page comparing
the jobs to ``<sweep dir>/report.html`` (Hydra callback)."""
from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

from gfjax.pipeline.provenance import atomic_write_text

log = logging.getLogger("gfjax")


def job_row(report: dict, job: str) -> dict:
    """One table row from a job's report.json (missing metrics are blank)."""
    row: dict[str, Any] = {"job": job, "wall_time_s": report.get("wall_time_s")}
    for year, v in sorted((report.get("validation") or {}).items()):
        row[f"r_{year}"] = v.get("r")
        row[f"rmse_{year}_m_per_yr"] = v.get("rmse_m_per_yr")
    for comp, v in (report.get("truth") or {}).items():
        if isinstance(v, dict) and "rmse_m_per_yr" in v:
            row[f"truth_rmse_{comp}_m_per_yr"] = v["rmse_m_per_yr"]
    return row


def summarise(sweep_dir: str | Path) -> list[dict]:
    """Collect every ``*/report.json`` below ``sweep_dir`` and write summary.csv / summary.md."""
    sweep_dir = Path(sweep_dir)
    rows = [job_row(json.loads(p.read_text()), str(p.parent.relative_to(sweep_dir)))
            for p in sorted(sweep_dir.glob("*/report.json"))]
    if not rows:
        log.warning("sweep summary: no report.json under %s", sweep_dir)
        return rows
    cols = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols)
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(sweep_dir / "summary.csv", buf.getvalue())

    def fmt(v):
        return f"{v:.4g}" if isinstance(v, float) else ("" if v is None else str(v))

    md = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(fmt(r.get(c)) for c in cols) + " |" for r in rows]
    atomic_write_text(sweep_dir / "summary.md", "\n".join(md) + "\n")
    from gfjax.report import write_sweep_page

    write_sweep_page(sweep_dir, [dict(r) for r in rows])
    log.info("sweep summary of %d jobs: %s (table), %s (page)", len(rows), sweep_dir / "summary.md",
             sweep_dir / "report.html")
    return rows


class SweepSummary(Callback):
    """Hydra callback: ``on_multirun_end`` writes the sweep summary table."""

    def on_multirun_end(self, config, **kwargs: Any) -> None:
        summarise(config.hydra.sweep.dir)
