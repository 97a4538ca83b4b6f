"""report.html in a real browser: Debian's Chromium, headless, driven through chromedriver's
WebDriver protocol (plain HTTP and JSON: the standard library only). The page is written by
plots/report.py from a fixture run with open-loop (rate) results added, so every figure the
report can draw is on it, the latency-against-load one included. The tests check that every
figure loaded, that nothing was requested from outside the file (the page must work mailed,
offline), that the page logged no error, and that the answer's first line is on the first
screen of a 1280x800 window (whose viewport, below the browser's own bars, is shorter).

The test command installs chromium and chromium-driver (scripts/install-deps.sh --browser);
without them these tests are skipped, saying so."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLOTS = os.path.join(ROOT, "plots")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "quick-run-waits.json")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WIDTH, HEIGHT = 1280, 800
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_open_loop import entries  # noqa: E402  (crafted rate results)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    """Just enough of the W3C WebDriver protocol: a session, navigation, scripts, logs."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait_ready()
        options = {"binary": CHROMIUM,
                   "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            f"--window-size={WIDTH},{HEIGHT}", "--no-first-run", "--disable-extensions",
                            "--disable-background-networking", "--disable-component-update"]}
        caps = {"browserName": "chrome", "goog:chromeOptions": options,
                "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"}}
        self.session = self.call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})["sessionId"]

    def _wait_ready(self):
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(self.base + "/status", timeout=2) as r:
                    if json.load(r)["value"].get("ready"):
                        return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        raise RuntimeError("chromedriver did not start within 20 s")

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                return json.load(r)["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"WebDriver {method} {path}: {e.read().decode(errors='replace')[:300]}") from None

    def go(self, url):
        self.call("POST", f"/session/{self.session}/url", {"url": url})

    def script(self, source):
        return self.call("POST", f"/session/{self.session}/execute/sync", {"script": source, "args": []})

    def log(self, kind):
        return self.call("POST", f"/session/{self.session}/se/log", {"type": kind})

    def quit(self):
        try:
            self.call("DELETE", f"/session/{self.session}")
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@unittest.skipUnless(os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK),
                     "Debian's chromium and chromium-driver are not installed (scripts/install-deps.sh --browser)")
class ReportInABrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ipcmeter-browser-")
        with open(FIXTURE, encoding="utf-8") as f:
            data = json.load(f)
        for transport, placement in (("pipe", "thread"), ("pipe", "fork"), ("shm-spsc", "fork")):
            for rate, p99 in ((10_000, 40), (100_000, 60), (1_000_000, 400)):
                data["benchmarks"] += entries(transport, placement, rate, p99)
        run = os.path.join(cls.tmp, "run.json")
        with open(run, "w", encoding="utf-8") as f:
            json.dump(data, f)
        cls.out = os.path.join(cls.tmp, "out")
        proc = subprocess.run([sys.executable, os.path.join(PLOTS, "report.py"), run, "--out", cls.out],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(f"report.py failed: {proc.stderr}")
        cls.pngs = sorted(p for p in os.listdir(cls.out) if p.endswith(".png"))
        cls.driver = WebDriver()
        try:
            cls.driver.go("file://" + os.path.join(cls.out, "report.html"))
            # Every image decoded (or failed) before anything is looked at.
            end = time.monotonic() + 30
            while time.monotonic() < end and not cls.driver.script(
                    "return document.readyState === 'complete' && [...document.images].every(i => i.complete);"):
                time.sleep(0.05)
            cls.browser_log = cls.driver.log("browser")
            cls.requests = [json.loads(e["message"])["message"] for e in cls.driver.log("performance")]
        except Exception:
            cls.driver.quit()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_figure_loaded_the_latency_against_load_one_among_them(self):
        images = self.driver.script(
            "return [...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0 && i.naturalHeight > 0]);")
        self.assertIn("latency_load.png", self.pngs)
        self.assertEqual(sorted(alt for alt, _ in images), self.pngs)  # every PNG written is on the page
        self.assertEqual([alt for alt, ok in images if not ok], [])

    def test_nothing_is_requested_from_outside_the_file(self):
        urls = [m["params"]["request"]["url"] for m in self.requests if m.get("method") == "Network.requestWillBeSent"]
        self.assertTrue(urls, "the performance log saw no request at all (not even the page)")
        outside = [u for u in urls if not u.startswith(("file://", "data:"))]
        self.assertEqual(outside, [])

    def test_the_page_logs_no_error(self):
        self.assertEqual([e for e in self.browser_log if e.get("level") == "SEVERE"], [])

    def test_the_answer_is_on_the_first_screen(self):
        found = self.driver.script("""
            const h = [...document.querySelectorAll('h2')].find(e => e.textContent.trim() === 'The answer');
            if (!h) return null;
            const list = h.nextElementSibling && h.nextElementSibling.nextElementSibling;
            const first = list && list.querySelector('li');
            return {width: window.innerWidth, height: window.innerHeight,
                    heading: h.getBoundingClientRect().top,
                    first_line: first ? first.getBoundingClientRect().bottom : null,
                    text: first ? first.textContent : null};""")
        self.assertIsNotNone(found, "no 'The answer' heading on the page")
        self.assertEqual(found["width"], WIDTH)
        self.assertIsNotNone(found["first_line"], "the answer has no line")
        self.assertLessEqual(found["first_line"], found["height"], found)
        self.assertTrue(found["text"].strip())


if __name__ == "__main__":
    unittest.main()
