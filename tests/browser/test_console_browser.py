"""The console, GraphiQL and the docs in a real browser: headless Chromium driven by selenium.

Signs in as a customer and as a dispatcher, checks what each page shows and what it must not,
and that no page asks for anything outside the service (the browser's performance log lists
every request). Screenshots go to `tests/browser/artifacts/` (or $BROWSER_ARTIFACTS).
Chromium and chromedriver come from Debian's packages (`.ci/run` installs them); without them
these tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from inventory_service.platform.db import Database
from tests import factories as f
from tests.conftest import IN_CI, LiveServer

pytestmark = pytest.mark.slow

ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", Path(__file__).parent / "artifacts"))
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def _binaries() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def chromium() -> tuple[str, str]:
    found = _binaries()
    if found is None:
        reason = "browser tests need Debian's chromium and chromium-driver"
        if IN_CI:
            pytest.fail(f"{reason} (CI must not skip them)")
        pytest.skip(reason)
    return found


class Browser:
    """A selenium Chrome session that remembers every URL the pages requested."""

    def __init__(self, binaries: tuple[str, str], width: int, height: int) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        options = webdriver.ChromeOptions()
        options.binary_location = binaries[0]
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_argument(f"--window-size={width},{height}")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(binaries[1]), options=options)
        self.driver.set_page_load_timeout(60)
        self.requested: list[str] = []

    def get(self, url: str) -> None:
        self.driver.get(url)
        self.collect()

    def collect(self) -> None:
        sent: dict[str, str] = {}
        blocked: set[str] = set()
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message.get("method") == "Network.requestWillBeSent":
                sent[params["requestId"]] = params["request"]["url"]
            elif message.get("method") == "Network.loadingFailed" and params.get("blockedReason"):
                blocked.add(params["requestId"])  # refused by the page's policy: never sent
        self.requested += [url for rid, url in sent.items() if rid not in blocked]

    def click_and_wait(self, selector: str, url_part: str) -> None:
        """Click (a submit button) and wait until the browser has landed on the next page."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver.find_element(By.CSS_SELECTOR, selector).click()
        WebDriverWait(self.driver, 60).until(ec.url_contains(url_part))
        WebDriverWait(self.driver, 60).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        self.collect()

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        body: str = self.driver.find_element(By.TAG_NAME, "body").text
        return body

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def browser(chromium: tuple[str, str]) -> Iterator[Browser]:
    b = Browser(chromium, 1280, 1000)
    yield b
    b.close()


@pytest.fixture
def phone(chromium: tuple[str, str]) -> Iterator[Browser]:
    b = Browser(chromium, 390, 844)
    yield b
    b.close()


@pytest.fixture
def demo(live_server: LiveServer) -> LiveServer:
    """Two customers in Shenyang and Dalian, depots, spares, devices, replacements last month."""
    from api.console import default_month

    db: Database = live_server.database
    with db.transaction() as s:
        f.customer(s, "LNXX")
        f.customer(s, "LNGRID", "辽宁电网")
        f.site(s, "SY-01", customer_code="LNXX")
        f.site(s, "AS-01", customer_code="LNXX", lat=41.1087, lon=122.9946, city="Anshan")
        f.site(s, "DL-01", customer_code="LNGRID", lat=38.914, lon=121.6147, city="Dalian")
        f.site(s, "DD-01", customer_code="LNGRID", lat=40.1245, lon=124.3543, city="Dandong")
        f.warehouse(s, "WH-SY")
        f.warehouse(s, "WH-DL", lat=38.914, lon=121.6147, kind="depot", handling_minutes=15)
        f.part(s, "PSU-750W")
        f.part(s, "FAN-X", category="router_fan", specs={"rpm": 9000})
        f.device(s, "DEV-MINE", site_code="AS-01", components=[("PSU1", "PSU-750W", "C1")])
        f.device(s, "DEV-THEIRS", site_code="DL-01", components=[("FAN1", "FAN-X", "C2")])
        for n in range(3):
            f.spare(s, f"SP-PSU-{n}", part_number="PSU-750W")
        f.spare(s, "SP-FAN-1", part_number="FAN-X", warehouse_code="WH-DL")
    year, month = (int(x) for x in default_month().split("-"))
    from datetime import UTC, datetime

    with db.transaction() as s:
        for day, minutes in ((3, 80), (9, 150), (16, 200), (23, 310)):
            f.replacement_row(
                s,
                f"R{day}",
                replaced_at=datetime(year, month, day, 3, tzinfo=UTC),
                duration_minutes=minutes,
            )
    return live_server


def sign_in(b: Browser, base: str, token: str) -> None:
    from selenium.webdriver.common.by import By

    b.get(f"{base}/console")
    assert "/console/sign-in" in b.driver.current_url
    b.driver.find_element(By.ID, "token").send_keys(token)
    b.click_and_wait("form[action='/console/sign-in'] button", "/console/spares")
    assert b.driver.current_url.endswith("/console/spares")
    cookies = {c["name"]: c for c in b.driver.get_cookies()}
    assert cookies["inventory_console"]["httpOnly"] is True
    assert cookies["inventory_console"]["sameSite"] == "Strict"
    assert b.driver.execute_script("return document.cookie").find("inventory_console=") == -1


def token_of(server: LiveServer, role: str, customer: str | None = None) -> str:
    return server.headers_for(role, customer=customer)["Authorization"].removeprefix("Bearer ")


def assert_only_local(b: Browser, base: str) -> None:
    host = urlsplit(base).netloc
    outside = [
        u
        for u in b.requested
        if urlsplit(u).scheme in ("http", "https", "ws", "wss") and urlsplit(u).netloc != host
    ]
    assert outside == [], outside
    assert b.requested


def test_customer_sees_its_own_things(demo: LiveServer, browser: Browser) -> None:
    base = demo.url
    sign_in(browser, base, token_of(demo, "customer", "LNXX"))
    text = browser.text()
    assert "SP-PSU-0" in text
    assert "SP-FAN-1" not in text  # FAN-X is only in another customer's device
    browser.shot("customer-spares")

    browser.get(f"{base}/console/reach?site_code=AS-01&part_number=PSU-750W")
    text = browser.text()
    assert "AS-01" in text
    assert "SP-PSU-" in text
    assert browser.driver.find_elements("css selector", "svg line.route")
    assert not browser.driver.find_elements("css selector", "g.site[data-code='DL-01']")
    browser.shot("customer-reach")

    browser.get(f"{base}/console/coverage")
    assert not browser.driver.find_elements("css selector", "g.site[data-code='DD-01']")
    assert browser.driver.find_elements("css selector", "g.site[data-code='AS-01']")
    browser.shot("customer-coverage")

    browser.get(f"{base}/console/report")
    assert browser.driver.find_element("id", "count").text == "4"
    assert browser.driver.find_elements("css selector", "#chart-durations rect")
    browser.shot("customer-report")

    browser.get(f"{base}/console/reach?site_code=DL-01&part_number=FAN-X")
    assert "SP-FAN-1" not in browser.text()
    assert_only_local(browser, base)


def test_dispatcher_checks_reach_on_the_map(demo: LiveServer, browser: Browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base = demo.url
    sign_in(browser, base, token_of(demo, "dispatcher"))
    assert "SP-FAN-1" in browser.text()
    browser.get(f"{base}/console/reach")
    Select(browser.driver.find_element(By.ID, "r-site")).select_by_value("DD-01")
    browser.driver.find_element(By.ID, "r-part").send_keys("FAN-X")
    browser.click_and_wait("form.filters button", "site_code=DD-01")
    text = browser.text()
    assert "DD-01" in text
    assert "SP-FAN-1" in text
    assert browser.driver.find_elements(By.CSS_SELECTOR, "svg circle.ring")
    browser.shot("dispatcher-reach")

    browser.get(f"{base}/console/coverage?customer_code=LNGRID")
    assert browser.driver.find_element(By.ID, "stocking-plan")
    browser.shot("dispatcher-coverage")

    browser.get(f"{base}/console/report")
    assert "403" in browser.driver.title or browser.driver.find_elements(By.CSS_SELECTOR, ".error")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "nav a[href='/console/report']")

    browser.get(f"{base}/console/devices?serial=C2")
    assert "FAN1" in browser.text()
    browser.shot("dispatcher-device")

    browser.get(f"{base}/console/spares?lang=en")
    assert "Spares list" in browser.text()
    browser.click_and_wait(".who button", "/console/sign-in")
    assert "/console/sign-in" in browser.driver.current_url
    browser.get(f"{base}/console/spares")
    assert "/console/sign-in" in browser.driver.current_url
    assert_only_local(browser, base)


def test_the_console_fits_a_phone(demo: LiveServer, phone: Browser) -> None:
    base = demo.url
    sign_in(phone, base, token_of(demo, "engineer"))
    phone.get(f"{base}/console/reach?site_code=AS-01&part_number=PSU-750W")
    width = phone.driver.execute_script("return document.documentElement.scrollWidth")
    viewport = phone.driver.execute_script("return window.innerWidth")
    assert width <= viewport + 1  # wide tables scroll inside their own box
    phone.shot("phone-reach")
    assert_only_local(phone, base)


def test_docs_and_graphiql_load_everything_from_the_service(
    live_server: LiveServer, browser: Browser
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base = live_server.url
    browser.get(f"{base}/docs")
    WebDriverWait(browser.driver, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .opblock"))
    )
    browser.collect()
    browser.shot("docs-swagger")
    browser.get(f"{base}/redoc")
    WebDriverWait(browser.driver, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "[role=navigation], .menu-content"))
    )
    browser.collect()
    assert_only_local(browser, base)


def test_graphiql_opens_without_a_token_and_queries_with_one(
    graphiql_server: LiveServer, browser: Browser
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base = graphiql_server.url
    browser.get(f"{base}/graphql")
    WebDriverWait(browser.driver, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".graphiql-container .graphiql-editors"))
    )
    browser.collect()
    assert "Headers" in browser.text()
    assert "Authorization" in browser.text()
    token = token_of(graphiql_server, "dispatcher")
    headers = json.dumps({"Authorization": f"Bearer {token}"})
    # Write the headers the way a person would, through GraphiQL's storage, and reload.
    browser.driver.execute_script(
        "localStorage.setItem('graphiql:headers', arguments[0]);", headers
    )
    browser.get(f"{base}/graphql")
    WebDriverWait(browser.driver, 30).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button"))
    ).click()
    WebDriverWait(browser.driver, 30).until(
        lambda d: "items" in d.find_element(By.CSS_SELECTOR, ".result-window").text
    )
    browser.collect()
    browser.shot("graphiql")
    assert "unauthorized" not in browser.driver.find_element(By.CSS_SELECTOR, ".result-window").text
    assert_only_local(browser, base)
