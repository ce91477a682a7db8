"""简体中文: every string has its translation; pages and callbacks speak the page's language."""

import re
import threading

import pytest

from dashboard import i18n, state
from dashboard.app import create_app, language_of
from dashboard.pages import calibration, explore, flywheel, matters, model
from flywheel import load_levers
from tests.dashboard.helpers import lever_ids, triggered

KEYS = load_levers().keys()
IDS = lever_ids(KEYS)
DEFAULTS = [load_levers().get(key).default for key in KEYS]
PICKS = list(explore.figures.default_picks())
HAN = re.compile(r"[\u4e00-\u9fff]")


MACHINE_KEYS = {
    "id",
    "className",
    "style",
    "type",
    "namespace",
    "htmlFor",
    "value",
    "href",
    "hovertemplate",
    "shape",
    "customdata",
    "legendgroup",
    "stackgroup",
    "mode",
    "hoverinfo",
}


def texts(value) -> list[str]:
    """Every string a person could read in a layout, a figure or a callback's output."""
    if hasattr(value, "to_plotly_json"):
        value = value.to_plotly_json()
    found = []
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in MACHINE_KEYS:
                continue  # names for the machine, not words for people
            found += texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found += texts(item)
    return found


def english_left(value) -> list[str]:
    """Strings of ``value`` still in English although the catalogue has their Chinese."""
    translations = i18n.catalogue("zh")
    return sorted(
        {
            text
            for text in texts(value)
            if text in translations and translations[text] != text and not HAN.search(text)
        }
    )


def test_every_interface_string_has_a_chinese_translation():
    assert i18n.problems("zh") == []


def test_a_string_without_its_translation_fails_the_check(monkeypatch):
    monkeypatch.setattr(i18n, "all_messages", lambda: {"Policy levers", "Nobody translated me"})
    assert i18n.problems("zh") == ["no translation: 'Nobody translated me'"]


def test_a_translation_that_loses_a_field_fails_the_check(monkeypatch):
    monkeypatch.setattr(i18n, "all_messages", lambda: {"{lever}: {value} is odd"})
    monkeypatch.setattr(i18n, "catalogue", lambda lang: {"{lever}: {value} is odd": "{lever}奇怪"})
    assert i18n.problems("zh") == ["fields differ (['lever', 'value']): '{lever}: {value} is odd'"]


def test_marked_strings_are_found_in_the_code(tmp_path):
    (tmp_path / "dashboard").mkdir()
    (tmp_path / "dashboard" / "page.py").write_text(
        'from dashboard.i18n import N_, _\nA = N_("Marked for later")\n'
        'def f(x):\n    return _("Said now"), f"{x} not marked"\n',
        encoding="utf-8",
    )
    found = i18n.source_messages(tmp_path)
    assert set(found) == {"Marked for later", "Said now"}
    assert found["Said now"] == ["dashboard/page.py:4"]


def test_data_strings_are_in_the_catalogue_list():
    messages = i18n.data_messages()
    lever = load_levers().get("public_investment")
    assert {lever.label, lever.help, lever.unit, "Market-led", "Three main lines"} <= messages
    assert "Digital Capital" in messages  # a chart's variable name
    assert "euros" in messages


@pytest.mark.parametrize("value", [None, "", "fr", "ZH ", ["zh"], 5, "zh-TW<script>"])
def test_any_language_value_becomes_a_known_one(value):
    assert i18n.clean_lang(value) in i18n.LANGUAGES
    assert i18n.clean_lang(value) == ("zh" if value == "ZH " else "en")


def test_translation_keeps_english_outside_a_chinese_block():
    with i18n.language("zh"):
        assert i18n.gettext("Policy levers") == "政策杠杆"
        assert i18n.gettext("a string with no entry") == "a string with no entry"
    assert i18n.gettext("Policy levers") == "Policy levers"


def test_money_units_take_the_region_currency_in_either_language():
    assert i18n.in_money("thousand yuan a person", "euros") == "thousand euros a person"
    with i18n.language("zh"):
        assert i18n.in_money("thousand yuan a person", "euros") == "千欧元/人"
        assert i18n.in_money("thousand yuan a person", "yuan") == "千元/人"
        # a currency the catalogue does not know keeps its own name
        assert i18n.in_money("trillion yuan", "pesos") == "万亿pesos"


def test_country_names_come_from_cldr():
    with i18n.language("zh"):
        assert i18n.country_name("KOR") == "韩国"
        assert i18n.country_name("china") is None
    assert i18n.country_name("DEU") == "Germany"


PAGES = {
    "explore": explore.layout,
    "flywheel": flywheel.layout,
    "matters": matters.layout,
    "calibration": calibration.layout,
    "model": model.layout,
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_page_is_drawn_in_chinese_with_lang_zh(page):
    layout = PAGES[page](lang="zh", region="deu")
    assert english_left(layout) == []
    assert sum(1 for text in texts(layout) if HAN.search(text)) >= 5
    stores = [t for t in texts(layout) if t in ("zh", "en")]
    assert "zh" in stores  # the page hands its language to its callbacks


@pytest.mark.parametrize("page", sorted(PAGES))
def test_an_english_page_has_no_chinese(page):
    layout = PAGES[page](lang="xx")
    assert not [text for text in texts(layout) if HAN.search(text)]


def explore_update(lang, region="china", values=None, saved=None, compare=()):
    return explore.update(
        values or DEFAULTS,
        list(compare),
        2035,
        ["on"],
        region,
        *PICKS,
        None,
        False,
        IDS,
        saved or {},
        lang,
    )


def test_explore_redraws_in_the_page_language():
    values = [
        6.0 if key == "public_investment" else d for key, d in zip(KEYS, DEFAULTS, strict=True)
    ]
    output = explore_update("zh", "deu", values)
    charts, cards, search = output[: explore.CHARTS + 1], output[explore.CHARTS + 1], output[6]
    assert english_left(charts) == [] and english_left(cards) == []
    assert charts[0]["layout"]["title"]["text"] == "数字经济增加值"
    assert charts[0]["layout"]["yaxis"]["title"]["text"] == "万亿欧元，现价"
    assert [trace["name"] for trace in charts[0]["data"][:2]] == ["基准情景", "本情景"]
    assert "lang=zh" in search and "public_investment=6" in search
    english = explore_update("en", "deu", values)
    assert "lang" not in english[6]
    assert english[0]["layout"]["yaxis"]["title"]["text"] == "trillion euros, current prices"


def test_explore_callbacks_answer_in_chinese():
    assert (
        explore.intro_title("deu", "zh") == "如果德国投资于数字经济、数字政府和数字社会，会怎样？"
    )
    figure, note = explore.attribution({}, "GDP per capita|2050", "china", "zh")
    assert note.startswith("移动一个滑块") and english_left(figure) == []
    values, message, _preset = triggered(
        explore.apply_levers,
        "explore-preset.value",
        None,
        "market-led",
        None,
        None,
        None,
        IDS,
        DEFAULTS,
        "zh",
    )
    assert message.startswith("已应用预设方案：市场主导。")
    step = triggered(explore.story, "explore-story-start.n_clicks", 1, None, None, None, IDS, "zh")
    assert english_left(step[-2]) == [] and "第 1 步，共 5 步" in texts(step[-2])[0]
    boxes = [None] * len(KEYS)
    boxes[KEYS.index("public_investment")] = "99"
    typed = triggered(
        explore.typed,
        explore.BOX + "public_investment.n_submit",
        *([1] * len(KEYS)),
        *([None] * len(KEYS)),
        *boxes,
        IDS,
        DEFAULTS,
        "zh",
    )
    assert typed[1] == "公共数字投资：99 超出 0 至 15（占财政收入的 %）；保持 2"


def test_other_pages_callbacks_answer_in_chinese():
    links = [lever.key for lever in flywheel.LINKS]
    output = triggered(
        flywheel.update, "flywheel-links.value", links[1:], [], None, "china", {}, "zh"
    )
    diagram, _compact, charts, message, strip, story = output
    assert message.startswith("从政策开始年份起切断：")
    assert story.startswith("在本情景中：") and "回路" in story
    assert english_left([diagram, charts, strip]) == []
    figure, note = matters.update("GDP per capita", 2050, "china", {}, "zh")
    assert figure["layout"]["title"]["text"].startswith("2050 年人均 GDP")
    assert english_left(figure) == [] and note.startswith("围绕基准情景")
    assert english_left(calibration.show_region("deu", "zh")) == []
    table, count = model.search("资本", "zh")
    assert count.endswith("个变量") and int(count.split()[0]) > 0


def test_state_messages_speak_the_page_language():
    lever = load_levers().get("public_investment")
    with i18n.language("zh"):
        assert state.clean_value(lever, "abc")[1] == "公共数字投资：'abc' 不是数字；已恢复为 2"
        _, messages = state.from_query("?nope=1&lang=zh")
        assert messages == ["链接中有未知杠杆 'nope'；已忽略。"]
    assert state.from_query("?lang=zh") == (load_levers().defaults(), [])


def test_languages_do_not_leak_between_threads():
    """The server answers many users at once: each callback keeps its own page's language."""
    answers, errors = [], []

    def ask(lang):
        try:
            for _ in range(20):
                answers.append((lang, explore.intro_title("deu", lang)))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(lang,)) for lang in ("zh", "en") * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(answers) == 160
    assert all(bool(HAN.search(text)) == (lang == "zh") for lang, text in answers)


def test_the_index_page_says_its_language():
    client = create_app().server.test_client()
    assert '<html lang="zh-Hans">' in client.get("/?lang=zh").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/flywheel?lang=%3Cscript%3E").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    assert language_of("?region=deu&lang=zh") == "zh" and language_of(["?lang=zh"]) == "en"
