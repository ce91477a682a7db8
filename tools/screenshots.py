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

from dashboard.app import create_app  # noqa: E402
from tests.browser.conftest import new_driver, open_page  # noqa: E402

PAGES = (
    ("/?public_investment=8&policy_dividend=1.5", "explore-chart-0", "explore.png"),
    ("/flywheel", "flywheel-charts", "flywheel.png"),
    ("/matters", "matters-tornado", "matters.png"),
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
    finally:
        driver.quit()
        server.shutdown()
