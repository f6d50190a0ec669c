"""A survey file, checked and in typed form; also what the database keeps of it (as JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.models import Texts

Kind = Literal["scale", "single", "multiple", "text"]
KINDS: tuple[Kind, ...] = ("scale", "single", "multiple", "text")


@dataclass(frozen=True)
class OptionSpec:
    code: str  # stable: what the CSV holds, whatever the reader's language
    label: Texts


@dataclass(frozen=True)
class Condition:
    """Ask a question only when an earlier one was answered with one of `values`."""

    question: str
    values: list[str]


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: Kind
    text: Texts
    required: bool = True
    options: list[OptionSpec] = field(default_factory=list)
    low: Texts = field(default_factory=dict)  # what 1 means on a scale
    high: Texts = field(default_factory=dict)  # what 5 means
    ask_if: Condition | None = None
    max_choices: int | None = None  # multiple choice only


@dataclass(frozen=True)
class SurveySpec:
    key: str
    title: Texts
    intro: Texts
    thanks: Texts
    anonymous: bool
    reminder_after_hours: float | None
    questions: list[QuestionSpec]

    def question(self, key: str) -> QuestionSpec | None:
        return next((q for q in self.questions if q.key == key), None)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SurveySpec:
        questions = [
            QuestionSpec(
                key=q["key"],
                kind=q["kind"],
                text=q["text"],
                required=q["required"],
                options=[OptionSpec(o["code"], o["label"]) for o in q["options"]],
                low=q["low"],
                high=q["high"],
                ask_if=Condition(**q["ask_if"]) if q["ask_if"] else None,
                max_choices=q["max_choices"],
            )
            for q in data["questions"]
        ]
        fields = {name: data[name] for name in ("key", "title", "intro", "thanks", "anonymous")}
        return cls(**fields, reminder_after_hours=data["reminder_after_hours"], questions=questions)
