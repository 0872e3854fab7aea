"""``report.html`` of a sweep: one table comparing its jobs' metrics (validation r and RMSE per
year, truth RMSE per component, wall time, peak memory), the best objective marked, each job
linked to its own page."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from .page import CSS, esc, fmt


def write_sweep_page(sweep_dir: str | Path, rows: list[dict] | None = None) -> Path:
    """Write ``<sweep_dir>/report.html`` from every ``*/report.json`` below it; returns the path."""
    from ..pipeline.provenance import atomic_write_text
    from ..pipeline.sweep import job_row

    sweep_dir = Path(sweep_dir)
    reports = {p.parent.relative_to(sweep_dir).as_posix(): json.loads(p.read_text())
               for p in sorted(sweep_dir.glob("*/report.json"))}
    if rows is None:
        rows = [job_row(r, job) for job, r in reports.items()]
    overrides = {}
    for row in rows:
        rep = reports.get(row["job"], {})
        row.setdefault("objective", rep.get("objective"))
        row.setdefault("peak_rss_mb", rep.get("peak_rss_mb"))
        path = sweep_dir / row["job"] / ".hydra" / "overrides.yaml"
        overrides[row["job"]] = ([line.strip().removeprefix("- ").strip() for line in path.read_text().splitlines()
                                  if line.strip()] if path.is_file() else [])
    common = set.intersection(*(set(o) for o in overrides.values())) if overrides else set()
    cols = [c for c in dict.fromkeys(k for r in rows for k in r) if c != "job"]
    scores = [obj for r in rows if isinstance(obj := r.get("objective"), (int, float))]
    best = max(scores) if scores else None
    head = "<th>job (its own overrides)</th>" + "".join(f"<th>{esc(c)}</th>" for c in cols)
    body = []
    for r in rows:
        job = r["job"]
        label = " ".join(o for o in overrides.get(job, []) if o not in common) or job
        link = (f"<a href='{esc(quote(job))}/report.html' title='{esc(job)}'>{esc(label)}</a>"
                if (sweep_dir / job / "report.html").is_file() else esc(label))
        cells = [f"<td>{link}</td>"] + [
            f"<td class='num'>{fmt(r.get(c))}</td>" if isinstance(r.get(c), (int, float)) else f"<td>{fmt(r.get(c))}</td>"
            for c in cols]
        mark = " style='background:#eaf6ea'" if best is not None and r.get("objective") == best else ""
        body.append(f"<tr{mark}>" + "".join(cells) + "</tr>")
    shared = " ".join(sorted(common))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gfjax sweep {esc(sweep_dir.name)}</title><style>{CSS}</style></head>
<body><h1>gfjax sweep <code>{esc(sweep_dir.name)}</code></h1>
<p class="note">{len(rows)} jobs in {esc(sweep_dir)}; common overrides: <code>{esc(shared) or "none"}</code>.
The highlighted row has the best objective (mean validation r). The same table is in summary.csv and
summary.md; each job's page is linked.</p>
<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>
</body></html>
"""
    return atomic_write_text(sweep_dir / "report.html", page)
