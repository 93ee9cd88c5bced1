"""The README's pictures of the UI, from a real browser (`make screenshots`): the sample documents materialized
through Dagster's CLI into a fresh instance, `dagster-webserver` on a free port over it, and Debian's Chromium,
headless, driven by Playwright (its first-visit dialog skipped), photographing the asset graph, the quality
asset's metadata and the corpus's checks. Written to eval/results/*.png."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.defs.assets import MATERIALIZE_ALL
from tests.servers import BIN, answers, free_port, server

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "eval" / "results"
CHROMIUM = "/usr/bin/chromium"
PAGES = {  # file: (path in the UI, window size, the metadata entry whose Markdown is opened)
    "asset-graph.png": ("/locations/pipeline.definitions/asset-groups/clean", (2000, 700), None),
    "asset-quality.png": ("/assets/quality?view=events", (1600, 1100), "signals"),
    "corpus-checks.png": ("/assets/corpus?view=checks", (1600, 800), None),
}
# As the machine's probe starts it: no sandbox (root), and nothing that reaches for the closed network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home, curated = Path(tmp) / "home", Path(tmp) / "curated"
        home.mkdir()
        env = {**os.environ, "DAGSTER_HOME": str(home), "PIPELINE_RAW_DIR": str(PROJECT / "raw"), "PIPELINE_CURATED_DIR": str(curated)}
        subprocess.run([BIN / "dagster", *MATERIALIZE_ALL],
                       cwd=PROJECT, env=env, check=True, capture_output=True)  # fmt: skip
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [BIN / "dagster-webserver", "-h", "127.0.0.1", "-p", str(port), "-m", "pipeline.definitions"]
        with server(command, lambda: answers(f"{base}/server_info"), Path(tmp) / "webserver.log", cwd=PROJECT, env=env):
            photograph(base)


def photograph(base: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for name, (path, (width, height), entry) in PAGES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(base + path, wait_until="networkidle")
            skip = page.get_by_role("button", name="Skip")
            if skip.count():  # "Join the Dagster community", shown on a first visit
                skip.click()
            page.wait_for_load_state("networkidle")
            if entry:  # the table a metadata entry holds, as a person opens it
                page.locator("tr", has_text=entry).get_by_text("[Show Markdown]").click()
            page.wait_for_timeout(1500)  # the graph's layout settles after its data
            page.screenshot(path=str(RESULTS / name))
            page.close()
            print(f"{RESULTS / name}: {base + path}", flush=True)
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
