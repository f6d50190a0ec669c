"""`coordbot programme check`: every mistake at once, with its line and field."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bot.programme.check import check_file, check_text
from tests.support.demo import DEMO_FILE


def _line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_the_demo_programme_is_valid_and_complete_in_three_languages() -> None:
    spec, problems = check_file(DEMO_FILE)
    assert problems == []
    assert spec is not None
    assert len([s for s in spec.sessions if s.starts_at.date().isoformat() == "2017-12-02"]) >= 12
    texts = [s.title for s in spec.sessions] + [t.title for r in spec.rounds for t in r.tables]
    texts += [g.title for g in spec.groups]
    assert all(set(text) == {"en", "fr", "es"} for text in texts)
    assert {t.act for t in next(r for r in spec.rounds if r.key == "d2-tables").tables} == set(
        range(1, 11)
    )


def test_three_planted_mistakes_are_reported_together_with_their_lines(tmp_path: Path) -> None:
    text = DEMO_FILE.read_text(encoding="utf-8")
    text = text.replace("kind: plenary", "kind: plenum", 1)
    text = text.replace("venue: marriott", "venue: hilton", 1)
    text = text.replace('end: "2017-12-02 08:15"', 'end: "2017-12-02 07:00"', 1)
    text = re.sub(r'end: "?08:15"?', 'end: "07:00"', text, count=1)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")

    _spec, problems = check_file(broken)

    assert len(problems) == 3, problems
    by_field = {problem.path.split(".")[-1]: problem for problem in problems}
    assert by_field["kind"].line == _line_of(text, "kind: plenum")
    assert "plenum" in by_field["kind"].message
    assert by_field["venue"].line == _line_of(text, "venue: hilton")
    assert by_field["end"].line == _line_of(text, '"07:00"')
    assert str(by_field["venue"]).startswith(f"{broken}:{by_field['venue'].line}: sessions[")


def test_the_command_exits_1_and_prints_each_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "event: {id: x, name: {en: X}, timezone: Mars/Olympus, languages: [en]}\n"
        "venues: []\n"
        "sessions:\n"
        "  - {id: a, title: {en: A}, start: '2017-12-02 09:00', end: '10:00', kind: break}\n"
        "  - {id: a, title: {en: B}, start: '2017-12-02 09:00', end: '10:00', kind: break,"
        " venue: nowhere}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "programme", "check", str(broken)],
        capture_output=True,
        text=True,
        env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"{broken}:1: event.timezone: unknown time zone Mars/Olympus" in lines
    assert f"{broken}:5: sessions[1].id: id a is used twice" in lines
    assert f"{broken}:5: sessions[1].venue: no venue has the id nowhere" in lines


def test_yaml_syntax_errors_point_at_their_line() -> None:
    _spec, problems = check_text("event:\n  id: x\n  name: [unclosed\nvenues: []\n", "f.yaml")
    assert len(problems) == 1
    assert problems[0].line is not None and problems[0].line >= 3
    assert "YAML" in problems[0].message


def test_missing_and_unknown_fields_are_named() -> None:
    _spec, problems = check_text(
        "event: {id: x, name: {en: X}, timezone: UTC, languages: [en], colour: red}\n"
        "venues: []\n"
        "sessions:\n"
        "  - {id: a, title: {en: A}, end: '10:00', kind: break}\n",
        "f.yaml",
    )
    messages = {problem.path: problem.message for problem in problems}
    assert messages["event"] == "unknown field colour"
    assert messages["sessions[0]"] == "missing field start"


def test_a_session_may_give_its_start_alone() -> None:
    spec, problems = check_text(
        "event: {id: x, name: {en: X}, timezone: America/Mexico_City, languages: [en]}\n"
        "venues: []\n"
        "sessions:\n"
        "  - {id: a, title: {en: Reception}, start: '2017-12-03 18:00', kind: social}\n",
        "f.yaml",
    )
    assert problems == [] and spec is not None
    assert spec.sessions[0].ends_at is None
    assert spec.sessions[0].starts_at.isoformat() == "2017-12-03T18:00:00-06:00"


def test_impossible_dates_are_reported() -> None:
    _spec, problems = check_text(
        "event: {id: x, name: {en: X}, timezone: UTC, languages: [en]}\n"
        "venues: []\n"
        "sessions:\n"
        "  - {id: a, title: {en: A}, start: '2017-02-30 09:00', end: '10:00', kind: break}\n",
        "f.yaml",
    )
    assert [(p.line, p.path) for p in problems] == [(4, "sessions[0].start")]


def test_a_venue_name_is_one_string_or_one_per_language() -> None:
    head = "event: {id: x, name: {en: X}, timezone: UTC, languages: [en, fr, es]}\nvenues:\n"
    tail = (
        "sessions:\n"
        "  - {id: a, title: {en: A}, start: '2017-12-02 09:00', end: '10:00', kind: break}\n"
    )
    spec, problems = check_text(
        head + "  - {id: plain, name: Marriott Hotel}\n"
        "  - {id: each, name: {en: Marriott Hotel, fr: Hôtel Marriott, es: Hotel Marriott}}\n"
        + tail,
        "f.yaml",
    )
    assert problems == [] and spec is not None
    plain, each = spec.venues
    assert (plain.name, plain.names) == ("Marriott Hotel", None)
    assert each.name == "Marriott Hotel"  # the event's default language
    assert each.names == {"en": "Marriott Hotel", "fr": "Hôtel Marriott", "es": "Hotel Marriott"}

    _spec, problems = check_text(
        head + "  - {id: each, name: {fr: Hôtel Marriott, de: Marriott}}\n" + tail, "f.yaml"
    )
    assert len(problems) == 1 and problems[0].path.endswith("name"), problems


def test_the_demo_names_its_venues_in_three_languages() -> None:
    spec, _problems = check_file(DEMO_FILE)
    assert spec is not None
    westin = next(v for v in spec.venues if v.key == "westin-un-registration")
    assert westin.names is not None and set(westin.names) == {"en", "fr", "es"}
    assert westin.names["fr"] == "Centre d’inscription de l’ONU – hôtel Westin"


def test_what_happens_alongside_has_real_days_in_order() -> None:
    _spec, problems = check_text(
        "event: {id: x, name: {en: X}, timezone: UTC, languages: [en]}\n"
        "venues: []\n"
        "sessions: []\n"
        "alongside:\n"
        "  - {id: a, title: {en: A}, from: '2017-12-06', to: '2017-12-04'}\n"
        "  - {id: b, title: {en: B}, from: '2017-02-30', to: '2017-03-01', venue: nowhere}\n"
        "  - {id: c, title: {en: C}, from: '4 Dec', to: '2017-12-06'}\n",
        "f.yaml",
    )
    messages = {problem.path: problem.message for problem in problems}
    assert messages["alongside[0].to"] == "the last day is before the first"
    assert messages["alongside[1].from"] == "2017-02-30 is not a real date"
    assert messages["alongside[1].venue"] == "no venue has the id nowhere"
    assert messages["alongside[2].from"] == '"4 Dec" is not a date written YYYY-MM-DD'
