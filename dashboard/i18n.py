"""The interface's languages: English (the source text) and 简体中文, from a gettext catalogue.

Every string a person reads goes through :func:`gettext` (``_``). The Chinese text is
``dashboard/locale/zh/LC_MESSAGES/messages.po``, a standard gettext catalogue read with
Babel; ``python -m dashboard.i18n`` brings it up to date with the code and the data files
(new strings arrive untranslated) and lists what still lacks a translation.

The language of a page comes from its address (``?lang=zh``); the pages pass it to their
callbacks in a store (``page-lang``), and :func:`localized` makes it the language of the
callback's thread while the callback runs. Strings of data files (the lever table, the
presets, the guided story, the model's variable names and units) are translated by the
same catalogue: :func:`data_messages` lists them, and a test fails when one lacks its
translation.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from babel.core import Locale, get_global
from babel.messages.pofile import read_po

#: Interface languages: code in the address -> the language's own name (for the toggle).
LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT = "en"
#: ``<html lang>`` of each language (BCP 47: Chinese in simplified script).
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
#: The yuan of the model file in each language's units ("trillion yuan" -> "万亿元").
YUAN = {"en": "yuan", "zh": "元"}

_current: ContextVar[str] = ContextVar("interface_language", default=DEFAULT)


def clean_lang(value: object) -> str:
    """A known language code, else English (``?lang=`` is whatever a browser sends).

    >>> clean_lang("zh"), clean_lang("ZH"), clean_lang(["zh"]), clean_lang("fr")
    ('zh', 'zh', 'en', 'en')
    """
    text = value.strip().lower() if isinstance(value, str) else ""
    return text if text in LANGUAGES else DEFAULT


def catalogue_path(lang: str) -> Path:
    """The ``.po`` file of a language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Each English string -> its translation in ``lang`` (empty and fuzzy entries left out)."""
    if lang == DEFAULT:
        return {}
    with catalogue_path(lang).open("rb") as handle:
        parsed = read_po(handle, locale=lang)
    return {
        str(message.id): str(message.string)
        for message in parsed
        if message.id and message.string and not message.fuzzy
    }


def current() -> str:
    """The language of this thread's request."""
    return _current.get()


def gettext(message: str) -> str:
    """``message`` in the current language (itself when it has no translation).

    >>> with language("zh"):
    ...     gettext("Policy levers")
    '政策杠杆'
    >>> gettext("Policy levers")
    'Policy levers'
    """
    lang = _current.get()
    if lang == DEFAULT or not isinstance(message, str):
        return message
    return catalogue(lang).get(message, message)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark a string for the catalogue without translating it yet (module constants)."""
    return message


@contextmanager
def language(lang: object) -> Iterator[str]:
    """Make ``lang`` the language of this thread while the block runs."""
    token = _current.set(clean_lang(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def localized(function: Callable) -> Callable:
    """A callback whose last argument is the page's language (``State("page-lang", "data")``).

    The callback runs in that language and does not see the argument.
    """

    @functools.wraps(function)
    def wrapper(*args):
        *rest, lang = args
        with language(lang):
            return function(*rest)

    return wrapper


def with_query_language(function: Callable) -> Callable:
    """A page layout (``layout(**query)``) drawn in the language of its ``?lang=``."""

    @functools.wraps(function)
    def wrapper(**query):
        with language(query.get("lang")):
            return function(**query)

    return wrapper


def in_money(text: str, currency: str) -> str:
    """``text`` (a unit or format naming yuan) translated, with the region's currency.

    >>> in_money("trillion yuan a year", "euros")
    'trillion euros a year'
    >>> with language("zh"):
    ...     in_money("trillion yuan a year", "euros"), in_money("trillion yuan a year", "yuan")
    ('万亿欧元/年', '万亿元/年')
    """
    lang = _current.get()
    translated = gettext(text)
    if currency == "yuan":
        return translated
    return translated.replace(YUAN[lang], gettext(currency))


def country_name(iso3: str) -> str | None:
    """A country's name in the current language from the Unicode CLDR (via Babel), or None.

    >>> with language("zh"):
    ...     country_name("DEU")
    '德国'
    """
    aliases = get_global("territory_aliases").get(str(iso3).upper())
    if not aliases:
        return None
    names = Locale.parse(_current.get()).territories
    return names.get(aliases[0])


def split_country(label: str) -> tuple[str, str]:
    """A label and the ISO code a country's series label ends with ("..., DEU"), if any.

    >>> split_country("Population (people), DEU"), split_country("GDP, 2005 prices")
    (('Population (people)', 'DEU'), ('GDP, 2005 prices', ''))
    """
    head, comma, code = label.rpartition(", ")
    if comma and len(code) == 3 and code.isupper():
        return head, code
    return label, ""


FIELD = re.compile(r"{([^{}:!]*)[^{}]*}")


def fields(text: str) -> set[str]:
    """The ``str.format`` fields of a message (a translation must keep the same ones)."""
    return {match.group(1) for match in FIELD.finditer(text.replace("{{", "").replace("}}", ""))}


def data_messages() -> set[str]:
    """Every string of the data files the interface shows, as written (the msgids)."""
    from calibration.country import COUNTRY_PARAMS, CURRENCIES
    from calibration.series import load_params
    from dashboard.figures import PLAIN_UNITS, chart_menu, plain_unit
    from dashboard.runs import observed_series
    from dashboard.state import regions
    from dashboard.story import load_story
    from flywheel import load_levers
    from flywheel.loops import load_loops
    from flywheel.scenarios import load_scenario, preset_names
    from flywheel.simulate import engine

    texts: set[str] = set()
    for lever in load_levers():
        texts |= {lever.label, lever.help, lever.group}
        if lever.unit:
            texts.add(lever.unit)
    for name in preset_names():
        scenario = load_scenario(name)
        texts |= {scenario.title, scenario.description}
    for step in load_story():
        texts |= {step.title, step.text, step.look_at}
    for _variable, title, unit, _scale in chart_menu().values():
        texts |= {title, unit}
    for variable in engine().variables.values():  # the Model page lists them all
        texts.add(variable.name)
        if plain_unit(variable.units):
            texts.add(plain_unit(variable.units))
    for loop in load_loops():
        texts |= {loop.name, loop.story}
    texts |= set(CURRENCIES.values()) | {"US dollars"} | set(PLAIN_UNITS.values())
    for region in regions():  # the calibration page's series, shipped regions
        for series in observed_series(region):
            texts.add(split_country(series.label)[0])
            texts.add(series.observations.unit)
    # the tornado's uncertain constants (China's calibration, then countries')
    texts |= {param.name for param in load_params()} | set(COUNTRY_PARAMS)
    return {text for text in texts if text and text.strip()}


SOURCES = ("dashboard", "flywheel/ltm.py", "flywheel/evidence.py", "flywheel/sensitivity.py")


def source_messages(root: Path | None = None) -> dict[str, list[str]]:
    """Strings marked in the code (``_("...")``, ``N_("...")``) -> where they are."""
    from babel.messages.extract import extract_from_file

    root = root or Path(__file__).resolve().parent.parent
    found: dict[str, list[str]] = {}
    files: list[Path] = []
    for source in SOURCES:
        path = root / source
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
    for path in files:
        for line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords={"_": None, "N_": None, "gettext": None}
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, []).append(f"{path.relative_to(root)}:{line}")
    return found


def all_messages() -> set[str]:
    """What the catalogue must translate: the code's marked strings and the data's."""
    return set(source_messages()) | data_messages()


def problems(lang: str = "zh") -> list[str]:
    """Strings without a translation in ``lang``, and translations that lose a ``{field}``."""
    translations = catalogue(lang)
    found = []
    for message in sorted(all_messages()):
        translated = translations.get(message)
        if translated is None:
            found.append(f"no translation: {message!r}")
        elif fields(translated) != fields(message):
            found.append(f"fields differ ({sorted(fields(message))}): {message!r}")
    return found


def update_catalogue(lang: str = "zh") -> int:
    """Add every untranslated string to the ``.po`` file (empty); return how many lack one."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    path = catalogue_path(lang)
    with path.open("rb") as handle:
        existing = read_po(handle, locale=lang)
    template = Catalog(locale=lang, project="Digital Flywheel")
    where = source_messages()
    for message in sorted(set(where) | data_messages()):
        locations = [
            (place.rsplit(":", 1)[0], int(place.rsplit(":", 1)[1]))
            for place in where.get(message, [])
        ]
        template.add(message, locations=locations)
    existing.update(template, no_fuzzy_matching=True)
    with path.open("wb") as handle:
        write_po(handle, existing, width=100, sort_output=True, ignore_obsolete=True)
    return sum(1 for message in existing if message.id and not message.string)


if __name__ == "__main__":  # python -m dashboard.i18n: refresh the catalogue, list the gaps
    missing = update_catalogue()
    for problem in problems():
        print(problem)
    print(f"{missing} strings lack a Chinese translation in {catalogue_path('zh')}")
    sys.exit(1 if missing else 0)
