"""The scheduler's routine: what has no moment of its own and is looked at every second, in the
process that holds the scheduler role (`bot/app/scheduler.py`), each job in its own transaction.

- broadcasts: those with nothing left to send are done and their authors get the report; the
  authors' progress messages that are behind are edited in place;
- survey reminders, once a survey's delay since the invitation has passed;
- live polls past their time limit closed, each once, and their result queued;
- wrong invitation codes and lock-outs past their hour, and expired linking codes, forgotten;
- data-saver digests, each reader's once a day at their hour (`bot/delivery/digest.py`);
- feedback after a session, asked of its participants once their moment has come
  (`bot/floor/feedback.py`);
- moderators' question boards whose questions or counts changed, edited in place
  (`bot/floor/boards.py`, rendered by `handlers.floor_questions.moderators_board`);
- the retention period (`bot/people/retention.py`): the notice a week before it ends, and the
  purge once it is over, looked at every ten minutes and every hour;
- with a translation provider, what people wrote: its language detected, then translated into
  the meeting's languages (`bot/translation/queue.py`), before the delivery worker sends it.

Progress messages are edited here, by the job that decides them, rather than queued as outbox
rows: an edit goes to one known message (a platform, a chat, a message id), not to a person
wherever they are reachable; it is not retried (the next edit shows the same, newer, state);
and it needs neither a new column nor a second path through the delivery worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Protocol

from bot import broadcasts
from bot.app.scheduler import Every
from bot.broadcasts import BroadcastProgress, ProgressEdit
from bot.chat import Reply
from bot.clock import Clock
from bot.db import SessionFactory
from bot.delivery import digest, outbox
from bot.delivery.pacing import background
from bot.floor import boards as floor_boards
from bot.floor import feedback, polls
from bot.floor import questions as floor_questions
from bot.models import Participant
from bot.people import invitations, retention
from bot.survey import store as surveys
from bot.text.i18n import use_language
from bot.translation.provider import Translator
from bot.translation.queue import TranslationQueue
from bot.translation.reading import Reader, Translating, reading
from handlers.floor_questions import moderators_board

log = logging.getLogger(__name__)

# Often enough that a broadcast's report follows its last message within seconds, as the
# delivery worker's pass did before; each job is a query or two when there is nothing to do.
SECONDS = 1.0
# Feedback questions need no precision to the second, and looking costs a query per session
# in its window: every quarter of a minute is soon enough.
FEEDBACK_SECONDS = 15.0
# The retention notice is due a week ahead: every ten minutes is soon enough. The purge is due
# once, days after the meeting: looked at hourly, it runs within the hour after the period.
RETENTION_NOTICE_SECONDS = 600.0
PURGE_SECONDS = 3600.0
# Data-saver digests leave at an hour: looking twice a minute is on time.
DIGEST_SECONDS = 30.0

# The text of a progress message (the `broadcast_progress` notice).
ProgressRenderer = Callable[[BroadcastProgress], Reply]


class Editor(Protocol):
    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """Rewrite a message the bot sent earlier into that chat."""


def routine(
    sessions: SessionFactory,
    clock: Clock,
    render_progress: ProgressRenderer,
    editors: Mapping[str, Editor],
    translator: Translator | None = None,
) -> list[Every]:
    """The interval jobs, in the order a step by hand runs them (the report a finished
    broadcast queues, then the survey reminders, go out in the delivery pass that follows;
    translations are made before the pass that sends them)."""
    progress = ProgressMessages(sessions, clock, render_progress, editors)

    async def remind_surveys() -> None:
        async with sessions() as db:
            await surveys.remind_due(db, clock.now())
            await db.commit()

    async def close_polls() -> None:
        async with sessions() as db:
            await polls.close_due(db, clock.now())
            await db.commit()

    async def purge_codes() -> None:
        async with sessions() as db:
            await invitations.purge(db, clock.now())
            await db.commit()

    async def send_digests() -> None:
        async with sessions() as db:
            await digest.send_due(db, clock.now())
            await db.commit()

    async def ask_feedback() -> None:
        async with sessions() as db:
            await feedback.queue_due(db, clock.now())
            await db.commit()

    async def notify_retention() -> None:
        async with sessions() as db:
            await retention.notify_due(db, clock.now())
            await db.commit()

    async def purge_expired() -> None:
        async with sessions() as db:
            for key in await retention.purge_due(db, clock.now()):
                log.info("retention period over: the participants of %s erased", key)
            await db.commit()

    jobs = [
        Every("broadcasts", SECONDS, progress.finish_and_show),
        Every("survey-reminders", SECONDS, remind_surveys),
        Every("purge-codes", SECONDS, purge_codes),
        Every("close-polls", SECONDS, close_polls),
        Every("feedback", FEEDBACK_SECONDS, ask_feedback),
        Every("retention-notices", RETENTION_NOTICE_SECONDS, notify_retention),
        Every("purge", PURGE_SECONDS, purge_expired),
        Every("digests", DIGEST_SECONDS, send_digests),
        Every(
            "floor-boards",
            SECONDS,
            FloorBoards(sessions, clock, editors, translator.name if translator else None).show,
        ),
    ]
    if translator is not None:
        jobs.append(
            Every("translations", SECONDS, TranslationQueue(sessions, clock, translator).run)
        )
    return jobs


async def show_progress(
    sessions: SessionFactory,
    clock: Clock,
    render: ProgressRenderer,
    editors: Mapping[str, Editor],
    stopping: asyncio.Event,
    translation_provider: str | None = None,
) -> None:
    """In every process, every second: the progress messages and the moderators' question
    boards on the platforms whose role it holds (`editors`, changing as roles come and go), so
    that each edit is paced with the rest of what that bot sends."""
    progress = ProgressMessages(sessions, clock, render, editors)
    floor = FloorBoards(sessions, clock, editors, translation_provider)
    while not stopping.is_set():
        try:
            await progress.show()
        except Exception:  # a missed edit is shown right by the next one
            log.exception("showing broadcasts' progress failed")
        try:
            await floor.show()
        except Exception:  # a missed edit is shown right by the next one
            log.exception("showing question boards failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), SECONDS)


class ProgressMessages:
    """Finished broadcasts' reports, and their authors' progress messages on the platforms
    this process serves (`editors`), rewritten with no transaction open."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        render: ProgressRenderer,
        editors: Mapping[str, Editor],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.render = render
        self.editors = editors

    async def finish_and_show(self) -> None:
        async with self.sessions() as db:
            await broadcasts.finish(db, self.clock.now())
            await db.commit()
        await self.show()

    async def show(self) -> None:
        """Rewrite the progress messages that are behind, on the platforms of `editors`."""
        if not self.editors:
            return
        async with self.sessions() as db:
            now = self.clock.now()
            edits = await broadcasts.progress_due(db, now, list(self.editors))
            rendered = []
            for edit in edits:
                language = "en"
                if edit.author_id is not None:
                    account = await outbox.recipient_account(db, edit.author_id, [edit.platform])
                    language = await outbox.reader_language(db, edit.author_id, account)
                rendered.append((edit, self._render(edit, language)))
            await db.commit()
        for edit, reply in rendered:
            if reply is not None:
                await self._edit(edit, reply)

    def _render(self, edit: ProgressEdit, language: str) -> Reply | None:
        try:
            with use_language(language):
                return self.render(edit.notice)
        except Exception:
            log.exception("an edit of message %s cannot be rendered", edit.message_id)
            return None

    async def _edit(self, edit: ProgressEdit, reply: Reply) -> None:
        try:
            with background():  # direct replies to people go first
                await self.editors[edit.platform].edit(edit.chat_id, edit.message_id, reply)
        except Exception as error:  # a missed edit is shown right by the next one
            log.warning("editing message %s in place failed: %s", edit.message_id, error)


class FloorBoards:
    """Moderators' question boards on the platforms of `editors`, rewritten in place when their
    questions or counts changed (each in its moderator's language, questions translated when
    a provider is set), with no transaction open during the edits."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        editors: Mapping[str, Editor],
        provider: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.editors = editors
        self.provider = provider

    async def show(self) -> None:
        if not self.editors:
            return
        async with self.sessions() as db:
            now = self.clock.now()
            rendered: list[tuple[floor_boards.BoardEdit, Reply]] = []
            for edit in await floor_boards.due(db, now, list(self.editors)):
                account = await outbox.recipient_account(db, edit.participant_id, [edit.platform])
                language = await outbox.reader_language(db, edit.participant_id, account)
                moderator = await db.get(Participant, edit.participant_id)
                translate = moderator is not None and moderator.translate is not False
                reader = (  # nothing waits: a translation on its way shows the original
                    Reader(language, now, Translating(self.provider, timedelta(0)))
                    if self.provider is not None and translate
                    else None
                )
                try:
                    with use_language(language), reading(reader):
                        texts = await floor_questions.read_texts(db, edit.board)
                        rendered.append((edit, moderators_board(edit.board, texts)))
                except Exception:
                    log.exception("a question board in %s cannot be rendered", edit.chat_id)
            await db.commit()
        for edit, reply in rendered:
            try:
                with background():
                    await self.editors[edit.platform].edit(edit.chat_id, edit.message_id, reply)
            except Exception as error:  # the next change shows a newer state anyway
                log.warning("editing question board %s failed: %s", edit.message_id, error)
