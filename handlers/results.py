"""/results: a survey's figures for organisers, in their language, with a chart per question."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.chat import Image, Reply
from bot.context import Context
from bot.models import Survey
from bot.survey import results, store
from bot.survey.results import Summary
from bot.text import charts, formatting
from bot.text.i18n import _, localised
from bot.text.markup import bold, escape, italic
from bot.translation.reading import ReadText, Shown, read, reading
from handlers import floor_feedback, translation
from handlers.survey import pick_survey

# Free-text answers quoted in the chat at the most per question (the export has them all).
QUOTED = 5
QUOTE_LENGTH = 300  # characters of an answer quoted, and of its translation
ORIGINAL_LENGTH = 200  # of the original after a translation: a reminder, the export has it all


async def show_results(ctx: Context) -> Reply | list[Reply]:
    """The evaluation survey's results, then the feedback per session (bot/floor/feedback.py)."""
    feedback = await floor_feedback.session_results(ctx)
    every = await store.surveys(ctx.db, ctx.event) if ctx.event is not None else []
    found = (pick_survey(every, ctx.args) if ctx.args else None) or (every[-1] if every else None)
    if found is None:
        return feedback or Reply(_("No survey is loaded: coordbot survey load FILE"))
    return [*await _survey_results(ctx, found), *feedback]


async def _survey_results(ctx: Context, found: Survey) -> list[Reply]:
    spec = store.spec_of(found)
    invited, started, finished = await results.participation_counts(ctx.db, found)
    summaries = results.summarise(spec, await results.answer_sets(ctx.db, found))
    head = [
        "📊 " + bold(escape(localised(spec.title))),
        _("Invited: {invited} · answering: {started} · finished: {finished}").format(
            invited=formatting.number(invited),
            started=formatting.number(started),
            finished=formatting.number(finished),
        ),
    ]
    if not finished:
        head.append(_("No answers yet."))
        return [Reply("\n".join(head))]
    # Drawing takes a tenth of a second a chart: away from the event loop.
    images = await asyncio.to_thread(_charts, summaries)
    # The quoted answers in the organiser's language, as far as they are translated already.
    with reading(translation.reader(ctx)):
        quoted = {
            summary.question.key: [(t, await read(ctx.db, t)) for t in summary.texts[:QUOTED]]
            for summary in summaries
        }
    replies = [Reply("\n".join(head))]
    for number, summary in enumerate(summaries, 1):
        chart = images.get(summary.question.key)
        figures = _figures(number, summary, quoted[summary.question.key])
        replies.append(Reply(figures, images=(chart,) if chart else ()))
    if any(seen.shown == Shown.NOT_TRANSLATED for texts in quoted.values() for _t, seen in texts):
        last = replies[-1]
        note = _("Some answers are shown as written: their translation is not ready.")
        replies[-1] = replace(last, text=f"{last.text}\n\n{italic(note)}")
    return replies


def _title(number: int, summary: Summary) -> str:
    return f"{number}. {localised(summary.question.text)}"


def _mean(summary: Summary) -> str:
    assert summary.mean is not None
    return _("Mean: {mean} out of 5").format(mean=formatting.decimal(summary.mean))


def _quote(text: str, limit: int = QUOTE_LENGTH) -> str:
    return _("“{text}”").format(text=escape(" ".join(text.split())[:limit]))


def _answer(original: str, seen: ReadText) -> str:
    """A free-text answer, in italics; translated, with the start of the original after it."""
    if seen.shown != Shown.TRANSLATED:
        return italic(_quote(original))
    written = _("(original: {text})").format(text=_quote(original, ORIGINAL_LENGTH))
    return f"{italic(_quote(seen.text))} {written}"


def _figures(number: int, summary: Summary, quoted: list[tuple[str, ReadText]]) -> str:
    lines = [bold(escape(_title(number, summary)))]
    lines.append(_("Answers: {count}").format(count=formatting.number(summary.answered)))
    if summary.mean is not None:
        lines.append(_mean(summary))
    for _code, label, count in summary.counts:
        share = formatting.share(count, summary.answered)
        figures = _("{answer}: {count} ({share})").format(
            answer=escape(label), count=formatting.number(count), share=share
        )
        lines.append(f"• {figures}")
    lines += [_answer(original, seen) for original, seen in quoted]
    if len(summary.texts) > QUOTED:
        more = formatting.number(len(summary.texts) - QUOTED)
        lines.append(_("… and {count} more in the export.").format(count=more))
    return "\n".join(lines)


def _charts(summaries: list[Summary]) -> dict[str, Image]:
    """A chart for each question with counts and answers, by question key."""
    drawn = {}
    for number, summary in enumerate(summaries, 1):
        if not summary.counts or not summary.answered:
            continue
        answers = _("Answers: {count}").format(count=formatting.number(summary.answered))
        note = f"{_mean(summary)} · {answers}" if summary.mean is not None else answers
        title = _title(number, summary)
        labels = [label for _code, label, _count in summary.counts]
        counts = [count for _code, _label, count in summary.counts]
        png = charts.distribution(title, labels, counts, summary.answered, note=note)
        table = charts.distribution_table(title, labels, counts, summary.answered, note=note)
        drawn[summary.question.key] = Image(
            png, title[:200], f"{summary.question.key}.png", text=table
        )
    return drawn
