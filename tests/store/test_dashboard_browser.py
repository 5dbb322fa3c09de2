"""The dashboard in Debian's headless chromium over a store that three real `rig run`s filled (the nightly sequence
of `nightly_rig_runs`: two firmware releases of an emulated ESME, a run with defects, a run that lost a board): a
regression, a fix, a flake and a bench fault each show on the right page; a pcap and a signed bundle download. A
screenshot of each page is kept in the test's temporary folder (``RIG_KEEP_SCREENSHOTS=DIR`` copies them out)."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Iterator

import pytest

from harness.store.bundle import verify
from harness.store.store import Store
from nightly_rig_runs import CHECK_DIGIT, FOREIGN_MAC, JOIN, REPLAY, run_nightly

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


ESME = "emulated esme"


def matrix_cell(driver, nodeid: str, firmware: str):
    row = driver.find_element(By.CSS_SELECTOR, f'#matrix tr[data-nodeid="{nodeid}"]')
    return row.find_element(By.CSS_SELECTOR, f'td.cell[data-model="{ESME}"][data-firmware="{firmware}"]')


@pytest.mark.timeout(480)
def test_nightly_sequence_in_the_browser(tmp_path: Path, serve, request: pytest.FixtureRequest) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    run1, run2, run3 = (r["run_id"] for r in run_nightly(tmp_path, tmp_path / "rig.db"))
    store = Store(tmp_path / "rig.db")
    server = serve(store, unhealthy=0.05)  # one lost board in ten tests: a bench over 5 % ERROR is unhealthy
    b = request.getfixturevalue("browser")

    # The runs list, newest first, and its filters: runs with an ERROR (the one that lost a board), firmware 1.0.
    b.get(server.url + "/")
    assert [a.text for a in b.find_elements(By.CSS_SELECTOR, "#runs td a")] == [run3, run2, run1]
    b.save_screenshot(str(shots / "runs.png"))
    Select(b.find_element(By.NAME, "verdict")).select_by_visible_text("ERROR")
    click_to(b, b.find_element(By.CSS_SELECTOR, "form.filters button"), "verdict=ERROR")
    assert [a.text for a in b.find_elements(By.CSS_SELECTOR, "#runs td a")] == [run3]
    b.get(server.url + "/?firmware=1.0")
    assert [a.text for a in b.find_elements(By.CSS_SELECTOR, "#runs td a")] == [run1]

    # The run with the defects: the new failure with its reason, the flaky test labelled; the ESME's firmware as
    # its board reported it, its radio the simulated medium.
    b.get(server.url + "/")
    click_to(b, b.find_element(By.LINK_TEXT, run2), f"/runs/{run2}")
    failed = row_of(b, "tests", REPLAY)
    assert "FAIL" in failed.text and "repeated UTRN" in failed.text, failed.text
    assert row_of(b, "tests", FOREIGN_MAC).find_elements(By.CSS_SELECTOR, ".flaky-label")
    assert not row_of(b, "tests", CHECK_DIGIT).find_elements(By.CSS_SELECTOR, ".flaky-label")
    esme = b.find_element(By.CSS_SELECTOR, '#roles tr[data-role="esme"]')
    assert esme.find_element(By.CSS_SELECTOR, ".firmware").text == "1.1" and "0253494D00000003" in esme.text
    assert "simulated radio medium" in esme.find_element(By.CSS_SELECTOR, ".radio-version").text
    assert f"{ESME} firmware 1.1" in b.find_element(By.ID, "duts").text
    b.save_screenshot(str(shots / "run.png"))

    # The flaky test's history: a strip per firmware, the flip rate over 7 and 30 days.
    click_to(b, row_of(b, "tests", FOREIGN_MAC).find_element(By.CSS_SELECTOR, "a.history"), "/history")
    series = row_of(b, "history", "1.1")
    assert "flaky" in series.text and series.text.count("1/1 (100.0%)") == 2
    assert [c.text for c in series.find_elements(By.CSS_SELECTOR, ".strip td")] == ["P", "F"]
    assert "flaky" not in row_of(b, "history", "1.0").text
    b.save_screenshot(str(shots / "history.png"))

    # The matrix against the basis firmware 1.0: a regression, a fix, a flake.
    click_to(b, b.find_element(By.LINK_TEXT, "Matrix"), "/matrix")
    assert matrix_cell(b, REPLAY, "1.1").get_attribute("data-label") == "new failure"
    assert matrix_cell(b, CHECK_DIGIT, "1.1").get_attribute("data-label") == "fixed"
    assert "flaky" in matrix_cell(b, FOREIGN_MAC, "1.1").text
    assert matrix_cell(b, REPLAY, "1.0").get_attribute("data-label") == "basis"
    b.save_screenshot(str(shots / "matrix.png"))

    # Bench health: the lost board makes the bench and the ESME's board unhealthy, never the CHF's; the DUT pages
    # above never counted the ERROR as a verdict on the device.
    click_to(b, b.find_element(By.LINK_TEXT, "Bench health"), "/health")
    assert "unhealthy" in row_of(b, "benches", "nightly").text
    assert "unhealthy" in row_of(b, "boards", "esme").text and "unhealthy" not in row_of(b, "boards", "chf").text
    b.save_screenshot(str(shots / "health.png"))

    # The run that lost a board: the join's capture and the signed evidence bundle download; the bundle verifies.
    b.get(server.url + f"/runs/{run3}")
    assert "BoardLost" in row_of(b, "tests", REPLAY).text and "ERROR" in row_of(b, "tests", REPLAY).text
    b.save_screenshot(str(shots / "run-bench-fault.png"))
    pcap = [e for e in json.loads((tmp_path / "run3" / "run.json").read_text())["tests"] if e["nodeid"] == JOIN][0]
    pcap = next(p for p in pcap["evidence"] if p.endswith("han.pcap"))
    row_of(b, "tests", JOIN).find_element(By.LINK_TEXT, "han.pcap").click()
    assert downloaded(b.downloads, "han.pcap").read_bytes() == (tmp_path / "run3" / pcap).read_bytes()
    b.find_element(By.ID, "bundle").click()
    assert verify(downloaded(b.downloads, "-bundle.zip")) == []

    click_to(b, b.find_element(By.LINK_TEXT, "Scenario coverage"), "/coverage")
    b.save_screenshot(str(shots / "coverage.png"))
    if "not present" not in b.page_source:
        assert "130 scenarios" in b.find_element(By.ID, "coverage-summary").text
    assert all((shots / f"{n}.png").stat().st_size > 0 for n in ("runs", "run", "history", "matrix", "health",
                                                                 "run-bench-fault", "coverage"))
    if os.environ.get("RIG_KEEP_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["RIG_KEEP_SCREENSHOTS"], dirs_exist_ok=True)
    store.close()
