"""report.html in a real headless browser (Debian's chromium, driven over the DevTools protocol),
with the network switched off: the page loads without console errors, the map is drawn, and a
real mouse click on a marker puts that marker's series in the plot beside the map; a click on a
pixel shows that pixel's series. The screenshots stay in the test's tmp directory."""
import base64
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from test_report_page import make_run

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install chromium "
                                                          "(scripts/bootstrap.sh does, as root)"),
              pytest.mark.slow]

FIND_MARKER = """
(() => {
  const find = (v, name) => { if (v.model && v.model.name === name) return v;
    for (const c of (v.child_views || [])) { const f = find(c, name); if (f) return f; } return null; };
  let view = null;
  for (const r of Bokeh.index.roots) { view = view || find(r, "map"); }
  const el = view.canvas_view ? view.canvas_view.el : view.el;
  el.scrollIntoView({block: "center"});
  const box = el.getBoundingClientRect();
  const at = (x, y) => [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
  const m = Bokeh.documents[0].get_model_by_name("markers").data;
  return JSON.stringify({markers: m.x.map((x, i) => [m.km[i], ...at(x, m.y[i])]), canvas: [box.width, box.height],
                         pixel: at(%(px)s, %(py)s)});
})()
"""
SERIES = """JSON.stringify({title: Bokeh.documents[0].get_model_by_name("series_title").text,
  north: Array.from(Bokeh.documents[0].get_model_by_name("series").data.north)})"""


class Chromium:
    """Headless chromium and one DevTools websocket to its page."""

    def __init__(self, profile: Path):
        websocket = pytest.importorskip("websocket", reason="websocket-client (test extra) drives chromium")
        profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                      f"--user-data-dir={profile}", "--remote-debugging-port=0",
                                      "--window-size=1400,1000", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        for _ in range(600):
            if port_file.is_file() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
        url = next(p["webSocketDebuggerUrl"] for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(url, timeout=120, suppress_origin=True)
        self.n, self.events = 0, []

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                assert "error" not in msg, msg
                return msg.get("result", {})
            self.events.append(msg)

    def eval(self, expression):
        out = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in out, out
        return out["result"].get("value")

    def wait_for(self, expression, timeout=60.0):
        end = time.time() + timeout
        while time.time() < end:
            if self.eval(expression):
                return
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}")

    def click(self, x, y):
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path: Path):
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def errors(self):
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(p["exceptionDetails"].get("text", "") + str(p["exceptionDetails"].get("exception", "")))
            elif e.get("method") == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif e.get("method") == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def test_page_in_chromium(tmp_path):
    run_dir, grid = make_run(tmp_path / "run")
    from gfjax.report import write_report_page

    page = write_report_page(run_dir)
    browser = Chromium(tmp_path / "profile")
    try:
        for domain in ("Runtime", "Log", "Page", "Network"):
            browser.call(f"{domain}.enable")
        browser.call("Network.emulateNetworkConditions", offline=True, latency=0, downloadThroughput=-1,
                     uploadThroughput=-1)
        browser.call("Page.navigate", url=page.resolve().as_uri())
        browser.wait_for("typeof Bokeh !== 'undefined' && Bokeh.index.roots.length > 0")
        # the map is drawn: its canvas has a size and the figures below the map are loaded
        px, py = grid.x[3], grid.y[8]  # a pixel with data, away from the markers
        where = json.loads(browser.eval(FIND_MARKER % {"px": px, "py": py}))
        assert where["canvas"][0] > 300 and where["canvas"][1] > 200
        assert browser.eval("Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length") >= 2
        time.sleep(0.5)
        browser.screenshot(tmp_path / "report_page.png")
        km, x, y = where["markers"][1]
        browser.click(x, y)
        browser.wait_for(f"Bokeh.documents[0].get_model_by_name('series_title').text.startsWith('Marker {km} km')")
        got = json.loads(browser.eval(SERIES))
        assert any(v is not None for v in got["north"])
        browser.screenshot(tmp_path / "report_page_marker.png")
        time.sleep(1.0)  # two clicks in quick succession are a double tap
        browser.click(*where["pixel"])
        browser.wait_for("Bokeh.documents[0].get_model_by_name('series_title').text.includes('pixel at E')")
        browser.screenshot(tmp_path / "report_page_pixel.png")
        assert browser.errors() == []
    finally:
        browser.close()
    for name in ("report_page.png", "report_page_marker.png", "report_page_pixel.png"):
        assert (tmp_path / name).stat().st_size > 10_000
