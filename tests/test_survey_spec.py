"""`coordbot survey check`: the demo survey is valid in three languages; every mistake of a
broken file is reported at once, with its line and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.survey.check import check_survey_file, check_survey_text
from bot.survey.spec import SurveySpec
from tests.test_survey import SURVEY_FILE


def _line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_the_demo_survey_is_valid_in_three_languages_with_every_kind_of_question() -> None:
    spec, problems = check_survey_file(SURVEY_FILE)
    assert problems == []
    assert spec is not None and spec.anonymous and spec.reminder_after_hours == 48
    assert {q.kind for q in spec.questions} == {"scale", "single", "multiple", "text"}
    texts = [spec.title, spec.intro, spec.thanks] + [q.text for q in spec.questions]
    texts += [o.label for q in spec.questions for o in q.options]
    assert all(set(text) == {"en", "fr", "es"} for text in texts)
    why = spec.question("overall_why")
    assert why is not None and why.ask_if is not None
    assert (why.ask_if.question, why.ask_if.values, why.required) == ("overall", ["1", "2"], False)
    assert SurveySpec.from_json(spec.as_json()) == spec  # what the database keeps reads back


def test_every_planted_mistake_is_reported_with_its_line(tmp_path: Path) -> None:
    text = SURVEY_FILE.read_text(encoding="utf-8")
    text = text.replace(
        "ask_if: {question: overall, in: [1, 2]}", "ask_if: {question: overall, in: [0, 2]}"
    )
    text = text.replace(
        "ask_if: {question: small_tables, in: [1, 2]}",
        "ask_if: {question: comments, in: [1]}",
    )
    text = text.replace("      - id: too_light\n", "      - id: right\n", 1)
    text = text.replace(
        "  - id: organisation\n    type: scale\n",
        "  - id: organisation\n    type: scale\n    max_choices: 2\n",
    )
    text = text.replace("    max_choices: 3\n", "    max_choices: 9\n", 1)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")

    spec, problems = check_survey_file(broken)

    assert spec is None
    found = {(problem.path, problem.line) for problem in problems}
    assert found == {
        ("questions[1].ask_if.in[0]", _line_of(text, "in: [0, 2]")),
        ("questions[3].ask_if.question", _line_of(text, "question: comments")),
        (
            "questions[5].options[2].id",
            _line_of(text, "      - id: right\n        label: {en: too"),
        ),
        ("questions[6].max_choices", _line_of(text, "max_choices: 2")),
        ("questions[4].max_choices", _line_of(text, "max_choices: 9")),
    }, problems
    messages = " | ".join(str(problem) for problem in problems)
    assert "0 is not one of: 1, 2, 3, 4, 5" in messages
    assert "no earlier question has the id comments" in messages
    assert "id right is used twice" in messages


def test_schema_mistakes_name_the_field_and_a_missing_language() -> None:
    text = (
        "survey: {id: Bad Id, title: {en: T, fr: T}, thanks: {en: T, fr: T, es: T}}\n"
        "questions:\n"
        "  - {id: q, type: stars, text: {en: Q, fr: Q, es: Q}}\n"
    )
    spec, problems = check_survey_text(text, "s.yaml")
    assert spec is None
    by_path = {problem.path: problem.message for problem in problems}
    assert "missing field es" in by_path["survey.title"]
    assert "valid id" in by_path["survey.id"]
    assert "stars" in by_path["questions[0].type"]


def test_the_command_exits_1_on_a_broken_file_and_0_on_the_demo(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("survey: [not, a, mapping\n", encoding="utf-8")
    command = [sys.executable, "-m", "bot", "survey", "check"]
    failed = subprocess.run([*command, str(broken)], capture_output=True, text=True, check=False)
    assert failed.returncode == 1 and "not valid YAML" in failed.stdout
    assert "Traceback" not in failed.stderr
    valid = subprocess.run(
        [*command, str(SURVEY_FILE)], capture_output=True, text=True, check=False
    )
    assert valid.returncode == 0 and valid.stdout.strip().endswith(": OK")
