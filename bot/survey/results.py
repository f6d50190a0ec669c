"""Survey results: counts, means and distributions per question; the CSV and the Markdown
summary an organiser pastes into a report."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Survey, SurveyParticipation, SurveyResponse
from bot.survey.flow import SCALE
from bot.survey.spec import QuestionSpec, SurveySpec
from bot.text import formatting
from bot.text.i18n import _, localised, ngettext
from bot.translation import store as translation_store


@dataclass(frozen=True)
class Summary:
    question: QuestionSpec
    answered: int
    # (code, label in the reader's language, count), in the order of the question's answers.
    counts: list[tuple[str, str, int]] = field(default_factory=list)
    mean: float | None = None
    texts: list[str] = field(default_factory=list)


async def answer_sets(db: AsyncSession, survey: Survey) -> list[dict[str, Any]]:
    """Every finished answer set, in a stable order that says nothing of who answered when."""
    query = (
        select(SurveyResponse.answers)
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(SurveyResponse.id)
    )
    return list((await db.execute(query)).scalars())


async def participation_counts(db: AsyncSession, survey: Survey) -> tuple[int, int, int]:
    """(invited, answering now, answer sets kept). The last counts the answers themselves, so
    that a person who later asked to be forgotten still counts."""
    rows = await db.execute(
        select(
            func.count(),
            func.count().filter(
                SurveyParticipation.progress.is_not(None) & ~SurveyParticipation.finished
            ),
        ).where(SurveyParticipation.survey_id == survey.id)
    )
    invited, started = rows.one()
    finished = await db.scalar(
        select(func.count())
        .select_from(SurveyResponse)
        .where(SurveyResponse.survey_id == survey.id)
    )
    return int(invited), int(started), int(finished or 0)


def choices_of(question: QuestionSpec) -> list[tuple[str, str]]:
    """(code, label) of each possible answer, labels in the language in force."""
    if question.kind == "scale":
        labels = {"1": question.low, "5": question.high}
        return [
            (value, f"{value} · {localised(labels[value])}" if labels.get(value) else value)
            for value in SCALE
        ]
    return [(option.code, localised(option.label)) for option in question.options]


def summarise(spec: SurveySpec, sets: list[dict[str, Any]]) -> list[Summary]:
    summaries = []
    for question in spec.questions:
        given = [s[question.key] for s in sets if s.get(question.key) not in (None, "", [])]
        if question.kind == "text":
            summaries.append(Summary(question, len(given), texts=[str(text) for text in given]))
            continue
        tally: Counter[str] = Counter()
        for value in given:
            tally.update(value if isinstance(value, list) else [str(value)])
        counts = [(code, label, tally[code]) for code, label in choices_of(question)]
        mean = (
            sum(int(value) for value in given) / len(given)
            if question.kind == "scale" and given
            else None
        )
        summaries.append(Summary(question, len(given), counts, mean))
    return summaries


async def translations(
    db: AsyncSession, spec: SurveySpec, sets: list[dict[str, Any]], target: str, provider: str
) -> dict[str, str]:
    """The stored translation into `target` of each free-text answer that has one (an answer
    written in `target` is its own), by answer. Reads what the routine made; never asks the
    service: an answer not translated yet is left out, to be shown as written."""
    texts = (
        answers.get(question.key)
        for question in spec.questions
        if question.kind == "text"
        for answers in sets
    )
    written = [text for text in texts if isinstance(text, str)]
    return await translation_store.translated_already(db, written, target, provider)


def csv_text(
    spec: SurveySpec, sets: list[dict[str, Any]], translated: Mapping[str, str] | None = None
) -> str:
    """One row per answer set, one column per question, stable codes (several choices joined by
    `;`), an empty cell for a question not asked or skipped. With `translated` (a translation
    service is configured), each free-text question's column is followed by `<key>_translated`:
    the answer in the export's language, empty when it has no translation."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = []
    for question in spec.questions:
        header.append(question.key)
        if translated is not None and question.kind == "text":
            header.append(f"{question.key}_translated")
    writer.writerow(header)
    for answers in sets:
        row = []
        for question in spec.questions:
            value = answers.get(question.key)
            row.append(
                ";".join(value) if isinstance(value, list) else "" if value is None else value
            )
            if translated is not None and question.kind == "text":
                row.append(translated.get(value, "") if isinstance(value, str) else "")
        writer.writerow(row)
    return out.getvalue()


def markdown(
    spec: SurveySpec,
    summaries: list[Summary],
    finished: int,
    translated: Mapping[str, str] | None = None,
) -> str:
    """A summary to paste into a report, in the language in force; each free-text answer
    translated (`translated`, by answer) is quoted so, with its original after it."""
    lines = [
        f"# {localised(spec.title)}",
        "",
        ngettext(
            "{count} participant answered.", "{count} participants answered.", finished
        ).format(count=formatting.number(finished)),
    ]
    for number, summary in enumerate(summaries, 1):
        lines += ["", f"## {number}. {localised(summary.question.text)}", ""]
        lines.append(_("Answers: {count}").format(count=formatting.number(summary.answered)))
        if summary.mean is not None:
            lines.append(_("Mean: {mean} out of 5").format(mean=formatting.decimal(summary.mean)))
        if summary.counts:
            lines += ["", "| " + _("Answer") + " | n | % |", "|---|---:|---:|"]
            for _code, label, count in summary.counts:
                share = formatting.share(count, summary.answered)
                lines.append(f"| {label.replace('|', '/')} | {count} | {share} |")
        for text in summary.texts:
            written = " ".join(text.split())
            translation = " ".join((translated or {}).get(text, text).split())
            lines.append("> " + translation)
            if translation != written:  # one paragraph in the quote: "… (original: “…”)"
                quote = _("“{text}”").format(text=written)
                lines.append("> " + _("(original: {text})").format(text=quote))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
