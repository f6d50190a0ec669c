"""`coordbot survey …`: the evaluation survey's file and its answers."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.cli.shared import counted, in_transaction, no_event, nothing_loaded, pass_settings
from bot.clock import SystemClock
from bot.config import ConfigurationError, Settings
from bot.programme import meeting
from bot.text.i18n import _, ngettext, pgettext


@click.group("survey")
def survey_group() -> None:
    """The evaluation survey: check and load its file, export the answers
    (docs/survey-format.md). Organisers open and close it in chat: /survey open KEY."""


@survey_group.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def check_survey(file: Path) -> None:
    """Report every mistake in the survey FILE, with line and field."""
    from bot.survey.check import check_survey_file

    _spec, problems = check_survey_file(file)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        sys.exit(1)
    click.echo(_("{file}: OK").format(file=file))


@survey_group.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@pass_settings
def load_survey(settings: Settings, file: Path) -> None:
    """Load (or update, while nobody has answered) the survey FILE into the current event."""
    from bot.survey import store
    from bot.survey.check import check_survey_file

    spec, problems = check_survey_file(file)
    if spec is None:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(nothing_loaded(file, len(problems)))

    async def work(db: AsyncSession) -> store.Loaded:
        event = await meeting.current_event(db, settings.event)
        if event is None:
            raise no_event()
        return await store.load(db, event, spec, SystemClock().now())

    loaded = in_transaction(work, settings)
    if loaded.kept_answers:  # not an error: reloading the same file is harmless
        kept = _("{survey} has answers already: its questions were kept as they are.")
        click.echo(kept.format(survey=spec.key))
        return
    questions = len(spec.questions)
    if loaded.created:
        text = ngettext(
            "Created survey {survey}: {count} question.",
            "Created survey {survey}: {count} questions.",
            questions,
        )
    else:
        text = ngettext(
            "Updated survey {survey}: {count} question.",
            "Updated survey {survey}: {count} questions.",
            questions,
        )
    how = _("Open it in chat with /survey open {survey}.").format(survey=spec.key)
    click.echo(counted(text, questions, survey=spec.key) + " " + how)


@survey_group.command("export")
@click.argument("key", required=False)
@click.option("--out", "folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", default="en", type=click.Choice(["en", "fr", "es"]))
@pass_settings
def export_survey(settings: Settings, key: str | None, folder: Path, lang: str) -> None:
    """Write the answers as CSV (one row per answer set, one column per question, stable codes)
    and a Markdown summary in LANG to paste into a report; and the feedback per session
    (feedback.csv, feedback.md with the comments)."""
    from zoneinfo import ZoneInfo

    from bot.floor import feedback
    from bot.survey import results, store
    from bot.text.i18n import localised, use_language
    from bot.translation import store as translation_store
    from bot.translation.settings import TranslationSettings
    from handlers import floor_feedback

    try:  # the provider whose stored translations to read; the service itself is not called
        translation = TranslationSettings.from_env()
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error
    provider = translation.provider if translation is not None else None

    async def work(db: AsyncSession) -> dict[str, str]:
        event = await meeting.current_event(db, settings.event)
        every = await store.surveys(db, event) if event is not None else []
        sessions = await feedback.results(db, event.id) if event is not None else []
        chosen = [s for s in every if s.key == key] if key else every[-1:]
        files: dict[str, str] = {}
        if chosen:
            spec = store.spec_of(chosen[0])
            sets = await results.answer_sets(db, chosen[0])
            _invited, _started, finished = await results.participation_counts(db, chosen[0])
            translated = (
                await results.translations(db, spec, sets, lang, provider) if provider else None
            )
            with use_language(lang):
                summaries = results.summarise(spec, sets)
                summary = results.markdown(spec, summaries, finished, translated)
            files[f"survey-{spec.key}.csv"] = results.csv_text(spec, sets, translated)
            files[f"survey-{spec.key}.md"] = summary
        elif key or not sessions:
            known = ", ".join(s.key for s in every) or pgettext("surveys", "none")
            message = _("no survey {survey} (surveys: {known})")
            raise click.ClickException(message.format(survey=repr(key), known=known))
        if sessions and event is not None:
            comments = [text for found in sessions for text in found.comments]
            said = (
                await translation_store.translated_already(db, comments, lang, provider)
                if provider
                else None
            )
            with use_language(lang):
                titles = {found.session_id: localised(found.title) for found in sessions}
                zone = ZoneInfo(event.timezone)
                files["feedback.md"] = floor_feedback.markdown(sessions, said, zone)
            files["feedback.csv"] = feedback.csv_text(sessions, titles)
        return files

    files = in_transaction(work, settings)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        click.echo(_("Wrote {file}").format(file=folder / name))
