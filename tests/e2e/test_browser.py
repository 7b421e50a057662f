"""Headless Chromium drives the console on real sockets: setup, a key, logout, login, live orders, logout.

Uses Debian's `chromium` through Playwright's `executable_path`, so no browser download is needed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.conftest import answers, free_port

CHROMIUM = Path("/usr/bin/chromium")
ARGUMENTS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a long console password"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture
def gateway(tmp_path):
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key not in ("APP_KEY", "API_KEY_PEPPER")}
    environment |= {"WEBSOCKET_PORT": str(free_port()), "ZMQ_ADDRESS": f"tcp://127.0.0.1:{free_port()}"}
    process = subprocess.Popen(
        [Path(sys.executable).parent / "brokergate", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        eventually(lambda: answers(f"http://127.0.0.1:{port}/health"), timeout=60)  # slow on a busy machine
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGUMENTS)
        try:
            context = browser.new_context()
            yield context.new_page()
        finally:
            browser.close()


def _first_admin(page, gateway: str) -> None:
    """Create the first administrator on /setup, which lands on the Keys page."""
    page.goto(gateway + "/setup")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("#create-admin")
    page.wait_for_url(re.compile(r"/keys$"))


def _script_errors(page) -> list[str]:
    """The page's script errors as they happen (a missing resource, such as the favicon, is not one)."""
    console_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Failed to load resource" not in message.text
            and console_errors.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    return console_errors


def test_setup_key_logout_login_and_dashboard(gateway, page):
    console_errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))

    page.goto(gateway + "/")
    assert page.url.endswith("/setup")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("#create-admin")
    page.wait_for_url(re.compile(r"/keys$"))

    page.click("#create-key")
    api_key = page.text_content("#api-key-value").strip()
    assert re.fullmatch(r"[0-9a-f]{64}", api_key)
    page.goto(gateway + "/keys")
    assert api_key not in page.content()  # shown once, not on the next visit

    page.click("#logout")
    page.wait_for_url(re.compile(r"/login$"))
    page.goto(gateway + "/keys")
    assert page.url.endswith("/login")

    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login")
    page.wait_for_url(gateway + "/")
    assert page.text_content("#mode").strip() == "analyze"
    # The live tables fill in from /console/api; each shows data or says why it cannot (yet).
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-book] .status')].every(s => s.textContent.length > 0"
        " || s.closest('[data-book]').querySelector('tbody tr, dd'))"
    )
    assert not [error for error in console_errors if "Content Security Policy" in error]

    # An order placed by a script appears on the page as it happens, and so does its cancellation.
    quote = httpx.post(f"{gateway}/api/v1/quotes", json={"apikey": api_key, "symbol": "SBIN", "exchange": "NSE"}).json()
    placed = httpx.post(
        f"{gateway}/api/v1/placeorder",
        json={
            "apikey": api_key,
            "strategy": "browser",
            "symbol": "SBIN",
            "exchange": "NSE",
            "action": "BUY",
            "quantity": "1",
            "pricetype": "LIMIT",
            "price": f"{quote['data']['bid'] - 5:.2f}",
        },
    ).json()
    row = f"[data-book] tr:has-text('{placed['orderid']}')"
    page.wait_for_selector(row, timeout=10_000)
    httpx.post(
        f"{gateway}/api/v1/cancelorder", json={"apikey": api_key, "strategy": "browser", "orderid": placed["orderid"]}
    )
    page.wait_for_selector(f"{row}:has-text('cancelled')", timeout=10_000)

    # The operating pages: the order log shows that order's trail, the sandbox resets, Telegram links.
    page.click("nav a[href='/orderlog']")
    page.wait_for_selector(f"#orderlog-rows tr:has-text('{placed['orderid']}')")
    assert api_key not in page.content()
    page.click("nav a[href='/sandbox']")
    page.once("dialog", lambda dialog: dialog.accept())
    page.fill("input[name=starting_capital]", "500000")
    page.click("#reset-sandbox")
    page.wait_for_selector("text=The sandbox was reset")
    assert "500,000.00" in page.text_content("#sandbox-funds")
    page.click("nav a[href='/telegram']")
    assert page.text_content("#bot-state").strip() == "stopped"
    assert page.is_visible("#save-token") and page.is_disabled("#make-link-code")
    # History: a download of daily bars from the offline market runs to the end, then charts.
    page.click("nav a[href='/historify']")
    page.fill("#historify-download input[name=symbols]", "SBIN")
    page.select_option("#historify-download select[name=interval]", "D")
    end = page.input_value("#historify-download input[name=end_date]")
    page.fill("#historify-download input[name=start_date]", str(date.fromisoformat(end) - timedelta(days=60)))
    page.click("#historify-start")
    page.wait_for_selector("#historify-jobs tr[data-status=done]", timeout=20_000)
    page.click("#historify-catalogue tbody tr:has-text('SBIN')", timeout=10_000)
    page.wait_for_function("() => /^\\d+ candles$/.test(document.getElementById('historify-chart-status').textContent)")
    assert page.locator("#historify-chart canvas").count() > 0
    assert not [error for error in console_errors if "Content Security Policy" in error]

    page.click("#logout")
    page.wait_for_url(re.compile(r"/login$"))


def test_admin_data_latency_and_traffic_pages(gateway, page, tmp_path):
    console_errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    _first_admin(page, gateway)
    page.click("#create-key")
    api_key = page.text_content("#api-key-value").strip()
    httpx.post(f"{gateway}/api/v1/orderbook", json={"apikey": api_key})

    page.click("nav >> text=Admin data")
    page.wait_for_url(re.compile(r"/admin/data$"))
    page.select_option("#holiday-year", "2026")
    page.click("#holidays button:has-text('Show')")
    assert page.locator("#holidays tbody tr").count() == 16
    page.fill("#add-holiday input[name=date]", "2027-03-10")
    page.fill("#add-holiday input[name=description]", "Foundation Day")
    page.click("#add-holiday button")
    page.wait_for_selector("#holidays tr:has-text('Foundation Day')")
    csv_file = tmp_path / "freeze.csv"
    csv_file.write_text("exchange,symbol,freeze_qty\nNSE,SBIN,5000\n")
    page.set_input_files("#upload-freeze input[type=file]", str(csv_file))
    page.click("#upload-freeze button")
    page.wait_for_selector("#freeze tr:has-text('SBIN')")

    page.click("nav >> text=Latency")
    page.wait_for_url(re.compile(r"/monitor/latency$"))
    page.wait_for_selector("tr:has-text('orderbook')")
    page.click("nav >> text=Traffic")
    page.wait_for_url(re.compile(r"/monitor/traffic$"))
    assert int(page.text_content("#traffic-figures dd").strip()) > 0
    assert not [error for error in console_errors if "Content Security Policy" in error]


ANALYTICS_PAGES = ("gex", "ivchart", "ivsmile", "oiprofile", "oitracker", "straddle", "volsurface")
# The second and third charts some pages draw beside #chart.
ANALYTICS_CHARTS = {"oitracker": ("pain-chart",), "ivchart": ("greek-chart",), "oiprofile": ("oi-chart", "change-chart")}


def test_analytics_pages_draw_charts_with_data(gateway, page):
    console_errors = _script_errors(page)
    _first_admin(page, gateway)
    page.click("#create-key")

    for tool in ANALYTICS_PAGES:
        page.goto(f"{gateway}/analytics/{tool}")

        # Each chart says how many points it drew; a drawn chart has a canvas and at least one point.
        page.wait_for_function("() => Number(document.querySelector('#chart').dataset.points || 0) > 0", timeout=15_000)
        assert page.locator("#chart canvas").count() > 0, tool
        assert page.locator("#summary dd").count() > 0, tool
        for chart in ANALYTICS_CHARTS.get(tool, ()):
            page.wait_for_function(f"() => Number(document.querySelector('#{chart}').dataset.points || 0) > 0")
            assert page.locator(f"#{chart} canvas").count() > 0, chart

    page.select_option("#underlying", "BANKNIFTY")
    page.wait_for_function("() => document.querySelector('#status').textContent.startsWith('BANKNIFTY')")
    assert not console_errors


def test_python_strategies_page_writes_starts_shows_the_log_and_stops_a_script(gateway, page):
    console_errors = _script_errors(page)
    _first_admin(page, gateway)

    page.click("nav a[href='/python']")
    page.fill("#pystrategy-name", "ticker")
    page.fill("#pystrategy-source", "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.5)\n")
    page.click("#pystrategy-save")
    page.wait_for_selector("#pystrategies tr[data-status=stopped]:has-text('ticker')")
    page.click("#pystrategies tr:has-text('ticker') button:has-text('Start')")
    page.wait_for_selector("#pystrategies tr[data-status=running]:has-text('ticker')", timeout=15_000)
    page.wait_for_function("() => /tick/.test(document.getElementById('pystrategy-log').textContent)", timeout=15_000)
    page.click("#pystrategies tr:has-text('ticker') button:has-text('Stop')")
    page.wait_for_selector("#pystrategies tr[data-status=stopped]:has-text('ticker')", timeout=15_000)
    page.wait_for_function("() => /stopped: SIGTERM/.test(document.getElementById('pystrategy-log').textContent)")
    assert not console_errors


def test_portfolio_page_runs_a_backtest_and_draws_the_equity_curve(gateway, page):
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    _first_admin(page, gateway)
    page.click("#create-key")

    page.click("nav >> text=Portfolio")
    page.wait_for_url(re.compile(r"/portfolio$"))
    page.fill("#start-date", "2026-01-01")
    page.select_option("#rebalance", "monthly")
    page.click("#run-backtest")

    page.wait_for_function(
        "() => document.querySelector('#status').textContent.includes('trading days')", timeout=30_000
    )
    assert int(page.get_attribute("#chart", "data-points")) > 100
    assert page.locator("#chart canvas").count() > 0
    assert page.locator("#items tbody tr").count() == 2
    assert page.locator("#summary dd").count() == 7
    assert not page_errors


def test_strategies_page_creates_maps_and_shows_an_alert(gateway, page):
    console_errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    _first_admin(page, gateway)

    page.click("nav a[href='/strategies']")
    page.wait_for_url(re.compile(r"/strategies$"))
    page.fill("#create-strategy input[name=name]", "Browser")
    page.uncheck("#create-strategy input[name=is_intraday]")
    page.click("#create-strategy-button")
    page.wait_for_selector("section.strategy:has-text('Browser')")
    page.fill("section.strategy input[name=symbol]", "SBIN")
    page.fill("section.strategy input[name=quantity]", "2")
    page.click("section.strategy button:has-text('Map symbol')")
    page.wait_for_selector("section.strategy td:has-text('SBIN')")
    url = page.text_content("code.webhook-url").strip()
    assert "{{strategy.order.action}}" in page.text_content("pre.alert-json")

    alert = httpx.post(gateway + "/" + url.split("/", 3)[3], json={"symbol": "SBIN", "action": "BUY"})
    page.reload()

    assert alert.status_code == 200, alert.text
    page.wait_for_selector("table.alerts td:has-text('placed')")
    assert not [error for error in console_errors if "Content Security Policy" in error]


# Flow (issue 17): a workflow built in the console's form editor runs and places its order.
@pytest.fixture
def session_gateway(tmp_path):
    """A gateway whose offline market sits in a Monday session, whatever the hour or day of the test."""
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key not in ("APP_KEY", "API_KEY_PEPPER")}
    environment |= {
        "WEBSOCKET_PORT": str(free_port()),
        "ZMQ_ADDRESS": f"tcp://127.0.0.1:{free_port()}",
        "MARKET_START": "2026-12-07T10:00:00",
        "SANDBOX_CLOSED_ON_HOLIDAYS": "false",
    }
    process = subprocess.Popen(
        [Path(sys.executable).parent / "brokergate", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        eventually(lambda: answers(f"http://127.0.0.1:{port}/health"), timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_flow_page_builds_saves_runs_a_two_node_workflow_and_shows_its_order(session_gateway, page):
    console_errors = _script_errors(page)
    _first_admin(page, session_gateway)
    page.click("#create-key")
    page.click("nav a[href='/flow']")
    page.wait_for_url(re.compile(r"/flow$"))

    page.fill("#flow-name", "Browser buy")
    for kind in ("manualTrigger", "placeOrder"):
        page.select_option("#flow-add-kind", kind)
        page.click("#flow-add-node")
    order = ".flow-node[data-kind=placeOrder]"
    page.fill(f"{order} [data-field=strategy]", "flow")
    page.fill(f"{order} [data-field=symbol]", "SBIN")
    page.select_option(f"{order} [data-field=exchange]", "NSE")
    page.select_option(f"{order} [data-field=action]", "BUY")
    page.fill(f"{order} [data-field=quantity]", "3")
    page.select_option(f"{order} [data-field=pricetype]", "MARKET")
    page.select_option(f"{order} [data-field=product]", "MIS")
    assert page.input_value(".flow-node[data-kind=manualTrigger] .flow-edge select") == "n2"
    # An edge back into the trigger: the server refuses the save, and the page marks the node it names.
    page.click(f"{order} button:has-text('Add next')")
    page.select_option(f"{order} .flow-edge select", "n1")
    page.click("#flow-save")
    page.wait_for_selector(".flow-node.invalid .node-error")
    assert page.locator("#flow-workflows tbody tr").count() == 0
    page.click(f"{order} .flow-edge button:has-text('remove')")
    page.click("#flow-save")
    page.wait_for_selector("#flow-workflows tr:has-text('Browser buy')")
    page.click("#flow-export")
    assert '"placeOrder"' in page.input_value("#flow-json")

    page.click("#flow-run")
    page.wait_for_selector(
        "#flow-steps[data-status=succeeded] tr[data-node-id=n2][data-status=succeeded]", timeout=20_000
    )
    output = page.eval_on_selector(
        "#flow-steps tr[data-node-id=n2] td:nth-child(6) pre", "pre => JSON.parse(pre.textContent)"
    )
    orderid = output["orderid"]
    # A signed webhook workflow shows its URL and, once, its signing secret.
    page.click("#flow-new")
    page.fill("#flow-name", "Hooked")
    page.select_option("#flow-add-kind", "webhookTrigger")
    page.click("#flow-add-node")
    page.check("#flow-signed")
    page.click("#flow-save")
    page.wait_for_selector("#flow-selected-title:has-text('Hooked')")
    assert "/flow/webhook/" in page.text_content("#flow-webhook-url")
    assert len(page.text_content("#flow-signing-secret-value").strip()) >= 32
    page.click("nav a[href='/']")
    page.wait_for_selector(f"[data-book=orderbook] tr:has-text('{orderid}')", timeout=10_000)
    assert "SBIN" in page.text_content(f"[data-book=orderbook] tr:has-text('{orderid}')")
    assert not console_errors
