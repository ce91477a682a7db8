"""The dashboard in a real headless Chromium: what a user clicks, what they see."""

import io
import json
import time

import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard import figures
from tests.browser.conftest import (
    chart_trace,
    choose_option,
    lever_thumb,
    new_driver,
    open_page,
    remember,
    severe_logs,
    wait_changed,
    wait_until,
)

GOVERNMENT_CHART = "explore-chart-1"


@pytest.mark.parametrize(
    ("path", "chart"),
    [
        ("/", "explore-chart-0"),
        ("/flywheel", "flywheel-charts"),
        ("/calibration", "calibration-egdi"),
        ("/matters", "matters-tornado"),
    ],
)
def test_pages_load_without_console_errors(driver, server_url, path, chart):
    driver.get_log("browser")  # drop earlier entries
    open_page(driver, server_url + path, chart)
    time.sleep(0.5)
    assert severe_logs(driver) == []


def test_model_page_lists_the_variables(driver, server_url):
    driver.get(server_url + "/model")
    wait_until(driver, "return document.querySelectorAll('#model-table td').length > 20")
    search = driver.find_element(By.ID, "model-search")
    search.send_keys("policy dividend")
    from dashboard.pages.model import search as server_search

    expected = server_search("policy dividend", "en")[1]
    wait_until(
        driver,
        "return document.getElementById('model-count').textContent === arguments[0]",
        20,
        expected,
    )
    rows = driver.find_elements(By.CSS_SELECTOR, "#model-table tbody tr")
    assert f"{len(rows)} variables" == expected
    assert all("policy dividend" in row.text.lower() for row in rows)
    assert severe_logs(driver) == []


def test_moving_a_slider_changes_the_scenario_not_the_baseline(driver, server_url):
    open_page(driver, server_url + "/")
    baseline_before = chart_trace(driver, GOVERNMENT_CHART, 0)
    scenario_before = chart_trace(driver, GOVERNMENT_CHART, 1)
    remember(driver, GOVERNMENT_CHART, 1)
    thumb = lever_thumb(driver, "public_investment")
    for _ in range(10):
        thumb.send_keys(Keys.ARROW_RIGHT)
    wait_until(driver, "return window.location.search.includes('public_investment=3')")
    wait_changed(driver, GOVERNMENT_CHART, 1)
    time.sleep(0.5)  # let the last of the drag updates land
    scenario_after = chart_trace(driver, GOVERNMENT_CHART, 1)
    assert chart_trace(driver, GOVERNMENT_CHART, 0) == baseline_before
    assert scenario_after[-1] > scenario_before[-1]
    assert scenario_after[:20] == scenario_before[:20]  # 2005-2024 unchanged


def test_preset_sets_sliders_and_charts(driver, server_url):
    open_page(driver, server_url + "/")
    remember(driver, GOVERNMENT_CHART, 1)
    choose_option(driver, "explore-preset", "Government-led")
    wait_until(
        driver,
        'return document.querySelector("div[id=\'{\\"key\\":\\"public_investment\\",'
        "\\\"type\\\":\\\"explore-lever\\\"}'] [role=slider]\").getAttribute('aria-valuenow') === '6'",
    )
    wait_changed(driver, GOVERNMENT_CHART, 1)
    assert lever_thumb(driver, "policy_dividend").get_attribute("aria-valuenow") == "1.5"


def test_a_copied_link_restores_the_scenario_in_a_fresh_browser(driver, server_url):
    open_page(driver, server_url + "/?rd_intensity=7&future_shock=1")
    expected = chart_trace(driver, "explore-chart-0", 1)
    url = driver.current_url
    assert "rd_intensity=7" in url
    fresh = new_driver()
    try:
        open_page(fresh, url, "explore-chart-0")
        wait_until(fresh, "return window.location.search.includes('rd_intensity=7')")
        assert chart_trace(fresh, "explore-chart-0", 1) == pytest.approx(expected)
        assert lever_thumb(fresh, "rd_intensity").get_attribute("aria-valuenow") == "7"
        assert lever_thumb(fresh, "future_shock").get_attribute("aria-valuenow") == "1"
        assert severe_logs(fresh) == []
    finally:
        fresh.quit()


def test_link_switch_on_the_flywheel_page_changes_its_charts(driver, server_url):
    open_page(driver, server_url + "/flywheel", "flywheel-charts")
    before = chart_trace(driver, "flywheel-charts", 3)
    remember(driver, "flywheel-charts", 3)
    label = wait_until(
        driver,
        "return [...document.querySelectorAll('#flywheel-links label')]"
        ".find(e => e.textContent.includes('economy to government'))",
    )
    label.click()
    wait_changed(driver, "flywheel-charts", 3)
    after = chart_trace(driver, "flywheel-charts", 3)
    assert after[-1] < before[-1]
    assert "cut" in driver.find_element(By.ID, "flywheel-diagram").text


def test_csv_download_holds_the_plotted_numbers(driver, server_url, tmp_path_factory):
    download_dir = tmp_path_factory.mktemp("csv")
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)}
    )
    open_page(driver, server_url + "/?public_investment=9")
    plotted = {index: chart_trace(driver, f"explore-chart-{index}", 1) for index in range(4)}
    driver.find_element(By.ID, "explore-download-csv").click()
    end = time.monotonic() + 20
    while not list(download_dir.glob("*.csv")) and time.monotonic() < end:
        time.sleep(0.1)
    table = pd.read_csv(io.StringIO(next(download_dir.glob("*.csv")).read_text()), index_col="year")
    menu = figures.chart_menu()
    for index, key in enumerate(figures.default_picks()):
        _, title, unit, _ = menu[key]
        assert table[f"{title} ({unit})"].tolist() == pytest.approx(plotted[index])


def test_save_compare_and_presentation_mode(driver, server_url):
    open_page(driver, server_url + "/?enterprise_investment=5")
    driver.find_element(By.ID, "explore-save-name").send_keys("Firms first")
    driver.find_element(By.ID, "explore-save").click()
    box = wait_until(
        driver,
        "return [...document.querySelectorAll('#explore-compare label')]"
        ".find(e => e.textContent.includes('Firms first'))",
    )
    box.click()
    wait_until(
        driver,
        "return document.querySelector('#explore-chart-0 .js-plotly-plot').data"
        ".some(t => t.name === 'Firms first')",
    )
    assert driver.find_element(By.ID, "explore-cards").is_displayed()
    driver.find_element(By.ID, "presentation-toggle").click()
    wait_until(
        driver, "return document.getElementById('app-root').className.includes('presentation')"
    )
    assert not driver.find_element(By.ID, "explore-cards").is_displayed()
    for index in range(4):  # the four charts stay; the cost chart goes
        assert driver.find_element(By.ID, f"explore-chart-{index}").is_displayed()
    assert not driver.find_element(By.ID, "explore-cost").is_displayed()
    driver.find_element(By.ID, "presentation-toggle").click()
    wait_until(
        driver, "return !document.getElementById('app-root').className.includes('presentation')"
    )


def test_explore_charts_show_the_observations(driver, server_url):
    open_page(driver, server_url + "/")
    names = driver.execute_script(
        "return document.querySelector('#explore-chart-2 .js-plotly-plot').data.map(t => t.name)"
    )
    assert "Observed" in names
    from dashboard.runs import observations

    observed = observations()["Digital Society Adoption"][1]
    trace = driver.execute_script(
        "return document.querySelector('#explore-chart-2 .js-plotly-plot').data.find(t => t.name === 'Observed')"
    )
    assert trace["x"] == [int(y) for y in observed.index]
    assert trace["y"] == pytest.approx(observed.tolist())


def test_flywheel_page_shows_loop_dominance(driver, server_url):
    open_page(driver, server_url + "/flywheel", "flywheel-strip")
    names = driver.execute_script(
        "return document.querySelector('#flywheel-strip .js-plotly-plot').data.map(t => t.name)"
    )
    assert {"R1", "R2", "B1", "B3"} <= set(names)
    story = wait_until(driver, "return document.getElementById('flywheel-story').textContent")
    assert story.startswith("In this scenario: ") and "loop" in story
    driver.find_element(By.CSS_SELECTOR, f"button[id='{json_id('flywheel-loop', 'R3')}']").click()
    wait_until(
        driver,
        "return document.querySelector('#flywheel-strip .js-plotly-plot').data"
        ".find(t => t.name === 'R3').line.width === 3",
    )
    assert severe_logs(driver) == []


def json_id(kind, code):
    import json

    return json.dumps({"code": code, "type": kind}, separators=(",", ":"))


def trace_names(driver, chart_id):
    return driver.execute_script(
        "const g = document.querySelector(`#${arguments[0]} .js-plotly-plot`);"
        "return g && g.data ? g.data.map(t => t.name) : [];",
        chart_id,
    )


def test_bands_redraw_with_a_slider_and_the_switch_hides_them(driver, server_url):
    open_page(driver, server_url + "/")
    wait_until(
        driver,
        "return (document.querySelector('#explore-chart-0 .js-plotly-plot').data || [])"
        ".some(t => t.name === 'This scenario: 5-95 % range')",
    )
    band = (
        "JSON.stringify(document.querySelector('#explore-chart-0 .js-plotly-plot').data"
        ".find(t => t.name === 'This scenario: 5-95 % range').y)"
    )
    driver.execute_script(f"window.__band = {band};")
    thumb = lever_thumb(driver, "enterprise_investment")
    for _ in range(6):
        thumb.send_keys(Keys.ARROW_RIGHT)
    wait_until(driver, f"return {band} !== window.__band")
    switch = driver.find_element(By.CSS_SELECTOR, "#explore-bands input[type=checkbox]")
    switch.click()
    wait_until(
        driver,
        "return !document.querySelector('#explore-chart-0 .js-plotly-plot').data"
        ".some(t => (t.name || '').includes('5-95 %'))",
    )
    assert "This scenario" in trace_names(driver, "explore-chart-0")
    assert severe_logs(driver) == []


def test_the_waterfall_shows_which_lever_did_it(driver, server_url):
    open_page(driver, server_url + "/?public_investment=9&policy_dividend=2")
    wait_until(
        driver,
        "const g = document.querySelector('#explore-attribution .js-plotly-plot');"
        "return g && g.data && g.data[0] && g.data[0].y && g.data[0].y.length === 3;",
    )
    labels = driver.execute_script(
        "return document.querySelector('#explore-attribution .js-plotly-plot').data[0].y"
    )
    assert labels == ["Public digital investment", "Policy dividend strength", "Total change"]
    note = driver.find_element(By.ID, "explore-attribution-note").text
    assert "exact Shapley values" in note


def test_what_matters_shows_a_tornado_for_the_scenario(driver, server_url):
    open_page(driver, server_url + "/?public_investment=12")
    driver.find_element(By.ID, "nav-matters").click()
    wait_until(
        driver,
        "const g = document.querySelector('#matters-tornado .js-plotly-plot');"
        "return g && g.data && g.data.length === 2 && g.data[0].y.length > 5;",
    )
    message = driver.find_element(By.ID, "matters-message").text
    assert "Around your scenario" in message
    bars = driver.execute_script(
        "return document.querySelector('#matters-tornado .js-plotly-plot').data[1].y"
    )
    assert any("(lever)" in bar for bar in bars) and any("(uncertain)" in bar for bar in bars)
    assert severe_logs(driver) == []


def test_choosing_a_region_keeps_the_levers_and_shows_its_money(driver, server_url):
    open_page(driver, server_url + "/?public_investment=9")
    remember(driver, "explore-chart-0", 1)
    choose_option(driver, "explore-region", "Germany")
    wait_until(driver, "return window.location.search.includes('region=deu')")
    wait_changed(driver, "explore-chart-0", 1)
    assert "public_investment=9" in driver.execute_script("return window.location.search")
    title = driver.execute_script(
        "return document.querySelector('#explore-chart-0 .js-plotly-plot').layout.yaxis.title.text"
    )
    assert "euros" in title
    # a fresh browser opening the link sees Germany again
    fresh = new_driver()
    try:
        open_page(fresh, server_url + "/?region=deu&public_investment=9")
        wait_until(
            fresh,
            "const g = document.querySelector('#explore-chart-0 .js-plotly-plot');"
            "return g && g.layout && g.layout.yaxis.title.text.includes('euros');",
        )
    finally:
        fresh.quit()
    # the navigation carries the region to the other pages
    driver.find_element(By.ID, "nav-matters").click()
    wait_until(
        driver,
        "const d = document.querySelector('#matters-region');"
        "return d && d.textContent.includes('Germany');",
    )
    assert severe_logs(driver) == []


def test_the_calibration_page_follows_the_chosen_region(driver, server_url):
    open_page(driver, server_url + "/calibration?region=deu", "calibration-population")
    heading = driver.find_element(By.CSS_SELECTOR, "#calibration-body h2").text
    assert heading == "Calibration: Germany against its observed data"
    observed = driver.execute_script(
        "return document.querySelector('#calibration-population .js-plotly-plot').data"
        ".find(t => t.name.startsWith('Observed')).y.length"
    )
    assert observed == 20  # Germany's World Bank population, 2005-2024
    choose_option(driver, "calibration-region", "China")
    wait_until(
        driver,
        "return document.querySelector('#calibration-body h2').textContent"
        ".startsWith('Calibration: China')",
    )
    wait_until(driver, "return document.querySelector('#calibration-gdp_real .js-plotly-plot')")
    assert driver.find_elements(By.ID, "calibration-population") == []
    assert severe_logs(driver) == []


def wait_lever(driver, key, value):
    """Wait until a lever's slider shows ``value`` (the page may still be loading)."""
    element_id = json.dumps({"key": key, "type": "explore-lever"}, separators=(",", ":"))
    wait_until(
        driver,
        "const s = document.querySelector(`div[id='${arguments[0]}'] [role=slider]`);"
        "return s && s.getAttribute('aria-valuenow') === arguments[1];",
        20,
        element_id,
        value,
    )


def _search(driver):
    return driver.execute_script("return window.location.search")


def test_navigating_away_and_back_keeps_the_scenario(driver, server_url):
    open_page(driver, server_url + "/?public_investment=8")
    wait_until(driver, "return document.getElementById('nav-flywheel').href.includes('=8')")
    driver.find_element(By.ID, "nav-flywheel").click()
    wait_until(driver, "return window.location.pathname === '/flywheel'")
    assert "public_investment=8" in _search(driver)
    wait_until(driver, "return document.querySelector('#flywheel-diagram .js-plotly-plot')")
    driver.find_element(By.ID, "nav-explore").click()
    wait_until(driver, "return window.location.pathname === '/'")
    wait_lever(driver, "public_investment", "8")
    assert "public_investment=8" in _search(driver)
    assert severe_logs(driver) == []


def test_a_link_cut_on_the_flywheel_page_reaches_the_address_and_explore(driver, server_url):
    driver.get(server_url + "/flywheel?rd_intensity=5")
    wait_until(driver, "return document.querySelector('#flywheel-links input')")
    box = driver.find_elements(By.CSS_SELECTOR, "#flywheel-links input")[0]
    box.click()
    wait_until(driver, "return window.location.search.includes('link_economy_government=0')")
    assert "rd_intensity=5" in _search(driver)
    driver.find_element(By.ID, "nav-explore").click()
    wait_until(driver, "return window.location.pathname === '/'")
    wait_lever(driver, "link_economy_government", "0")
    assert lever_thumb(driver, "rd_intensity").get_attribute("aria-valuenow") == "5"
    # and a fresh browser opening the Flywheel link sees the cut
    fresh = new_driver()
    try:
        fresh.get(server_url + "/flywheel?link_economy_government=0")
        wait_until(fresh, "return document.querySelector('#flywheel-links input')")
        ticked = [
            b.is_selected() for b in fresh.find_elements(By.CSS_SELECTOR, "#flywheel-links input")
        ]
        assert ticked[0] is False and all(ticked[1:])
    finally:
        fresh.quit()
    assert severe_logs(driver) == []


def test_reset_clears_the_preset_box(driver, server_url):
    open_page(driver, server_url + "/")
    choose_option(driver, "explore-preset", "Government-led")
    wait_until(driver, "return window.location.search.includes('public_investment=6')")
    assert "Government-led" in driver.find_element(By.ID, "explore-preset").text
    driver.find_element(By.ID, "explore-reset").click()
    wait_until(driver, "return !window.location.search.includes('public_investment')")
    wait_until(
        driver,
        "return !document.getElementById('explore-preset').textContent.includes('Government')",
    )


def test_a_link_with_only_invalid_values_says_so(driver, server_url):
    open_page(driver, server_url + "/?public_investment=nan")
    text = wait_until(driver, "return document.getElementById('explore-apply-message').textContent")
    assert "From the link: Public digital investment: 'nan' is not a number; reset to 2" in text


def test_typing_a_value_moves_the_slider_and_an_invalid_one_is_refused(driver, server_url):
    open_page(driver, server_url + "/?public_investment=9")
    box = driver.find_element(By.ID, "explore-box-public_investment")
    wait_until(
        driver, "return document.getElementById('explore-box-public_investment').value === '9'"
    )
    remember(driver, "explore-chart-0", 1)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("99", Keys.ENTER)
    message = wait_until(
        driver, "return document.getElementById('explore-apply-message').textContent"
    )
    assert message == "Public digital investment: 99 is outside 0 to 15 % of fiscal revenue; kept 9"
    wait_until(
        driver, "return document.getElementById('explore-box-public_investment').value === '9'"
    )
    assert lever_thumb(driver, "public_investment").get_attribute("aria-valuenow") == "9"
    assert "public_investment=9" in _search(driver)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("12", Keys.ENTER)
    wait_lever(driver, "public_investment", "12")
    wait_until(driver, "return window.location.search.includes('public_investment=12')")
    wait_changed(driver, "explore-chart-0", 1)
    # the slider's own box is gone: one box per lever, named by the lever's label
    label = driver.find_element(By.CSS_SELECTOR, "label[for='explore-box-public_investment']")
    assert label.text == "Public digital investment"
    assert driver.find_elements(By.CSS_SELECTOR, ".rc-slider ~ input, .dash-slider input") == []
    assert severe_logs(driver) == []


def test_a_saved_scenario_can_be_deleted_and_downloads_carry_their_name(
    driver, server_url, tmp_path_factory
):
    download_dir = tmp_path_factory.mktemp("json")
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)}
    )
    open_page(driver, server_url + "/?rd_intensity=6")
    driver.find_element(By.ID, "explore-save-name").send_keys("Research push")
    driver.find_element(By.ID, "explore-download-json").click()
    end = time.monotonic() + 20
    while not list(download_dir.glob("*.json")) and time.monotonic() < end:
        time.sleep(0.1)
    saved_file = download_dir / "flywheel-research-push.json"
    assert json.loads(saved_file.read_text())["title"] == "Research push"
    driver.find_element(By.ID, "explore-save").click()
    box = wait_until(
        driver,
        "return [...document.querySelectorAll('#explore-compare label')]"
        ".find(e => e.textContent.includes('Research push'))",
    )
    box.click()
    driver.find_element(By.ID, "explore-delete").click()
    wait_until(
        driver,
        "return ![...document.querySelectorAll('#explore-compare label')]"
        ".some(e => e.textContent.includes('Research push'))",
    )
    stored = driver.execute_script("return window.localStorage.getItem('saved-scenarios')")
    assert "Research push" not in stored
    assert "Deleted 'Research push'." in driver.find_element(By.ID, "explore-apply-message").text


def test_a_fast_drag_redraws_live_with_one_request_in_flight(driver, server_url):
    from benchmarks.bench_drag import RECORDER, drag

    open_page(driver, server_url + "/")
    # count the update requests in flight (a request carries explore-request)
    driver.execute_script(
        """
        const flights = window.__flights = {now: 0, most: 0, sent: 0};
        const fetch0 = window.fetch;
        window.fetch = function (url, options) {
          const mine = options && typeof options.body === 'string'
            && options.body.includes('"explore-request"') && options.body.includes('explore-chart-0');
          if (!mine) return fetch0.apply(this, arguments);
          flights.now += 1; flights.sent += 1; flights.most = Math.max(flights.most, flights.now);
          return fetch0.apply(this, arguments).finally(() => { flights.now -= 1; });
        };
        """
    )
    thumb = (
        "div[id='"
        + json.dumps({"key": "public_investment", "type": "explore-lever"}, separators=(",", ":"))
        + "'] [role=slider]"
    )
    wait_until(driver, "return document.querySelector(arguments[0])", 20, thumb)  # lazy chunk
    driver.execute_script(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", thumb
    )
    assert "plotly_afterplot" in RECORDER
    record = drag(driver, thumb, 24, 20.0, 1)
    flights = driver.execute_script("return window.__flights")
    assert flights["most"] == 1  # never two update requests at once
    assert flights["sent"] < len(record["inputs"])  # moves while waiting were merged
    during = [value for value, _ in record["drawn"] if value != record["final"]]
    assert len(during) >= 2  # pictures while the pointer was still dragging
    assert record["drawn"][-1][0] == record["final"]
    # when the sliders settle, the bands come back around the final scenario
    wait_until(
        driver,
        "return (document.querySelector('#explore-chart-0 .js-plotly-plot').data || [])"
        ".some(t => t.name === 'This scenario: 5-95 % range' && t.visible !== false)",
    )
    assert f'"public_investment": {record["final"]}' in driver.find_element(
        By.ID, "explore-drawn"
    ).get_attribute("textContent")
    assert severe_logs(driver) == []


def test_a_chart_shows_the_variable_picked_and_the_link_keeps_it(driver, server_url):
    open_page(driver, server_url + "/")
    # a long menu: type to find the chart, as a user would
    wait_until(driver, "return document.getElementById('explore-pick-1')")  # loads lazily
    driver.find_element(By.CSS_SELECTOR, "#explore-pick-1").click()
    search = wait_until(driver, "return document.querySelector('input.dash-dropdown-search')")
    search.send_keys("Population")
    option = wait_until(
        driver,
        "return [...document.querySelectorAll('[role=option]')]"
        ".find(e => e.textContent.trim() === 'Population (million people)')",
    )
    option.click()
    wait_until(
        driver,
        "const g = document.querySelector('#explore-chart-1 .js-plotly-plot');"
        "return g && g.layout.title.text === 'Population';",
    )
    wait_until(driver, "return window.location.search.includes('charts=')")
    link = driver.current_url
    assert "population" in link
    fresh = new_driver()
    try:
        open_page(fresh, link, "explore-chart-1")
        wait_until(
            fresh,
            "return document.querySelector('#explore-chart-1 .js-plotly-plot').layout.title.text"
            " === 'Population'",
        )
    finally:
        fresh.quit()
    assert severe_logs(driver) == []


def test_presentation_mode_fits_four_readable_charts_on_a_projector(server_url):
    projector = new_driver()
    try:
        projector.set_window_size(1280, 720)
        # the window's inner size is what a projector shows
        inner = projector.execute_script("return [window.innerWidth, window.innerHeight]")
        projector.set_window_size(1280 + 1280 - inner[0], 720 + 720 - inner[1])
        open_page(projector, server_url + "/")
        wait_until(projector, "return document.getElementById('presentation-toggle')")
        projector.find_element(By.ID, "presentation-toggle").click()
        wait_until(
            projector,
            "const g = document.querySelector('#explore-chart-0 .js-plotly-plot');"
            "return g && g.layout.font.size === 18;",
        )
        time.sleep(0.5)  # plotly resizes to the grid
        found = projector.execute_script(
            """
            const charts = [0, 1, 2, 3].map(i => document.getElementById('explore-chart-' + i));
            const boxes = charts.map(c => c.getBoundingClientRect());
            const texts = [...document.querySelectorAll('#explore-chart-0 svg text')]
              .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
              .map(t => parseFloat(getComputedStyle(t).fontSize));
            const bars = [...document.querySelectorAll('.modebar-container')]
              .filter(m => m.offsetParent !== null);
            return {
              inner: [window.innerWidth, window.innerHeight],
              bottoms: boxes.map(b => b.bottom), lefts: boxes.map(b => Math.round(b.left)),
              heights: boxes.map(b => b.height),
              pageHeight: document.documentElement.scrollHeight,
              smallest: Math.min(...texts), count: texts.length, toolbars: bars.length,
              titles: charts.map(c => c.querySelector('.gtitle') && c.querySelector('.gtitle').textContent),
            };
            """
        )
        assert found["inner"] == [1280, 720]
        assert max(found["bottoms"]) <= 720, found  # all four charts without scrolling
        assert found["pageHeight"] <= 720, found  # and the page itself does not scroll
        assert len(set(found["lefts"])) == 2 and min(found["heights"]) >= 240  # a 2x2 grid
        assert found["count"] > 5 and found["smallest"] >= 18, found  # every chart text
        assert found["toolbars"] == 0
        assert found["titles"] == [
            "Digital economy value added",
            "Digital government capability",
            "Digital society adoption",
            "Regional development index and stage",
        ]
        # the flywheel diagram is scaled up for the room too
        projector.find_element(By.ID, "nav-flywheel").click()
        wait_until(projector, "return document.querySelector('#flywheel-diagram .js-plotly-plot')")
        height = projector.execute_script(
            "return document.getElementById('flywheel-diagram').getBoundingClientRect().height"
        )
        assert height >= 500
        assert severe_logs(projector) == []
    finally:
        projector.quit()


def test_on_a_phone_nothing_scrolls_sideways_charts_come_first_and_a_swipe_moves_no_lever(
    server_url,
):
    phone = new_driver()
    try:
        phone.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
        )
        phone.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
        for path, chart in (
            ("/", "explore-chart-0"),
            ("/flywheel", "flywheel-charts"),
            ("/matters", "matters-tornado"),
            ("/calibration", "calibration-egdi"),
            # and in Chinese, whose words break differently
            ("/?lang=zh", "explore-chart-0"),
            ("/flywheel?lang=zh", "flywheel-charts"),
        ):
            open_page(phone, server_url + path, chart)
            time.sleep(0.5)
            width = phone.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        open_page(phone, server_url + "/", "explore-chart-0")
        wait_lever(phone, "public_investment", "2")  # the slider's chunk loads lazily
        thumb = lever_thumb(phone, "public_investment")
        tops = phone.execute_script(
            "return [document.getElementById('explore-chart-0').getBoundingClientRect().top,"
            " arguments[0].getBoundingClientRect().top]",
            thumb,
        )
        assert tops[0] < tops[1]  # the first chart before the first slider
        # a sideways swipe that starts on the slider's track, away from its thumb
        phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", thumb)
        time.sleep(0.3)
        x, y, width = phone.execute_script(
            "const t = arguments[0].getBoundingClientRect();"
            "const row = arguments[0].closest('.lever-row').getBoundingClientRect();"
            "return [t.x + t.width / 2, t.y + t.height / 2, row.width];",
            thumb,
        )
        start, end = x + width * 0.45, x + width * 0.05
        send = phone.execute_cdp_cmd
        send(
            "Input.dispatchTouchEvent",
            {"type": "touchStart", "touchPoints": [{"x": start, "y": y}]},
        )
        for step in range(1, 9):
            point = start + (end - start) * step / 8
            send(
                "Input.dispatchTouchEvent",
                {"type": "touchMove", "touchPoints": [{"x": point, "y": y}]},
            )
        send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        time.sleep(1.0)
        assert thumb.get_attribute("aria-valuenow") == "2"
        assert "public_investment" not in phone.execute_script("return window.location.search")
        # a drag that starts on the thumb still moves the lever
        send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for step in range(1, 9):
            point = x + width * 0.3 * step / 8
            send(
                "Input.dispatchTouchEvent",
                {"type": "touchMove", "touchPoints": [{"x": point, "y": y}]},
            )
        send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        wait_until(phone, "return window.location.search.includes('public_investment=')")
        assert float(thumb.get_attribute("aria-valuenow")) > 2
        assert severe_logs(phone) == []
    finally:
        phone.quit()


#: Controls a screen reader cannot name: no aria-label, label, text, title or labelledby words.
UNNAMED_CONTROLS = r"""
const missing = [];
for (const e of document.querySelectorAll('input, button, select, textarea, [role=slider], [role=combobox]')) {
  if (e.closest('[aria-hidden=true]')) continue;
  const box = e.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) continue;
  let name = (e.getAttribute('aria-label') || '').trim();
  if (!name && e.getAttribute('aria-labelledby')) {
    name = e.getAttribute('aria-labelledby').split(/\s+/).map(id => document.getElementById(id)).filter(Boolean).map(n => n.textContent.trim()).join(' ');
  }
  name = name || (e.labels && e.labels.length ? e.labels[0].textContent.trim() : '') || (e.tagName === 'BUTTON' ? e.textContent.trim() : '') || (e.getAttribute('title') || '').trim();
  if (!name) missing.push(e.tagName + '.' + String(e.className).slice(0, 40) + ' #' + e.id + ' in #' + (e.closest('[id]') || {}).id);
}
return missing;
"""
#: Text below 4.5:1 contrast against the background it sits on (WCAG AA, normal text).
LOW_CONTRAST = r"""
function rgb(s) { const m = s.match(/[\d.]+/g); return m ? m.map(Number) : [0,0,0,1]; }
function lum(c) { const a = c.slice(0,3).map(v => { v /= 255; return v <= 0.03928 ? v/12.92 : Math.pow((v+0.055)/1.055, 2.4); }); return 0.2126*a[0]+0.7152*a[1]+0.0722*a[2]; }
function bg(e) { while (e) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length < 4 || c[3] > 0.5) { if (!(c.length >= 4 && c[3] === 0)) return c; } e = e.parentElement; } return [255,255,255,1]; }
const bad = [];
for (const e of document.querySelectorAll('body *')) {
  if (e.closest('svg') || e.offsetParent === null) continue;
  const text = [...e.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join('');
  if (!text) continue;
  const style = getComputedStyle(e);
  if (style.visibility === 'hidden' || parseFloat(style.opacity) < 0.5) continue;
  const fg = rgb(style.color), b = bg(e);
  const l1 = lum(fg), l2 = lum(b);
  const ratio = (Math.max(l1,l2)+0.05)/(Math.min(l1,l2)+0.05);
  if (ratio < 4.5) bad.push([text.slice(0,30), style.color, 'on', 'rgb(' + b.slice(0,3).join(',') + ')', ratio.toFixed(2), e.className && e.className.baseVal === undefined ? String(e.className).slice(0,30) : '']);
}
return bad.slice(0, 40);
"""


@pytest.mark.parametrize(
    ("path", "chart"),
    [
        ("/", "explore-chart-0"),
        ("/flywheel", "flywheel-charts"),
        ("/matters", "matters-tornado"),
        ("/calibration", "calibration-egdi"),
    ],
)
def test_every_control_has_a_name_and_every_text_enough_contrast(driver, server_url, path, chart):
    open_page(driver, server_url + path, chart)
    wait_until(driver, "return document.querySelector('[id$=-region]')")
    time.sleep(0.5)  # names are given once per animation frame after the page changes
    assert driver.execute_script(UNNAMED_CONTROLS) == []
    assert driver.execute_script(LOW_CONTRAST) == []
    if path == "/":
        region = driver.find_element(By.ID, "explore-region")
        words = driver.execute_script(
            "return arguments[0].getAttribute('aria-labelledby').split(' ')"
            ".map(id => document.getElementById(id)).filter(Boolean)"
            ".map(node => node.textContent.trim()).join(' ')",
            region,
        )
        assert words.startswith("Region China")
        assert lever_thumb(driver, "public_investment").get_attribute("aria-label") == (
            "Public digital investment"
        )


def test_assumptions_are_folded_apart_from_the_policy_levers(driver, server_url):
    open_page(driver, server_url + "/")
    wait_lever(driver, "public_investment", "2")
    assert lever_thumb(driver, "public_investment").is_displayed()
    link = lever_thumb(driver, "link_economy_government")
    assert not link.is_displayed()
    driver.find_element(By.CSS_SELECTOR, "#explore-assumptions > summary").click()
    wait_until(driver, "return arguments[0].offsetParent !== null", 20, link)
    open_page(driver, server_url + "/?link_society_economy=0")
    wait_lever(driver, "link_society_economy", "0")
    assert lever_thumb(driver, "link_society_economy").is_displayed()  # opened by the link


def test_a_facilitator_clicks_through_the_guided_story(driver, server_url):
    open_page(driver, server_url + "/")
    title = wait_until(driver, "return document.getElementById('explore-intro-title').textContent")
    assert title.startswith("What if China (national) invests")
    driver.find_element(By.ID, "explore-story-start").click()
    text = wait_until(driver, "return document.getElementById('explore-story').textContent")
    assert text.startswith("Step 1 of 5: Three main lines")
    wait_lever(driver, "public_investment", "6")
    for _ in range(4):
        driver.find_element(By.ID, "explore-story-next").click()
    wait_until(
        driver,
        "return document.getElementById('explore-story').textContent.startsWith('Step 5 of 5')",
    )
    wait_lever(driver, "demonstration_projects", "200")
    wait_until(
        driver,
        "const g = document.querySelector('#explore-chart-3 .js-plotly-plot');"
        "return g && g.layout.title.text === 'Industrial digitalization';",
    )
    wait_until(driver, "return window.location.search.includes('demonstration_projects=200')")
    assert severe_logs(driver) == []


#: Pairs of chart parts that overlap, on every chart of the page (title, axis titles,
#: legend, toolbar), and cards whose text runs over their edge.
OVERLAPS = r"""
function box(e) { const r = e.getBoundingClientRect(); return r.width && r.height ? r : null; }
function meet(a, b) { return a && b && a.left < b.right - 1 && b.left < a.right - 1
  && a.top < b.bottom - 1 && b.top < a.bottom - 1; }
const found = [];
for (const gd of document.querySelectorAll('.js-plotly-plot')) {
  if (gd.offsetParent === null) continue;
  const id = (gd.closest('[id]') || {}).id;
  const parts = {
    title: gd.querySelector('.gtitle'),
    ytitle: gd.querySelector('.ytitle'),
    xtitle: gd.querySelector('.xtitle'),
    x2title: gd.querySelector('.x2title'),
    legend: gd.querySelector('.legend'),
    toolbar: gd.querySelector('.modebar'),
  };
  const names = Object.keys(parts);
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) {
    const a = parts[names[i]] && box(parts[names[i]]), b = parts[names[j]] && box(parts[names[j]]);
    if (meet(a, b)) found.push(`${id}: ${names[i]} on ${names[j]}`);
  }
}
for (const gd of document.querySelectorAll('.js-plotly-plot')) {
  if (gd.offsetParent === null) continue;
  const id = (gd.closest('[id]') || {}).id;
  // the first y tick label against the first x tick label (the corner: "-1" on "2005")
  const ys = Array.from(gd.querySelectorAll('.ytick text')).map(box).filter(Boolean);
  const xs = Array.from(gd.querySelectorAll('.xtick text')).map(box).filter(Boolean);
  for (const y of ys) for (const x of xs) if (meet(x, y)) found.push(`${id}: tick labels meet`);
  // labels drawn on the loop strip
  if (id === 'flywheel-strip') {
    const labels = Array.from(gd.querySelectorAll('.annotation')).map(box).filter(Boolean);
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
      if (meet(labels[i], labels[j])) found.push(`${id}: two loop labels meet`);
    }
  }
}
for (const card of document.querySelectorAll('.card')) {
  if (card.offsetParent !== null && card.scrollWidth > card.clientWidth + 1) {
    found.push('card runs over: ' + card.textContent.slice(0, 40));
  }
}
return found;
"""


#: On the causal-loop diagram shown (the full one or, on a phone, the compact one): labels
#: that sit on each other, arrows through a label, labels cut by the chart's edge. Labels
#: run along their arrows, so boxes are compared turned as they are drawn.
DIAGRAM_OVERLAPS = r"""
const found = [];
const gd = Array.from(document.querySelectorAll('.diagram .js-plotly-plot')).find((g) => g.offsetParent !== null);
if (!gd || !gd._fullLayout) return ['no diagram'];
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, frame = gd.getBoundingClientRect();
function px(x, y) { return [frame.left + xa._offset + xa.l2p(x), frame.top + ya._offset + ya.l2p(y)]; }
const labels = [];
gd.querySelectorAll('.annotation').forEach((g) => {
  const i = +g.getAttribute('data-index'), spec = gd.layout.annotations[i];
  if (!spec || !spec.name) return;
  const r = g.querySelector('.annotation-text-g').getBoundingClientRect();
  const local = g.querySelector('text').getBBox();
  const t = (spec.textangle || 0) * Math.PI / 180;
  labels.push({name: spec.name, text: spec.text.replace(/<[^>]+>/g, ' '),
    c: [r.left + r.width / 2, r.top + r.height / 2], w: local.width / 2 - 1, h: local.height / 2 - 1,
    cos: Math.cos(t), sin: Math.sin(t), pad: spec.borderpad ? spec.borderpad + 2 : 0});
});
function toLocal(L, p) { const dx = p[0] - L.c[0], dy = p[1] - L.c[1];
  return [dx * L.cos + dy * L.sin, -dx * L.sin + dy * L.cos]; }
function toScreen(L, q) { return [L.c[0] + q[0] * L.cos - q[1] * L.sin, L.c[1] + q[0] * L.sin + q[1] * L.cos]; }
function inside(L, p) { const q = toLocal(L, p); return Math.abs(q[0]) <= L.w + L.pad && Math.abs(q[1]) <= L.h + L.pad; }
function points(L) { const out = [];
  for (const a of [-1, -0.5, 0, 0.5, 1]) for (const b of [-1, 0, 1]) out.push(toScreen(L, [a * (L.w + L.pad), b * (L.h + L.pad)]));
  return out; }
function crosses(L, a, b) {  // segment a-b meets the label's (rotated) box: Liang-Barsky in its frame
  const p0 = toLocal(L, a), p1 = toLocal(L, b); let t0 = 0, t1 = 1;
  const dx = p1[0] - p0[0], dy = p1[1] - p0[1];
  const p = [-dx, dx, -dy, dy], q = [p0[0] + L.w, L.w - p0[0], p0[1] + L.h, L.h - p0[1]];
  for (let i = 0; i < 4; i++) {
    if (p[i] === 0) { if (q[i] < 0) return false; continue; }
    const t = q[i] / p[i];
    if (p[i] < 0) { if (t > t1) return false; if (t > t0) t0 = t; } else { if (t < t0) return false; if (t < t1) t1 = t; }
  }
  return true;
}
const lines = gd.data.map((t) => [px(t.x[0], t.y[0]), px(t.x[1], t.y[1]), t.text[0]]);
for (let i = 0; i < labels.length; i++) {
  const A = labels[i];
  for (let j = i + 1; j < labels.length; j++) {
    const B = labels[j];
    if (points(A).some((p) => inside(B, p)) || points(B).some((p) => inside(A, p))) found.push(`label '${A.text}' on '${B.text}'`);
  }
  if (A.name !== 'node') for (const [p, q, name] of lines) if (crosses(A, p, q)) found.push(`arrow '${name}' crosses '${A.text}'`);
  for (const p of points(A)) if (p[0] < frame.left || p[0] > frame.right || p[1] < frame.top || p[1] > frame.bottom) { found.push(`'${A.text}' runs out of the chart`); break; }
}
return found;
"""


@pytest.mark.parametrize("size", [(1500, 1000), (1280, 720), (390, 844)])
def test_no_chart_part_sits_on_another_at_three_sizes(server_url, size, tmp_path):
    browser = new_driver()
    try:
        width, height = size
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
        )
        for path, chart in (
            ("/?public_investment=8", "explore-chart-0"),
            ("/calibration", "calibration-egdi"),
            ("/flywheel?link_economy_society=0", "flywheel-charts"),
            ("/flywheel?lang=zh&link_government_society=0", "flywheel-charts"),
            ("/matters", "matters-tornado"),
        ):
            open_page(browser, server_url + path, chart)
            time.sleep(1.0)
            # show the toolbars as a hovering user sees them
            browser.execute_script(
                "document.querySelectorAll('.modebar-container').forEach(m => "
                "m.style.setProperty('opacity', '1'));"
                "document.querySelectorAll('.modebar').forEach(m => m.style.opacity = 1);"
            )
            browser.save_screenshot(str(tmp_path / f"{path.strip('/?') or 'explore'}-{width}.png"))
            assert browser.execute_script(OVERLAPS) == [], (path, size)
            if path.startswith("/flywheel"):
                assert browser.execute_script(DIAGRAM_OVERLAPS) == [], (path, size)
    finally:
        browser.quit()


# every text on the page, charts' SVG text included, except what is marked as quoted in
# English (lang="en": the language link, the model file's comments, the fit's records)
SCREEN_TEXT = """
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const parent = walker.currentNode.parentElement;
  if (parent && !parent.closest('[lang="en"], script, style')) {
    out.push(walker.currentNode.textContent);
  }
}
return out.join('\\n');
"""


def english_on_screen(driver):
    """Catalogue sentences whose Chinese exists but whose English is on the screen."""
    from dashboard import i18n

    text = driver.execute_script(SCREEN_TEXT)
    return sorted(
        message
        for message, chinese in i18n.catalogue("zh").items()
        if len(message) >= 12 and " " in message and chinese != message and message in text
    )


def test_lang_zh_shows_the_whole_interface_in_chinese(driver, server_url):
    driver.get_log("browser")
    open_page(driver, server_url + "/?lang=zh&public_investment=6", "explore-chart-0")
    assert driver.execute_script("return document.documentElement.lang") == "zh-Hans"
    wait_until(
        driver,
        "const t = document.querySelector('#explore-chart-0 .gtitle');"
        "return t && t.textContent === '数字经济增加值'",
    )
    wait_until(
        driver, "return document.getElementById('explore-cards').textContent.includes('较基准情景')"
    )
    assert driver.find_element(By.ID, "nav-explore").text == "探索"
    assert "公共数字投资" in driver.find_element(By.CSS_SELECTOR, ".lever-head label").text
    assert english_on_screen(driver) == []
    # the address keeps the language as the scenario changes, and so do the links
    wait_until(driver, "return window.location.search.includes('lang=zh')")
    toggle = driver.find_element(By.ID, "lang-toggle")
    assert toggle.text == "English" and toggle.get_attribute("lang") == "en"
    wait_until(
        driver,
        "return document.getElementById('lang-toggle').href.includes('public_investment=6')",
    )
    assert "lang=" not in toggle.get_attribute("href")
    driver.find_element(By.ID, "nav-flywheel").click()
    wait_until(driver, "return window.location.pathname === '/flywheel'")
    assert "lang=zh" in _search(driver) and "public_investment=6" in _search(driver)
    wait_until(
        driver,
        "return (document.getElementById('flywheel-story') || {}).textContent"
        " && document.getElementById('flywheel-story').textContent.startsWith('在本情景中')",
    )
    assert driver.find_element(By.CSS_SELECTOR, ".diagram h2").text.startswith("飞轮")
    assert driver.execute_script("return document.documentElement.lang") == "zh-Hans"
    assert english_on_screen(driver) == []
    # one click back to English, on the same page with the same scenario
    wait_until(driver, "return document.getElementById('lang-toggle').href.includes('/flywheel')")
    driver.find_element(By.ID, "lang-toggle").click()
    wait_until(driver, "return document.documentElement.lang === 'en'")
    wait_until(driver, "return document.querySelector('.diagram h2')")
    assert driver.find_element(By.CSS_SELECTOR, ".diagram h2").text.startswith("The flywheel")
    assert "public_investment=6" in _search(driver) and "lang=" not in _search(driver)
    assert driver.find_element(By.ID, "lang-toggle").text == "简体中文"
    assert severe_logs(driver) == []


@pytest.mark.parametrize("path", ["/matters", "/calibration?region=deu", "/model"])
def test_other_pages_in_chinese(driver, server_url, path):
    joiner = "&" if "?" in path else "?"
    driver.get(server_url + path + joiner + "lang=zh")
    wait_until(driver, "return document.documentElement.lang === 'zh-Hans'")
    wait_until(driver, "return document.getElementById('nav-model').textContent === '模型'")
    wait_until(driver, "return document.querySelector('main, .model, .matters') !== null")
    time.sleep(1.5)  # the charts' callbacks
    assert english_on_screen(driver) == []


def test_the_future_shock_is_a_switch_that_follows_presets_and_reset(driver, server_url):
    open_page(driver, server_url + "/", "explore-chart-0")
    driver.find_element(By.CSS_SELECTOR, "#explore-assumptions summary").click()
    shock = driver.find_element(By.ID, "explore-switch-future_shock")
    # a box to tick, not a 0-1 slider: the slider carrying its value is not shown
    assert not lever_thumb(driver, "future_shock").is_displayed()
    assert shock.text.strip() == "Future epidemic shock"
    remember(driver, "explore-chart-0", 1)
    shock.find_element(By.TAG_NAME, "input").click()
    wait_until(driver, "return window.location.search.includes('future_shock=1')")
    wait_changed(driver, "explore-chart-0", 1)
    driver.find_element(By.ID, "explore-reset").click()
    wait_until(driver, "return !window.location.search.includes('future_shock')")
    wait_until(
        driver, "return !document.querySelector('#explore-switch-future_shock input').checked"
    )
    choose_option(driver, "explore-preset", "Future epidemic shock")
    wait_until(
        driver, "return document.querySelector('#explore-switch-future_shock input').checked"
    )
    wait_until(driver, "return window.location.search.includes('future_shock=1')")
    assert severe_logs(driver) == []


def test_a_drag_of_the_lever_under_the_pointer_is_drawn_in_the_page(driver, server_url):
    """With the pointer on a lever, its fan arrives; a drag then asks the server nothing
    until the release, and the line drawn is the run of the value shown."""
    from dashboard import runs

    open_page(driver, server_url + "/?rd_intensity=5")
    driver.execute_script(
        """
        const flights = window.__flights = {updates: 0, fans: 0};
        const fetch0 = window.fetch;
        window.fetch = function (url, options) {
          const body = options && typeof options.body === 'string' ? options.body : '';
          if (body.includes('"explore-request"') && body.includes('explore-chart-0')) flights.updates += 1;
          if (body.includes('explore-fan-request')) flights.fans += 1;
          return fetch0.apply(this, arguments);
        };
        """
    )
    thumb, (x_end, y) = _press_and_drag(
        driver,
        "public_investment",
        moves=4,
        pause=0.08,
        hover_until="const f = window.flywheelGate.fan; return f && f.key === 'public_investment'"
        " && f.levers.rd_intensity === 5",
    )
    value = float(thumb.get_attribute("aria-valuenow"))
    assert value != 2.0
    expected = runs.run({"rd_intensity": 5.0, "public_investment": value}).frame[
        "Digital economy value added nominal"
    ]
    _scenario_line_is(driver, expected)
    assert driver.execute_script("return window.__flights.updates") == 0  # all drawn in the page
    assert f'"public_investment":{value:g}' in driver.find_element(
        By.ID, "explore-drawn"
    ).get_attribute("textContent").replace(" ", "")
    driver.execute_cdp_cmd(
        "Input.dispatchMouseEvent",
        {"type": "mouseReleased", "x": x_end, "y": y, "button": "left", "clickCount": 1},
    )
    # the release asks for the whole picture: bands back around the final scenario
    wait_until(driver, "return window.__flights.updates === 1")
    wait_until(
        driver,
        "return (document.querySelector('#explore-chart-0 .js-plotly-plot').data || [])"
        ".some(t => t.name === 'This scenario: 5-95 % range' && t.visible !== false)",
    )
    wait_until(driver, "return window.location.search.includes('public_investment=')")
    assert driver.execute_script("return window.__flights.fans") <= 1
    assert severe_logs(driver) == []


def _press_and_drag(driver, key, moves, pause, hover_until=None):
    """Pointer onto lever ``key``'s thumb, a press (at once, or when the JavaScript
    ``hover_until`` is true), then ``moves`` moves; the thumb and where the pointer is."""
    thumb = lever_thumb(driver, key)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", thumb)
    x, y, width = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "const t = arguments[0].closest('.lever-row').getBoundingClientRect();"
        "return [r.x + r.width / 2, r.y + r.height / 2, t.width];",
        thumb,
    )
    send = driver.execute_cdp_cmd
    send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
    if hover_until:
        wait_until(driver, hover_until)
    send(
        "Input.dispatchMouseEvent",
        {"type": "mousePressed", "x": x, "y": y, "button": "left", "clickCount": 1},
    )
    for step in range(1, moves + 1):
        send(
            "Input.dispatchMouseEvent",
            {
                "type": "mouseMoved",
                "x": x + width * 0.04 * step,
                "y": y,
                "button": "left",
                "buttons": 1,
            },
        )
        time.sleep(pause)
    return thumb, (x + width * 0.04 * moves, y)


def _count_line_requests(driver):
    """Count the requests for the scenario's line alone (what a drag without a fan sends;
    the whole picture, asked for when the sliders settle, is not counted)."""
    driver.execute_script(
        """
        const flights = window.__flights = {lines: 0};
        const fetch0 = window.fetch;
        window.fetch = function (url, options) {
          const body = options && typeof options.body === 'string' ? options.body : '';
          if (body.includes('"explore-request"') && body.includes('"final":false')) flights.lines += 1;
          return fetch0.apply(this, arguments);
        };
        """
    )


def _scenario_line_is(driver, expected):
    wait_until(
        driver,
        "const y = document.querySelector('#explore-chart-0 .js-plotly-plot').data[1].y;"
        "return y.every((v, i) => Math.abs(v - arguments[0][i]) <= 1e-6 * Math.abs(arguments[0][i]));",
        10,
        expected.tolist(),
    )


def test_a_drag_that_starts_before_its_fan_waits_for_it(driver, server_url, monkeypatch):
    """A press at once: the fan is still on its way (held back here for 250 ms), so the
    moves ask the server for nothing; when it arrives the line of the value shown is
    drawn from it."""
    from dashboard import runs

    fan = runs.fan

    def slow_fan(*args, **kwargs):
        time.sleep(0.25)
        return fan(*args, **kwargs)

    monkeypatch.setattr(runs, "fan", slow_fan)
    open_page(driver, server_url + "/?rd_intensity=3")
    _count_line_requests(driver)
    # however slow the machine, the fan is still awaited when it comes (the page's own
    # wait, 300 ms, is for an idle server; giving up is the next test)
    driver.execute_script("window.flywheelGate.fanWaitMs = 10000")
    thumb, _ = _press_and_drag(driver, "public_investment", moves=3, pause=0.03)
    value = float(thumb.get_attribute("aria-valuenow"))
    assert value != 2.0
    expected = runs.run({"rd_intensity": 3.0, "public_investment": value}).frame[
        "Digital economy value added nominal"
    ]
    _scenario_line_is(driver, expected)  # drawn from the fan, once it came
    assert driver.execute_script("return window.__flights.lines") == 0
    assert severe_logs(driver) == []


def test_a_drag_whose_fan_never_comes_asks_for_its_lines(driver, server_url, monkeypatch):
    """A busy server skips fans: after a short wait the drag asks for lines as it did
    before there were fans, and the value shown is drawn."""
    from dash.exceptions import PreventUpdate

    from dashboard import runs

    def no_fan(*args, **kwargs):
        raise PreventUpdate

    monkeypatch.setattr(runs, "fan", no_fan)
    open_page(driver, server_url + "/?rd_intensity=4")
    _count_line_requests(driver)
    thumb, _ = _press_and_drag(driver, "public_investment", moves=3, pause=0.03)
    value = float(thumb.get_attribute("aria-valuenow"))
    expected = runs.run({"rd_intensity": 4.0, "public_investment": value}).frame[
        "Digital economy value added nominal"
    ]
    _scenario_line_is(driver, expected)
    assert driver.execute_script("return window.__flights.lines") >= 1
    assert driver.execute_script("return window.flywheelGate.fan") is None
    assert severe_logs(driver) == []
