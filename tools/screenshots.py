"""Take the README's screenshots of the dashboard in headless Chromium.

Usage: ``python tools/screenshots.py`` (writes ``docs/screenshots/*.png``).
"""

import logging
import sys
import threading
import time
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selenium.webdriver.common.by import By  # noqa: E402

from dashboard.app import create_app  # noqa: E402
from tests.browser.conftest import new_driver, open_page, wait_until  # noqa: E402

PAGES = (
    ("/?public_investment=8&policy_dividend=1.5", "explore-chart-0", "explore.png"),
    ("/flywheel", "flywheel-charts", "flywheel.png"),
    ("/matters", "matters-tornado", "matters.png"),
    # the same interface in Chinese (?lang=zh)
    ("/?lang=zh&public_investment=8&policy_dividend=1.5", "explore-chart-0", "explore-zh.png"),
    ("/flywheel?lang=zh", "flywheel-charts", "flywheel-zh.png"),
)

if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, create_app().server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = new_driver()
    try:
        for path, chart, name in PAGES:
            open_page(driver, f"http://127.0.0.1:{server.server_port}{path}", chart)
            time.sleep(1.5)
            target = ROOT / "docs" / "screenshots" / name
            driver.save_screenshot(str(target))
            print(f"wrote {target}")
        url = f"http://127.0.0.1:{server.server_port}"
        # presentation mode on a 1280x720 projector
        driver.set_window_size(1280, 720)
        inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        driver.set_window_size(2560 - inner[0], 1440 - inner[1])
        for query, name in (("", "presentation.png"), ("lang=zh&", "presentation-zh.png")):
            scenario = f"/?{query}public_investment=8&policy_dividend=1.5"
            open_page(driver, url + scenario, "explore-chart-0")
            wait_until(driver, "return document.getElementById('presentation-toggle')")
            driver.find_element(By.ID, "presentation-toggle").click()
            time.sleep(2.0)
            target = ROOT / "docs" / "screenshots" / name
            driver.save_screenshot(str(target))
            print(f"wrote {target}")
            driver.find_element(By.ID, "presentation-toggle").click()
            time.sleep(1.0)
        # a phone, 390 px wide
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
        )
        open_page(driver, url + "/?public_investment=8&policy_dividend=1.5", "explore-chart-0")
        time.sleep(1.5)
        target = ROOT / "docs" / "screenshots" / "phone.png"
        driver.save_screenshot(str(target))
        print(f"wrote {target}")
    finally:
        driver.quit()
        server.shutdown()
