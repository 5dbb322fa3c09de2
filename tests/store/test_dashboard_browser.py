"""The dashboard in Debian's headless chromium: the nightly sequence (two ESME firmware versions, a run with a
defect, a run that lost a board) shows as a regression, a fix, a flake and a bench fault on the right pages; a
pcap and a signed bundle download. A screenshot of each page is kept in the test's temporary folder."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Iterator

import pytest

from harness.store.bundle import verify
from harness.store.runfolder import read_run
from harness.store.store import Store
from nightly_runs import PCAP_HEADER, write_sequence

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1400,1000")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path: Path) -> Iterator:
    if not (os.access(CHROMIUM, os.X_OK) and os.access(DRIVER, os.X_OK)):
        pytest.skip("Debian's chromium and chromium-driver are not installed "
                    "(apt-get install chromium chromium-driver; .ci/run installs them)")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for a browser elsewhere
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def click_to(driver, element, url_part: str) -> None:
    """Click a link or button and wait until the browser is on the page whose URL holds `url_part`."""
    element.click()
    WebDriverWait(driver, 60).until(lambda d: url_part in d.current_url and
                                    d.execute_script("return document.readyState") == "complete")


def downloaded(folder: Path, name_end: str, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(name_end)]
        if done and not any(p.suffix == ".crdownload" for p in folder.iterdir()):
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {name_end} downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}")


def row_of(driver, table: str, text: str):
    rows = [r for r in driver.find_elements(By.CSS_SELECTOR, f"#{table} tr") if text in r.text]
    assert rows, f"no row with {text!r} in #{table}"
    return rows[0]


@pytest.mark.timeout(180)
def test_nightly_sequence_in_the_browser(tmp_path: Path, serve, browser) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    store = Store(tmp_path / "rig.db")
    folders = write_sequence(tmp_path / "runs", smki=True)
    for folder in folders:
        store.record(read_run(folder), str(folder))
    run2, run3 = (read_run(f).run_id for f in folders[1:])
    server = serve(store)
    b = browser

    # The runs list, newest first, and its filters (runs with an ERROR: the one that lost a board).
    b.get(server.url + "/")
    assert len(b.find_elements(By.CSS_SELECTOR, "#runs tr")) == 4
    b.save_screenshot(str(shots / "runs.png"))
    Select(b.find_element(By.NAME, "verdict")).select_by_visible_text("ERROR")
    click_to(b, b.find_element(By.CSS_SELECTOR, "form.filters button"), "verdict=ERROR")
    assert [a.text for a in b.find_elements(By.CSS_SELECTOR, "#runs td a")] == [run3]

    # The run with the defect: the new failure with its reason, the flaky test labelled; its pcap downloads.
    b.get(server.url + "/")
    click_to(b, b.find_element(By.LINK_TEXT, run2), f"/runs/{run2}")
    failed = row_of(b, "tests", "test_topup_replay")
    assert "FAIL" in failed.text and "already accepted" in failed.text
    assert row_of(b, "tests", "test_alert_order").find_elements(By.CSS_SELECTOR, ".flaky-label")
    b.save_screenshot(str(shots / "run.png"))
    failed.find_element(By.LINK_TEXT, "han.pcap").click()
    assert downloaded(b.downloads, "han.pcap").read_bytes() == PCAP_HEADER

    # The flaky test's history: a strip per firmware, the flip rate over 7 and 30 days.
    click_to(b, row_of(b, "tests", "test_alert_order").find_element(By.CSS_SELECTOR, "a.history"), "/history")
    series = row_of(b, "history", "1.1")
    assert "flaky" in series.text and series.text.count("1/1 (100.0%)") == 2
    assert [c.text for c in series.find_elements(By.CSS_SELECTOR, ".strip td")] == ["P", "F"]
    assert "flaky" not in row_of(b, "history", "1.0").text
    b.save_screenshot(str(shots / "history.png"))

    # The matrix against the basis firmware 1.0: a regression, a fix, a flake.
    click_to(b, b.find_element(By.LINK_TEXT, "Matrix"), "/matrix")
    labels = {r.get_attribute("data-nodeid").rsplit("::", 1)[1]: r.find_elements(By.CSS_SELECTOR, "td.cell")[1]
              for r in b.find_elements(By.CSS_SELECTOR, "#matrix tr[data-nodeid]")}
    assert labels["test_topup_replay"].get_attribute("data-label") == "new failure"
    assert labels["test_join_timing"].get_attribute("data-label") == "fixed"
    assert "flaky" in labels["test_alert_order"].text
    b.save_screenshot(str(shots / "matrix.png"))

    # Bench health: the lost board makes the bench and the ESME's board unhealthy; the DUT pages never count it.
    click_to(b, b.find_element(By.LINK_TEXT, "Bench health"), "/health")
    assert "unhealthy" in row_of(b, "benches", "nightly").text
    assert "unhealthy" in row_of(b, "boards", "esme").text and "unhealthy" not in row_of(b, "boards", "chf").text
    b.save_screenshot(str(shots / "health.png"))

    # The run that lost a board: its signed evidence bundle downloads and verifies.
    b.get(server.url + f"/runs/{run3}")
    b.find_element(By.ID, "bundle").click()
    assert verify(downloaded(b.downloads, "-bundle.zip")) == []
    b.save_screenshot(str(shots / "run-bench-fault.png"))

    click_to(b, b.find_element(By.LINK_TEXT, "Scenario coverage"), "/coverage")
    b.save_screenshot(str(shots / "coverage.png"))
    if "not present" not in b.page_source:
        assert "130 scenarios" in b.find_element(By.ID, "coverage-summary").text
    assert all((shots / f"{n}.png").stat().st_size > 0 for n in ("runs", "run", "history", "matrix", "health"))
    if os.environ.get("RIG_KEEP_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["RIG_KEEP_SCREENSHOTS"], dirs_exist_ok=True)
    store.close()
