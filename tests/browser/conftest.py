"""A real headless Chromium (Debian's chromium + chromium-driver) driven by Selenium."""

import json
import shutil
import time

import pytest
from selenium import webdriver
from selenium.common.exceptions import JavascriptException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--window-size=1500,1300",
)


def new_driver(download_dir=None):
    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    if download_dir:
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)}
        )
    return driver


@pytest.fixture(scope="module")
def driver():
    browser = new_driver()
    yield browser
    browser.quit()


def wait_until(driver, script, timeout=20, *args):
    """Poll a JavaScript expression until it is truthy; return its value.

    An expression that throws (an element the page has not drawn yet is ``null``) counts as
    not yet true; if it still throws at the timeout, the error is in the message.
    """
    end = time.monotonic() + timeout
    error = None
    while time.monotonic() < end:
        try:
            value = driver.execute_script(script, *args)
        except JavascriptException as raised:
            value, error = None, raised.msg
        else:
            error = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}" + (f" ({error})" if error else ""))


def lever_thumb(driver, key):
    """A lever's slider thumb, once drawn (Dash loads the slider's code on demand, so the
    charts can be on screen before the sliders are)."""
    element_id = json.dumps({"key": key, "type": "explore-lever"}, separators=(",", ":"))
    selector = f"div[id='{element_id}'] [role=slider]"
    wait_until(driver, "return document.querySelector(arguments[0]) !== null", 20, selector)
    return driver.find_element(By.CSS_SELECTOR, selector)


def chart_trace(driver, chart_id, trace):
    return driver.execute_script(
        "const g = document.querySelector(`#${arguments[0]} .js-plotly-plot`);"
        "return g && g.data && g.data[arguments[1]] ? g.data[arguments[1]].y : null;",
        chart_id,
        trace,
    )


TRACE_JSON = "JSON.stringify(document.querySelector(`#${arguments[0]} .js-plotly-plot`).data[arguments[1]].y)"


def remember(driver, chart_id, trace):
    """Keep a trace's data in the page, to wait for it to change."""
    driver.execute_script(f"window.__remembered = {TRACE_JSON};", chart_id, trace)


def wait_changed(driver, chart_id, trace, timeout=20):
    wait_until(driver, f"return {TRACE_JSON} !== window.__remembered;", timeout, chart_id, trace)


def open_page(driver, url, chart_id="explore-chart-2"):
    driver.get(url)
    wait_until(
        driver,
        "const g = document.querySelector(`#${arguments[0]} .js-plotly-plot`);"
        "return g && g.data && g.data.length >= 2;",
        30,
        chart_id,
    )


def severe_logs(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def choose_option(driver, dropdown_id, text):
    """Open a Dash dropdown and click the option whose text contains ``text``."""
    wait_until(driver, "return document.getElementById(arguments[0])", 20, dropdown_id)
    driver.find_element(By.CSS_SELECTOR, f"#{dropdown_id}").click()
    option = wait_until(
        driver,
        "return [...document.querySelectorAll('[role=option]')]"
        ".find(e => e.textContent.includes(arguments[0]))",
        20,
        text,
    )
    option.click()
