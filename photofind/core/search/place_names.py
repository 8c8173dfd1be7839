"""Place names in a search query ("beach in Portugal", "Lisbon 2019", "new york skyline").

Names come from the gazetteer that names photos' places (core.photos.location), so a name
found here is spelt as the place stored for a photo. What counts:

- countries, by name or a common alias (USA, UK, Britain, Holland…), regions (first-level:
  states, provinces) and cities of 100,000+ people, anywhere in the text;
- towns of 15,000+ people, and names that are also ordinary words or first names (Nice,
  Bath, Turkey, Reading, Georgia…), only right after a preposition: "sunset in Nice";
- never words inside double quotes, which the query asks to find written in a photo.

Whole words match, ignoring case and accents ("sao paulo" is São Paulo), the longest name
first ("New York" before "York"). Building the names means reading the whole gazetteer (most
of a second), so they are kept in a file in a cache folder, rebuilt when the gazetteer or
these rules change.
"""

from __future__ import annotations

import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

from photofind.core.cache import cache_dir as default_cache_dir
from photofind.core.cache import kept
from photofind.core.index.store.texts import fold

__all__ = ["PlaceMention", "find_places", "fold"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PREPOSITIONS = frozenset({"in", "at", "near", "from", "around"})
MIN_CITY_PEOPLE = 100_000
MIN_TOWN_PEOPLE = 15_000
# Country names that people use instead of the gazetteer's (ISO's) names.
_COUNTRY_ALIASES = {
    "usa": "US", "us": "US", "america": "US", "united states of america": "US",
    "uk": "GB", "britain": "GB", "great britain": "GB", "holland": "NL",
    "the netherlands": "NL", "russia": "RU", "south korea": "KR", "korea": "KR",
    "north korea": "KP", "iran": "IR", "syria": "SY", "laos": "LA", "czechia": "CZ",
    "tanzania": "TZ", "moldova": "MD", "north macedonia": "MK", "ivory coast": "CI",
    "vatican": "VA", "vatican city": "VA", "micronesia": "FM", "brunei": "BN",
    "cabo verde": "CV", "eswatini": "SZ", "burma": "MM", "palestine": "PS", "libya": "LY",
    "uae": "AE", "emirates": "AE", "bosnia": "BA", "dr congo": "CD", "drc": "CD",
    "democratic republic of the congo": "CD", "east timor": "TL", "st lucia": "LC",
    "trinidad": "TT", "st kitts": "KN", "turkiye": "TR",
}  # fmt: skip
# Abbreviations that count anywhere when written in capitals ("US" but not "us").
_ABBREVIATIONS = frozenset({"us", "uk", "usa", "uae", "drc"})
# Gazetteer entries that are no country a photo can be in.
_NOT_COUNTRIES = frozenset({"EU", "AP"})
# Place names that are more often ordinary words, first names or surnames: they count only
# right after a preposition.
_ORDINARY_WORDS = _words(
    """
    us nice bath turkey reading mobile split chile jordan georgia china jersey man sale van bar
    bay store mon est west east north south central centre western eastern northern southern
    male ho bo san ica pool orange surprise oral metro bush derby batman paradise springs
    phoenix independence buffalo unity delta tours bride para lakes enterprise acre reunion
    cork bled arta aba falcon chu vista maritime tak tyre peel shaping boulder fargo mesa
    providence hue fuji brits ajax bello mono bender kaya oriental garland bloke bono midland
    corona americana cascade plateau colon natal angers mustang concord temple mission eden
    sandy liberty superior normal federal union marina lens roses eagle pearl crystal golden
    michael paul mary george patrick elizabeth tyler charlotte victoria austin jackson
    madison brandon douglas diana henderson hamilton lincoln norman nancy florence gilbert
    eugene alexandra preston milton chandler irving warren sofia regina miranda vladimir
    hassan anand nigel ann aurora troy chester marion shelby camden kingston richmond
    columbia columbus florida montana santana lara alma clayton sherman vernon dover
    auburn hastings sutton bedford richardson edison everett harlem downey hayward
"""
)
# Words that are never taken for places, even after a preposition ("in March", "at home").
_NEVER = _words(
    """
    january february march april may june july august september october november december
    spring summer autumn fall winter morning evening night noon sunset sunrise dawn dusk
    home school church park beach garden work office bed snow rain the and of
"""
)
_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
_QUOTED = re.compile(r'"[^"]*"?|“[^”]*”?')
_INDEX_VERSION = 2


@dataclass(frozen=True)
class PlaceMention:
    """A place named in a query: `text[start:end]` is its name with the preposition before
    it, if any ("in Portugal"); `name` is as core.photos.location.where stores it in the
    field of its `kind` ("country", "region" or "city")."""

    start: int
    end: int
    kind: str
    country_code: str
    name: str


# One name's place, "kind\tcountry code\tstored name\tanywhere" ("1" when it counts without
# a preposition, else ""): one string per name, so the file loads as a dict of strings.
_Entry = str


def find_places(text: str, cache_dir: Path | None = None) -> list[PlaceMention]:
    """The places a query's text names, in order (see the module's doc). The names are kept
    in `cache_dir` (default: core.cache's folder; the places they are made from are kept
    there in any case)."""
    names = _names(cache_dir or default_cache_dir())
    longest = names.longest
    found: list[PlaceMention] = []
    for offset, segment in _unquoted(text):
        words = [
            (m.start() + offset, m.end() + offset, fold(m.group())) for m in _WORD.finditer(segment)
        ]
        i = 0
        while i < len(words):
            after = _preposition_before(text, words, i, found)
            for n in range(min(longest, len(words) - i), 0, -1):
                key = " ".join(w[2] for w in words[i : i + n])
                entry = names.places.get(key)
                if entry is None:
                    continue
                kind, code, name, anywhere = entry.split("\t")
                shouted = key in _ABBREVIATIONS and text[words[i][0] : words[i][1]].isupper()
                if anywhere or shouted or after is not None:
                    start = words[i][0] if after is None else after
                    found.append(PlaceMention(start, words[i + n - 1][1], kind, code, name))
                    i += n - 1
                    break
            i += 1
    return found


def _unquoted(text: str) -> list[tuple[int, str]]:
    """(offset, text) of the stretches outside double quotes."""
    parts, start = [], 0
    for m in _QUOTED.finditer(text):
        parts.append((start, text[start : m.start()]))
        start = m.end()
    parts.append((start, text[start:]))
    return parts


def _preposition_before(
    text: str, words: list[tuple[int, int, str]], i: int, found: list[PlaceMention]
) -> int | None:
    """Where the preposition right before word `i` starts, if there is one that is not
    part of a place already found."""
    if i == 0 or words[i - 1][2] not in PREPOSITIONS:
        return None
    start, end, _ = words[i - 1]
    if text[end : words[i][0]].strip() or (found and found[-1].end > start):
        return None
    return start


@dataclass(frozen=True)
class _Names:
    places: dict[str, _Entry]
    longest: int  # words in the longest name


_loaded: list[_Names] = []  # the names, once this process has them
_checked: set[Path] = set()  # cache folders whose file was read or written
_lock = threading.Lock()


def _names(cache_dir: Path) -> _Names:
    """The names, read or built once per process; each cache folder asked about is given
    a current file for the next process."""
    with _lock:
        if cache_dir not in _checked:
            known = _loaded[0] if _loaded else None
            places, longest = kept(
                cache_dir / "place-names.marshal",
                _stamp(),
                lambda: _saved_form(known or _build_names()),
            )
            _loaded[:] = [_Names(places, longest)]
            _checked.add(cache_dir)
        return _loaded[0]


def _saved_form(names: _Names) -> tuple[dict[str, _Entry], int]:
    return names.places, names.longest


def _stamp() -> str:
    """What the names are made from: the gazetteer and these rules."""
    from photofind.core.photos.gazetteer import data_stamp

    rules = repr(
        (
            _INDEX_VERSION,
            MIN_CITY_PEOPLE,
            MIN_TOWN_PEOPLE,
            sorted(_COUNTRY_ALIASES.items()),
            sorted(_ORDINARY_WORDS),
            sorted(_NEVER),
        )
    )
    return f"{data_stamp()}:{zlib.crc32(rules.encode()):08x}"


def _key(name: str) -> str:
    return " ".join(_WORD.findall(fold(name)))


def _build_names() -> _Names:
    """Every name with the place it most likely means: a country before a city before a
    region (Lisbon the city, not the district), the most populous of each kind."""
    from photofind.core.photos.location import gazetteer

    places = gazetteer()
    ranked: dict[str, tuple[tuple[int, int], _Entry]] = {}

    def offer(name: str, kind: str, code: str, stored: str, rank: int, people: int) -> None:
        key = _key(name)
        if key in _NEVER or (len(key) < 3 and key not in _ABBREVIATIONS):
            return
        anywhere = rank < 3 and key not in _ORDINARY_WORDS
        score = (rank, -people)
        if key not in ranked or score < ranked[key][0]:
            fields = (kind, code, stored.replace("\t", " "), "1" if anywhere else "")
            ranked[key] = (score, "\t".join(fields))

    for code, country in places.countries.items():
        if code not in _NOT_COUNTRIES:
            offer(country, "country", code, country, 0, 0)
    for alias, code in _COUNTRY_ALIASES.items():
        offer(alias, "country", code, places.countries[code], 0, 0)
    region_people: dict[tuple[str, str], int] = {}
    for i, city in enumerate(places.cities):
        code, region, people = places.country_codes[i], places.regions[i], places.populations[i]
        if region:
            region_people[code, region] = region_people.get((code, region), 0) + people
        if people >= MIN_TOWN_PEOPLE:
            offer(city, "city", code, city, 1 if people >= MIN_CITY_PEOPLE else 3, people)
    for (code, region), people in region_people.items():
        offer(region, "region", code, region, 2, people)
    entries = {key: entry for key, (_, entry) in ranked.items()}
    return _Names(entries, max(key.count(" ") + 1 for key in entries))
