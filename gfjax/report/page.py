"""``report.html``: the page a glaciologist opens first, written beside ``report.json``.

One static, offline page per run (no server, no internet): the run's configuration summary,
its metrics (validation against the reference product, truth errors where there is a truth,
coverage, timings, peak disk and memory), the interactive map (:mod:`gfjax.report.map`), every
figure and the animation of ``figures/`` (linked relative to the page, so keep the page in its
run directory), and the product files. Built from the run directory alone
(:func:`write_report_page`), so any run, finished or partial, can be (re)paged.
"""
from __future__ import annotations

import html
import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("gfjax")

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1280px;padding:0 24px 48px;
color:#222;line-height:1.4}
h1{margin:24px 0 4px}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:36px}
table{border-collapse:collapse;margin:8px 0 16px;display:block;overflow-x:auto;max-width:100%}td,th{border:1px solid #ddd;padding:4px 10px;text-align:left;overflow-wrap:anywhere;
vertical-align:top}th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.note{color:#666}.grid{display:flex;flex-wrap:wrap;gap:16px}.grid figure{margin:0;flex:1 1 560px}
figure img,figure video{max-width:100%;border:1px solid #ddd}figcaption{color:#555;font-size:13px}
code,pre{background:#f6f6f6;padding:1px 4px}pre{padding:8px;overflow:auto;max-height:420px}
nav a{margin-right:14px}td a{white-space:nowrap}
"""

FIGURE_CAPTIONS = {
    "mean_speed_log.png": "Mean 3D speed (linear rate of the displacement), log scale.",
    "component_maps.png": "DEM, mean horizontal speed and the vertical components (SPF, nSPF).",
    "reference_scatter.png": "SAR annual speed against the reference product, per year.",
    "time_distance.png": "Time–distance diagrams along the central flowline.",
    "markers_velocity.png": "Interval velocities at the flowline markers (region mean ± std).",
    "markers_displacement.png": "Cumulative displacement at the flowline markers (region mean ± std).",
    "lcurve.png": "L-curve of the MSBAS regularisation.",
    "scene_speed_maps.png": "True speed of the synthetic scene at several dates.",
    "scene_time_distance.png": "True surge history of the synthetic scene along the flowline.",
    "scene_dem.png": "DEM of the scene.",
    "scene_pair_amplitude.png": "Amplitude of one simulated SLC pair.",
}


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value) if all(not isinstance(v, (dict, list)) for v in value) \
            else esc(json.dumps(value))
    return esc(value)


def table(header: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f"<td class='num'>{fmt(c)}</td>" if isinstance(c, (int, float)) and not isinstance(c, bool) else f"<td>{fmt(c)}</td>"
        for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def flatten(d: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested metrics → (dotted key, value) rows; lists of dicts are left whole."""
    if not isinstance(d, dict):
        return [(prefix, d)]
    rows = []
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        rows += flatten(v, key) if isinstance(v, dict) else [(key, v)]
    return rows


def truth_tables(truth: dict) -> list[tuple[list[str], list[list[Any]]]]:
    """``report["truth"]`` as tables: one row per metrics group (a dict holding numbers),
    labelled by its path (``north``, ``north / per_year / 2017`` …); groups with the same keys
    share a table, whose columns are those keys."""
    tables: dict[tuple, list[list[Any]]] = {}

    def walk(node: dict, path: list[str]) -> None:
        leaves = {k: v for k, v in node.items() if not isinstance(v, dict)}
        if leaves:
            tables.setdefault(tuple(leaves), []).append([" / ".join(path) or "all", *leaves.values()])
        for k, v in node.items():
            if isinstance(v, dict):
                walk(v, path + [str(k)])

    walk(truth, [])
    return [(list(keys), rows) for keys, rows in tables.items()]


def config_summary(config: dict) -> list[list[Any]]:
    """The settings a reader asks about first (all of them are in the resolved config below)."""
    pick = [("data source", "data.source"), ("data path", "data.path"), ("scene span", ("scene.start", "scene.end")),
            ("tracks", "scene.tracks"), ("grid spacing (m)", "geometry.grid_spacing_m"),
            ("offset window (px)", "offsets.window"), ("offset step (px)", "offsets.step"),
            ("offset search (px)", "offsets.search"), ("tracking method", "offsets.method"),
            ("MSBAS dimension", "msbas.dim"), ("MSBAS regularisation order", "msbas.order"),
            ("λ selection", "msbas.select_lam"), ("λ", "msbas.lam"), ("rank threshold", "products.rank_threshold"),
            ("reference products", "data.reference"), ("stages", "stages")]

    def get(path):
        node = config
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    rows = []
    for label, path in pick:
        value = " → ".join(str(get(p)) for p in path) if isinstance(path, tuple) else get(path)
        if value not in (None, "", [], "None → None"):
            rows.append([label, value])
    return rows


def metrics_sections(report: dict) -> str:
    parts = []
    val = report.get("validation") or {}
    if val:
        rows = [[y, v.get("r"), v.get("rmse_m_per_yr"), v.get("bias_m_per_yr"), v.get("n")] for y, v in sorted(val.items())]
        parts.append("<h3>Validation against the reference product (annual speed)</h3>"
                     + table(["year", "r", "RMSE (m/yr)", "bias (m/yr)", "pixels"], rows))
    else:
        parts.append("<h3>Validation</h3><p class='note'>No reference product was compared "
                     "(set <code>data.reference</code> for a stack run).</p>")
    truth = report.get("truth")
    if truth:
        parts.append("<h3>Errors against the simulated truth</h3>"
                     "<p class='note'>estimate − truth of the interval velocities on ice (m/yr unless named "
                     "otherwise); rows below a component break it down by year and speed class.</p>"
                     + "".join(table(["component / subset"] + cols, rows) for cols, rows in truth_tables(truth)))
    stages = report.get("stages") or {}
    cov = []
    for stage, keys in (("offsets", ("pairs_tracked", "pairs_total", "median_valid_fraction", "windows")),
                        ("geocode", ("maps", "median_ice_coverage", "maps_without_data")),
                        ("msbas", ("pixels", "ice_pixels", "valid_pixels", "epochs", "intervals", "maps_used",
                                   "maps_dropped", "lam", "rank", "outliers_rejected")),
                        ("products", ("rank_threshold", "masked_by_rank"))):
        for k in keys:
            if k in stages.get(stage, {}):
                cov += [[f"{stage}.{key}", v] for key, v in flatten(stages[stage][k], k)]
    if cov:
        parts.append("<h3>Coverage</h3>" + table(["metric", "value"], cov))
    timing = [[name, s.get("status"), s.get("wall_time_s"), s.get("run_dir_mb_after")] for name, s in stages.items()]
    if timing:
        timing.append(["whole run", "", report.get("wall_time_s"), None])
        parts.append("<h3>Timings</h3>" + table(["stage", "status", "wall time (s)", "run dir after (MB)"], timing))
    res = [(k, report.get(k)) for k in ("peak_rss_mb", "peak_disk_mb") if report.get(k) is not None]
    if res:
        parts.append("<h3>Resources</h3>" + table(["peak", "MB"], [[k.replace("_mb", "").replace("_", " "), v]
                                                                  for k, v in res]))
    return "\n".join(parts)


def figures_section(run_dir: Path) -> str:
    figs = sorted((run_dir / "figures").glob("*.png")) + sorted((run_dir / "figures").glob("*/*.png"))
    items = []
    for f in figs:
        rel = f.relative_to(run_dir).as_posix()
        items.append(f"<figure><a href='{esc(rel)}'><img src='{esc(rel)}' alt='{esc(f.stem)}' loading='lazy'></a>"
                     f"<figcaption><b>{esc(rel)}</b> {esc(FIGURE_CAPTIONS.get(f.name, ''))}</figcaption></figure>")
    anim = []
    for f in sorted((run_dir / "figures").glob("*.mp4")):
        rel = f.relative_to(run_dir).as_posix()
        anim.append(f"<figure><video src='{esc(rel)}' controls loop muted></video>"
                    f"<figcaption><b>{esc(rel)}</b> Horizontal speed through time (MP4).</figcaption></figure>")
    for f in sorted((run_dir / "figures").glob("*.gif")):
        rel = f.relative_to(run_dir).as_posix()
        anim.append(f"<figure><img src='{esc(rel)}' alt='animation' loading='lazy'>"
                    f"<figcaption><b>{esc(rel)}</b> Horizontal speed through time (GIF).</figcaption></figure>")
    out = "<h2 id='animation'>Animation</h2>" + (f"<div class='grid'>{''.join(anim)}</div>" if anim else
                                                 "<p class='note'>No animation (products.animation=false).</p>")
    out += "<h2 id='figures'>Figures</h2>" + (f"<div class='grid'>{''.join(items)}</div>" if items else
                                              "<p class='note'>No figures (products.figures=false, or the "
                                              "products stage has not run).</p>")
    return out


def products_section(run_dir: Path) -> str:
    rows = []
    for f in sorted((run_dir / "products").rglob("*")):
        if f.is_file():
            rel = f.relative_to(run_dir).as_posix()
            rows.append([f"<a href='{esc(rel)}'>{esc(rel)}</a>", round(f.stat().st_size / 1e6, 2)])
    if not rows:
        return "<p class='note'>No product files yet.</p>"
    body = "".join(f"<tr><td>{r[0]}</td><td class='num'>{r[1]}</td></tr>" for r in rows)
    return ("<p class='note'>Variables, units and CRS of each file: see the product table of the README.</p>"
            f"<table><thead><tr><th>file</th><th>MB</th></tr></thead><tbody>{body}</tbody></table>")


def render_report_page(run_dir: Path, report: dict, max_values: int | None = None) -> str:
    from .map import MAX_VALUES, map_html

    run_dir = Path(run_dir)
    prov = report.get("provenance") or {}
    config = prov.get("config") or {}
    head_js, map_div = map_html(run_dir, max_values or MAX_VALUES)
    name = report.get("name", run_dir.name)
    facts: list[list[Any]] = [
        ["created (UTC)", prov.get("created_utc")],
        ["gfjax", f"{prov.get('gfjax_version')} ({prov.get('gfjax_commit')})"],
        ["command", prov.get("command")], ["host", prov.get("host")],
        ["JAX backend", prov.get("jax_backend")], ["objective (mean validation r)", report.get("objective")]]
    facts = [r for r in facts if r[1] not in (None, "None (None)")]
    resolved = json.dumps(config, indent=1) if config else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gfjax run {esc(name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{CSS}</style>
{head_js}
</head><body>
<h1>gfjax run <code>{esc(name)}</code></h1>
<p class="note">{esc(report.get('workdir', ''))} — report.json holds every number of this page.</p>
<nav><a href="#map">map</a><a href="#metrics">metrics</a><a href="#animation">animation</a><a href="#figures">figures</a>
<a href="#products">products</a><a href="#config">configuration</a></nav>
{table(["", ""], facts)}
<h2 id="map">Interactive map</h2>
{map_div}
<h2 id="metrics">Metrics</h2>
{metrics_sections(report)}
{figures_section(run_dir)}
<h2 id="products">Product files</h2>
{products_section(run_dir)}
<h2 id="config">Configuration</h2>
{table(["setting", "value"], config_summary(config))}
<details><summary>resolved configuration (config_resolved.yaml)</summary><pre>{esc(resolved)}</pre></details>
</body></html>
"""


def write_report_page(run_dir: str | Path, report: dict | None = None, max_values: int | None = None) -> Path:
    """Write ``<run_dir>/report.html`` from the run directory (``report`` defaults to its
    ``report.json``); returns the path."""
    from ..pipeline.provenance import atomic_write_text

    run_dir = Path(run_dir)
    if report is None:
        report = json.loads((run_dir / "report.json").read_text())
    path = atomic_write_text(run_dir / "report.html", render_report_page(run_dir, report, max_values))
    log.info("report page: %s", path)
    return path


def write_report_page_or_warn(run_dir: str | Path, report: dict) -> Path | None:
    """:func:`write_report_page` at the end of a run; a failure is logged with its traceback
    (the run's products and report.json are complete either way) and gives None."""
    try:
        return write_report_page(run_dir, report)
    except Exception:  # noqa: BLE001 — the page must not undo a finished run
        log.exception("report page: report.html not written")
        return None
