"""`coordbot survey check`: every mistake of a survey file at once, each with its line."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path as FilePath
from typing import Any

from jsonschema import Draft202012Validator

from bot.specfile.problems import Problem, dotted, schema_message
from bot.specfile.source import Path, Source, SourceError, parse
from bot.survey.spec import Condition, OptionSpec, QuestionSpec, SurveySpec
from bot.text.i18n import _

SCHEMA_FILE = FilePath(__file__).with_name("survey.schema.json")
SCALE_VALUES = ("1", "2", "3", "4", "5")


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


class _Checker:
    def __init__(self, file: str, source: Source) -> None:
        self.file = file
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.file, self.source.line_of(path), dotted(path), message))

    def run(self) -> SurveySpec | None:
        for path in self.source.duplicates:
            self.add(path, _("this field is given twice"))
        data = self.source.data
        if not isinstance(data, dict):
            self.add((), _("the file must hold a mapping with survey and questions"))
            return None
        errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path)))
        for error in errors:
            self.add(tuple(error.absolute_path), schema_message(error))
        if errors:
            return None  # the rules below read a well-formed file
        questions = self.questions(data["questions"])
        if self.problems:
            return None
        head = data["survey"]
        return SurveySpec(
            key=head["id"],
            title=head["title"],
            intro=head.get("intro", {}),
            thanks=head["thanks"],
            anonymous=head.get("anonymous", True),
            reminder_after_hours=head.get("reminder_after_hours"),
            questions=questions,
        )

    def questions(self, items: list[dict[str, Any]]) -> list[QuestionSpec]:
        """The rules a schema cannot say: unique ids, options that fit the type, conditions
        on an earlier question's possible answers."""
        seen: dict[str, dict[str, Any]] = {}
        questions = []
        for index, item in enumerate(items):
            path: Path = ("questions", index)
            kind = item["type"]
            if item["id"] in seen:
                self.add((*path, "id"), _("id {id} is used twice").format(id=item["id"]))
            options = item.get("options", [])
            if kind in ("single", "multiple") and len(options) < 2:
                self.add((*path, "options"), _("a choice needs at least two options"))
            if kind in ("scale", "text") and "options" in item:
                self.add((*path, "options"), _("only a choice question has options"))
            codes = [option["id"] for option in options]
            for position, code in enumerate(codes):
                if code in codes[:position]:
                    self.add(
                        (*path, "options", position, "id"),
                        _("id {id} is used twice").format(id=code),
                    )
            for name in ("low", "high"):
                if name in item and kind != "scale":
                    self.add((*path, name), _("only a scale question has low and high"))
            most = item.get("max_choices")
            if most is not None and kind != "multiple":
                self.add((*path, "max_choices"), _("only a multiple choice has max_choices"))
            elif most is not None and most > len(options):
                self.add((*path, "max_choices"), _("more than there are options"))
            condition = self.condition(path, item.get("ask_if"), seen)
            seen[item["id"]] = item
            questions.append(
                QuestionSpec(
                    key=item["id"],
                    kind=kind,
                    text=item["text"],
                    required=item.get("required", True),
                    options=[OptionSpec(o["id"], o["label"]) for o in options],
                    low=item.get("low", {}),
                    high=item.get("high", {}),
                    ask_if=condition,
                    max_choices=most,
                )
            )
        return questions

    def condition(
        self, path: Path, given: dict[str, Any] | None, earlier: dict[str, dict[str, Any]]
    ) -> Condition | None:
        if given is None:
            return None
        path = (*path, "ask_if")
        target = earlier.get(given["question"])
        if target is None:
            self.add(
                (*path, "question"),
                _("no earlier question has the id {id}").format(id=given["question"]),
            )
            return None
        values = [str(value) for value in given["in"]]
        if target["type"] == "text":
            self.add((*path, "question"), _("a condition cannot depend on a free-text answer"))
            return None
        possible = (
            SCALE_VALUES
            if target["type"] == "scale"
            else tuple(option["id"] for option in target.get("options", []))
        )
        for position, value in enumerate(values):
            if value not in possible:
                self.add(
                    (*path, "in", position),
                    _("{value} is not one of: {allowed}").format(
                        value=value, allowed=", ".join(possible)
                    ),
                )
        return Condition(given["question"], values)


def check_survey_text(text: str, file: str) -> tuple[SurveySpec | None, list[Problem]]:
    try:
        source = parse(text)
    except SourceError as error:
        reason = _("not valid YAML: {reason}").format(reason=error.message)
        return None, [Problem(file, error.line, "", reason)]
    checker = _Checker(file, source)
    spec = checker.run()
    return spec, checker.problems


def check_survey_file(path: FilePath) -> tuple[SurveySpec | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = _("cannot read the file: {reason}").format(reason=error)
        return None, [Problem(str(path), None, "", reason)]
    return check_survey_text(text, str(path))
