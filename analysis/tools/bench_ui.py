"""Benchmark of the dashboard in a real browser: cold first page load, and Analyze click to results (warm).

`python -m analysis bench-ui [--runs 5] [--text FILE]` starts `streamlit run app.py` on a free loopback port
with a throw-away store, drives Debian's Chromium with Playwright, and prints:

* cold start: from launching the server to the Analyze page drawn in the browser;
* first analysis: the click on Analyze to the summary visible, with the models still to load;
* warm: the same for the next runs (median and max), each with a new title so that it is a new analysis;
* stored: the click on Analyze for a text already analysed (the stored analysis opens, no model runs).

Needs the test tools (`requirements-dev.txt`) and `/usr/bin/chromium`. It prints figures and passes no judgement.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from analysis.settings import ROOT, shared_dir

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


#: the page is drawn and Streamlit is not running the script
_IDLE = ("() => !document.querySelector('[data-testid=\"stSkeleton\"]')"
         " && !document.querySelector('[data-testid=\"stStatusWidget\"]')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_health(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as resp:
                if resp.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not answer its health check within 60 s")


def run(text: str, runs: int) -> dict[str, float | list[float]]:
    """Measure; return the figures in seconds."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as store, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        env = {**os.environ, "STANCE_ATLAS_DATA_DIR": store, "DATABASE_URL": ""}
        t0 = time.monotonic()
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                   "--server.address", "127.0.0.1", "--server.headless", "true"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_health(base, t0 + 60)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base + "/", wait_until="domcontentloaded")
            page.get_by_label("Article text").wait_for(timeout=60_000)
            cold = time.monotonic() - t0
            clicks = []
            for n in [*range(runs + 1), 0]:  # the last run repeats the first: the stored analysis opens
                page.goto(base + "/", wait_until="domcontentloaded")
                page.get_by_label("Article text").fill(text)
                page.get_by_label("Title (optional)").fill(f"Benchmark run {n}")  # a new id: a new analysis
                page.wait_for_function(_IDLE, timeout=60_000)
                page.wait_for_timeout(300)
                button = page.get_by_role("button", name="Analyze")
                button.wait_for(state="visible")
                start = time.monotonic()
                button.click(no_wait_after=True)
                page.get_by_text("Share this analysis").wait_for(timeout=120_000)
                page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
                page.wait_for_function(_IDLE, timeout=60_000)
                clicks.append(time.monotonic() - start)
        finally:
            server.terminate()
            server.wait(timeout=20)
            browser.close()
    warm = clicks[1:-1]
    return {"cold_start_s": cold, "first_analysis_s": clicks[0], "warm_median_s": statistics.median(warm),
            "warm_max_s": max(warm), "warm_runs_s": warm, "stored_s": clicks[-1]}


def main(argv: list[str] | None = None) -> int:
    """Print the figures (a table, or JSON with --json)."""
    parser = argparse.ArgumentParser(prog="python -m analysis bench-ui", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs after the first analysis")
    parser.add_argument("--text", type=Path, default=None,
                        help="article to paste (default: the seed article where ../shared has it, else a sample)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    seed = shared_dir() / "seeds" / "article-russia-north-korea.txt"
    path = args.text or (seed if seed.is_file() else ROOT / "data" / "samples" / "philippines-china-shoal-protest.txt")
    figures = run(path.read_text(encoding="utf-8"), args.runs)
    if args.json:
        print(json.dumps(figures, indent=1))
        return 0
    print(f"article: {path.name} ({os.cpu_count()} CPUs)")
    print(f"cold start (launch -> Analyze page drawn): {figures['cold_start_s']:.2f} s")
    print(f"first Analyze click -> results (models load): {figures['first_analysis_s']:.2f} s")
    print(f"warm Analyze click -> results: median {figures['warm_median_s']:.2f} s, max {figures['warm_max_s']:.2f} s "
          f"over {len(figures['warm_runs_s'])} runs")
    print(f"Analyze click on a text already stored -> results: {figures['stored_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
