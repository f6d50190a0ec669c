"""Questions from the floor: /ask, /questions (the room's board, or the moderators' one),
/reject, and for organisers /moderators. docs/floor.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.buttons import Button
from bot.chat import HOME_VIEW, Choice, Reply
from bot.context import PARTICIPANT, Context, EventContext, ParticipantContext
from bot.floor import boards, questions, rooms
from bot.floor.questions import Board, Decided, Entry, QuestionRejected, Refusal, Voted
from bot.models import Participant, Session
from bot.people import participants
from bot.programme import agenda
from bot.programme.meeting import zone
from bot.reports import labels
from bot.text import formatting
from bot.text.i18n import _, localised
from bot.text.markup import bold, escape, excerpt, italic
from bot.translation.reading import ReadText, Shown, reading
from handlers import answers, translation
from handlers.syntax import is_keyword

QUESTION_EXCERPT = 40  # a question named on a button or in a notice


class RoomButton(Button, prefix="fq:room", command="questions"):
    """The room's board of a session (a choice among several open ones, or a refresh)."""

    session_id: int


class VoteButton(Button, prefix="fq:vote", command="questions"):
    question_id: int


class NamedButton(Button, prefix="fq:named", command="ask"):
    """The asker chooses to be named to the room."""

    question_id: int


class MoveButton(Button, prefix="fq:move", command="ask"):
    """The asker sends their waiting question to another open session."""

    question_id: int
    session_id: int


class ModerateButton(Button, prefix="fq:mod", command="questions"):
    """A session's moderators' board: shown, refreshed, and kept up to date from then on."""

    session_id: int


class ApproveButton(Button, prefix="fq:ok", command="questions"):
    question_id: int


class AnsweredButton(Button, prefix="fq:done", command="questions"):
    question_id: int


class MergeButton(Button, prefix="fq:merge", command="questions"):
    """A duplicate merged into another question (`into_id`; None: choose which)."""

    question_id: int
    into_id: int | None = None


class RejectButton(Button, prefix="fq:no", command="questions"):
    """Not taken, for a reason (`topic`, `asked`; None: choose one, or write your own)."""

    question_id: int
    reason: str | None = None


class VoiceButton(Button, prefix="fq:voice", command="questions"):
    """A moderator listens to a question asked as a voice note."""

    question_id: int


# Reasons a moderator gives with one press: stored by code, told in the asker's language.
REASONS = ("topic", "asked")


def _reason(code: str) -> str:
    texts = {
        "topic": _("It is not about this session's subject."),
        "asked": _("It was asked or answered already."),
    }
    return texts.get(code, code)


def _title(session: Session) -> str:
    return escape(localised(session.title))


def _refused(refusal: Refusal, session: Session) -> Reply:
    if refusal == Refusal.NOT_FOR_YOU:
        return Reply(
            _("You do not take part in {session}: you cannot ask or vote there.").format(
                session=_title(session)
            )
        )
    return Reply(_("{session} does not take questions now.").format(session=_title(session)))


async def _none_open(ctx: ParticipantContext) -> Reply:
    """No session takes questions from this person now: the next one that will."""
    now = ctx.clock.now()
    following = await rooms.next_open(ctx.db, ctx.event, ctx.participant, now)
    if following is None:
        return Reply(_("No session takes questions now, and none is left in the programme."))
    return Reply(
        _(
            "No session takes questions now. The next: {session}, {moment} (questions open "
            "30 minutes before)."
        ).format(
            session=_title(following),
            moment=formatting.moment(following.starts_at, zone(ctx.event)),
        )
    )


# /ask


async def ask(ctx: ParticipantContext) -> Reply:
    """/ask TEXT: a question to the moderators of the session going on, anonymous to the room."""
    parts = ctx.incoming.text.split(maxsplit=1)  # keeps the asker's line breaks
    text = parts[1].strip() if ctx.incoming.command and len(parts) > 1 else ""
    if not text:
        name = ctx.router.commands["ask"].name_in(ctx.language)
        return Reply(
            _("Write your question after the command: /{command} TEXT.").format(command=name)
        )
    if len(text) > questions.MAX_TEXT:
        return Reply(
            _("Your question is too long ({length} characters; at most {limit}).").format(
                length=len(text), limit=questions.MAX_TEXT
            )
        )
    return await _ask(ctx, text)


async def ask_by_voice(ctx: Context) -> Reply:
    """A voice note in a private chat: a question for the moderators, who hear it."""
    narrowed = PARTICIPANT.get(ctx)
    if narrowed is None or ctx.incoming.voice is None:
        return answers.registered_only()
    return await _ask(narrowed, "", (ctx.incoming.platform, ctx.incoming.voice))


async def _ask(ctx: ParticipantContext, text: str, voice: tuple[str, str] | None = None) -> Reply:
    now = ctx.clock.now()
    open_now = await rooms.open_for(ctx.db, ctx.event, ctx.participant, now)
    if not open_now:
        closed = await rooms.open_sessions(ctx.db, ctx.event, now)
        if closed:
            return _refused(Refusal.NOT_FOR_YOU, closed[0])
        return await _none_open(ctx)
    ordered = questions.going_on_first(open_now, now)
    session = ordered[0]
    question = await questions.ask(
        ctx.db,
        session,
        ctx.participant,
        text,
        ctx.language,
        now,
        voice=voice,
        translation_provider=ctx.translation_provider,
    )
    return _asked(question.id, session, ordered[1:], named=False)


def _asked(question_id: int, session: Session, others: Sequence[Session], named: bool) -> Reply:
    lines = [
        "✅ "
        + _("Your question is with the moderators of {session}.").format(session=_title(session)),
        _("The room will see your name with it.")
        if named
        else _("The room will not see your name unless you choose to show it."),
    ]
    rows: list[tuple[Choice, ...]] = []
    if not named:
        rows.append((Choice(_("Show my name"), NamedButton(question_id).pack()),))
    for other in others:
        rows.append(
            (
                Choice(
                    _("Send it to {session} instead").format(session=localised(other.title)),
                    MoveButton(question_id, other.id).pack(),
                ),
            )
        )
    return Reply("\n".join(lines), choices=tuple(rows))


async def named_button(ctx: ParticipantContext, button: NamedButton) -> Reply:
    question = await questions.own_question(ctx.db, button.question_id, ctx.participant)
    if question is None:
        return answers.stale_button()
    question.named = True
    return Reply("✅ " + _("The room will see your name with your question.")).edited()


async def move_button(ctx: ParticipantContext, button: MoveButton) -> Reply:
    question = await questions.own_question(ctx.db, button.question_id, ctx.participant)
    now = ctx.clock.now()
    target = next(
        (
            s
            for s in await rooms.open_for(ctx.db, ctx.event, ctx.participant, now)
            if s.id == button.session_id
        ),
        None,
    )
    if (
        question is None
        or target is None
        or not await questions.move(ctx.db, question, target, now)
    ):
        return Reply(_("This question can no longer be moved: a moderator has seen it."))
    return _asked(question.id, target, (), question.named).edited()


# /questions: the room's board


async def show_questions(ctx: ParticipantContext) -> Reply:
    """/questions: a moderator's board for the sessions they moderate now, else the room's."""
    now = ctx.clock.now()
    moderated = await rooms.moderating(ctx.db, ctx.event, ctx.participant, now)
    if len(moderated) == 1:
        return await _moderators_board(ctx, moderated[0])
    if moderated:
        return Reply(
            _("Which session?"),
            choices=tuple(
                (Choice(localised(s.title), ModerateButton(s.id).pack()),) for s in moderated
            ),
        )
    open_now = await rooms.open_for(ctx.db, ctx.event, ctx.participant, now)
    if not open_now:
        closed = await rooms.open_sessions(ctx.db, ctx.event, now)
        return _refused(Refusal.NOT_FOR_YOU, closed[0]) if closed else await _none_open(ctx)
    if len(open_now) == 1:
        return await _room_board(ctx, open_now[0])
    return Reply(
        _("Which session?"),
        choices=tuple((Choice(localised(s.title), RoomButton(s.id).pack()),) for s in open_now),
    )


async def _open_session(ctx: ParticipantContext, session_id: int) -> Session | Reply:
    """A session open to this person's questions now, or why not."""
    now = ctx.clock.now()
    every = {s.id: s for s in await rooms.open_sessions(ctx.db, ctx.event, now)}
    session = every.get(session_id)
    if session is None:
        return await _none_open(ctx)
    refused = questions.refusal(ctx.participant, session, now)
    return _refused(refused, session) if refused is not None else session


async def room_button(ctx: ParticipantContext, button: RoomButton) -> Reply:
    session = await _open_session(ctx, button.session_id)
    if isinstance(session, Reply):
        return session.edited()
    return (await _room_board(ctx, session)).edited()


async def _texts(ctx: ParticipantContext, board: Board) -> dict[int, ReadText]:
    """The board's questions in the reader's language, when translated."""
    with reading(translation.reader(ctx)):
        return await questions.read_texts(ctx.db, board)


def _text(texts: Mapping[int, ReadText], entry: Entry) -> str:
    """A question as its reader sees it (escaped), marked 🌐 when translated."""
    if not entry.text:
        return "🎤"
    shown = texts.get(entry.id)
    if shown is None or shown.shown != Shown.TRANSLATED:
        return escape(entry.text)
    return "🌐 " + escape(shown.text)


def _asker(entry: Entry) -> str:
    return " — " + escape(entry.asker) if entry.asker else ""


async def _room_board(ctx: ParticipantContext, session: Session, note: str = "") -> Reply:
    board = await questions.board(ctx.db, session, reader=ctx.participant)
    lines = [bold(_("Questions from the floor — {session}").format(session=_title(session)))]
    if note:
        lines += ["", note]
    lines.append("")
    if not board.approved:
        lines.append(_("No question on the board yet. /ask TEXT asks one."))
    rows: list[tuple[Choice, ...]] = []
    texts = await _texts(ctx, board)
    translated_any = False
    for number, entry in enumerate(board.approved, 1):
        text = _text(texts, entry)
        translated = text.startswith("🌐")
        translated_any = translated_any or translated
        lines.append(f"{number}. {text}{_asker(entry)} · 👍 {entry.votes}")
        vote = f"👍 {number}" + (" ✓" if entry.voted else "")
        row = [Choice(vote, VoteButton(entry.id).pack())]
        if translated:
            row.append(Choice(f"🌐 {number}", OriginalQuestionButton(entry.id).pack()))
        rows.append(tuple(row))
    lines += ["", _("👍 votes for a question, once per question; ✓ you voted for it.")]
    if translated_any:
        lines.append(italic(_("🌐 automatic translation: its button shows the original.")))
    rows.append((Choice("🔄", RoomButton(session.id).pack()),))
    return Reply("\n".join(lines), choices=tuple(rows))


class OriginalQuestionButton(Button, prefix="fq:orig", command="questions"):
    """A question of the board as its asker wrote it."""

    question_id: int


async def original_question_button(
    ctx: ParticipantContext, button: OriginalQuestionButton
) -> Reply:
    session = await questions.question_session(ctx.db, button.question_id)
    text = await questions.room_text(ctx.db, button.question_id)
    if session is None or text is None or not rooms.may_take_part(ctx.participant, session):
        return answers.stale_button()
    return Reply(escape(text))


async def vote_button(ctx: ParticipantContext, button: VoteButton) -> Reply:
    result = await questions.vote(ctx.db, button.question_id, ctx.participant, ctx.clock.now())
    if result.session is None:
        return Reply(_("This question is no longer on the board."))
    if result.outcome in (Voted.CLOSED, Voted.NOT_FOR_YOU):
        refusal = Refusal.CLOSED if result.outcome == Voted.CLOSED else Refusal.NOT_FOR_YOU
        return _refused(refusal, result.session)
    note = {
        Voted.COUNTED: "✅ " + _("Your vote is counted."),
        Voted.ALREADY: _("You already voted for this question: your vote counts once."),
    }.get(result.outcome, _("This question is no longer on the board."))
    return (await _room_board(ctx, result.session, note)).edited()


# The moderators' board


def _category(entry: Entry) -> str:
    """Where the asker comes from, for the moderator to give the floor fairly."""
    parts = [labels.region(entry.region), labels.role(entry.role)]
    if entry.asker:
        parts.append(escape(entry.asker))
    return " · ".join(part for part in parts if part)


def moderators_board(board: Board, texts: Mapping[int, ReadText]) -> Reply:
    """A session's board as its moderators see it, its questions as `texts` has them (also
    what the routine that keeps a board up to date edits it into)."""
    session = board.session
    lines = [bold(_("Moderation — {session}").format(session=_title(session))), ""]
    rows: list[tuple[Choice, ...]] = []
    lines.append(bold(_("Waiting for you ({count})").format(count=len(board.pending))))
    for entry in board.pending:
        text = _text(texts, entry)
        voice = " 🎤" if entry.voice else ""
        lines.append(f"#{entry.id} {text}{voice} — {_category(entry)}")
        row = [
            Choice(f"✅ #{entry.id}", ApproveButton(entry.id).pack()),
            Choice(f"🔀 #{entry.id}", MergeButton(entry.id).pack()),
            Choice(f"✖ #{entry.id}", RejectButton(entry.id).pack()),
        ]
        if entry.voice:
            row.append(Choice(f"🎤 #{entry.id}", VoiceButton(entry.id).pack()))
        rows.append(tuple(row))
    lines += ["", bold(_("On the board, by votes ({count})").format(count=len(board.approved)))]
    for entry in board.approved:
        text = _text(texts, entry)
        lines.append(f"#{entry.id} 👍 {entry.votes} — {text} — {_category(entry)}")
        rows.append(
            (
                Choice(
                    _("Answered #{number}").format(number=entry.id), AnsweredButton(entry.id).pack()
                ),
                Choice(f"🔀 #{entry.id}", MergeButton(entry.id).pack()),
                Choice(f"✖ #{entry.id}", RejectButton(entry.id).pack()),
            )
        )
    lines += [
        "",
        _("✅ approve · 🔀 merge a duplicate · ✖ not taken: /reject N REASON"),
        _("Press 🔄 once: this board then updates itself as votes and questions come."),
    ]
    rows.append((Choice("🔄", ModerateButton(session.id).pack()),))
    return Reply("\n".join(lines), choices=tuple(rows))


async def _moderators_board(ctx: ParticipantContext, session: Session) -> Reply:
    board = await questions.board(ctx.db, session, moderator=True)
    return moderators_board(board, await _texts(ctx, board))


async def home_board(ctx: ParticipantContext) -> Reply | None:
    """For /home: the board of the session open now that the person moderates, or None. In
    Slack's App Home (`HOME_VIEW`) it is kept up to date in place, as a board message is."""
    now = ctx.clock.now()
    moderator = ctx.participant
    moderated = await rooms.moderating(ctx.db, ctx.event, moderator, now)
    if not moderated:
        return None
    session = moderated[0]
    if ctx.incoming.message_id == HOME_VIEW:
        chat = ctx.incoming.chat_id
        await boards.keep(ctx.db, session, moderator, ctx.incoming.platform, chat, HOME_VIEW, now)
    board = await questions.board(ctx.db, session, moderator=True)
    with reading(translation.reader(ctx)):
        texts = await questions.read_texts(ctx.db, board)
    return moderators_board(board, texts)


async def _moderating(ctx: ParticipantContext, session: Session | None) -> Reply | None:
    """None when the person moderates `session`; else the refusal (nothing changes)."""
    if session is None:
        return answers.stale_button()
    if not await rooms.is_moderator(ctx.db, ctx.participant, session):
        return Reply(_("Only the session's moderators and the organisers can do this."))
    return None


async def _shown_again(ctx: ParticipantContext, session: Session, note: str = "") -> Reply:
    """The moderators' board, replacing the pressed message, which is kept up to date from now
    on."""
    if ctx.incoming.message_id is not None:
        await boards.keep(
            ctx.db,
            session,
            ctx.participant,
            ctx.incoming.platform,
            ctx.incoming.chat_id,
            ctx.incoming.message_id,
            ctx.clock.now(),
        )
    reply = await _moderators_board(ctx, session)
    if note:
        reply = Reply(note + "\n\n" + reply.text, choices=reply.choices)
    return reply.edited()


async def _paused(ctx: ParticipantContext, reply: Reply) -> Reply:
    """A choice shown in place of the board: the routine leaves that message alone until the
    board is back (a choice, or Back)."""
    if ctx.incoming.message_id is not None:
        await boards.pause(
            ctx.db, ctx.incoming.platform, ctx.incoming.chat_id, ctx.incoming.message_id
        )
    return reply.edited()


async def moderate_button(ctx: ParticipantContext, button: ModerateButton) -> Reply:
    session = await questions.session_of(ctx.db, ctx.event, button.session_id)
    refused = await _moderating(ctx, session)
    if refused is not None or session is None:
        return refused or answers.stale_button()
    return await _shown_again(ctx, session)


_DECIDED = {
    Decided.ALREADY: lambda: _("Another moderator decided on this question already."),
    Decided.GONE: lambda: _("This question is no longer waiting."),
}


async def _decide(ctx: ParticipantContext, question_id: int, decide: str) -> Reply:
    session = await questions.question_session(ctx.db, question_id)
    refused = await _moderating(ctx, session)
    if refused is not None or session is None:
        return refused or answers.stale_button()
    now = ctx.clock.now()
    if decide == "approve":
        outcome = await questions.approve(ctx.db, question_id, now)
    else:
        outcome = await questions.answered(ctx.db, question_id, now)
    note = "" if outcome == Decided.DONE else _DECIDED[outcome]()
    return await _shown_again(ctx, session, note)


async def approve_button(ctx: ParticipantContext, button: ApproveButton) -> Reply:
    return await _decide(ctx, button.question_id, "approve")


async def answered_button(ctx: ParticipantContext, button: AnsweredButton) -> Reply:
    return await _decide(ctx, button.question_id, "answered")


async def merge_button(ctx: ParticipantContext, button: MergeButton) -> Reply:
    session = await questions.question_session(ctx.db, button.question_id)
    refused = await _moderating(ctx, session)
    if refused is not None or session is None:
        return refused or answers.stale_button()
    if button.into_id is None:
        board = await questions.board(ctx.db, session, moderator=True)
        targets = [e for e in board.approved + board.pending if e.id != button.question_id]
        if not targets:
            return await _shown_again(ctx, session, _("There is no other question to merge into."))
        rows = tuple(
            (
                Choice(
                    f"#{e.id} {e.text[:QUESTION_EXCERPT]}",
                    MergeButton(button.question_id, e.id).pack(),
                ),
            )
            for e in targets
        )
        back = (Choice(_("Back"), ModerateButton(session.id).pack()),)
        return await _paused(
            ctx,
            Reply(
                _("#{number} is a duplicate of which question?").format(number=button.question_id),
                choices=(*rows, back),
            ),
        )
    outcome = await questions.merge(ctx.db, button.question_id, button.into_id, ctx.clock.now())
    note = (
        _("#{number} merged into #{into}: their votes count together.").format(
            number=button.question_id, into=button.into_id
        )
        if outcome == Decided.DONE
        else _DECIDED[outcome]()
    )
    return await _shown_again(ctx, session, note)


async def reject_button(ctx: ParticipantContext, button: RejectButton) -> Reply:
    session = await questions.question_session(ctx.db, button.question_id)
    refused = await _moderating(ctx, session)
    if refused is not None or session is None:
        return refused or answers.stale_button()
    if button.reason not in REASONS:
        name = ctx.router.commands["reject"].name_in(ctx.language)
        chooser = Reply(
            _("Why is #{number} not taken? Choose, or write /{command} {number} REASON.").format(
                number=button.question_id, command=name
            ),
            choices=(
                *(
                    (Choice(_reason(code), RejectButton(button.question_id, code).pack()),)
                    for code in REASONS
                ),
                (Choice(_("Back"), ModerateButton(session.id).pack()),),
            ),
        )
        return await _paused(ctx, chooser)
    outcome = await questions.reject(ctx.db, button.question_id, button.reason, ctx.clock.now())
    note = _rejected(button.question_id) if outcome == Decided.DONE else _DECIDED[outcome]()
    return await _shown_again(ctx, session, note)


def _rejected(number: int) -> str:
    return _("#{number} is not taken; its asker is told why.").format(number=number)


async def reject(ctx: ParticipantContext) -> Reply:
    """/reject N REASON: a moderator does not take a question, and says why."""
    number = ctx.args[0].lstrip("#") if ctx.args else ""
    reason = ctx.incoming.text.split(maxsplit=2)[2].strip() if len(ctx.args) > 1 else ""
    name = ctx.router.commands["reject"].name_in(ctx.language)
    if not number.isdigit() or not reason or len(number) > 9:
        return Reply(
            _("Write the question's number and why it is not taken: /{command} N REASON.").format(
                command=name
            )
        )
    session = await questions.question_session(ctx.db, int(number))
    if session is None:
        return Reply(_("There is no question #{number}.").format(number=escape(number)))
    refused = await _moderating(ctx, session)
    if refused is not None:
        return refused
    outcome = await questions.reject(ctx.db, int(number), reason, ctx.clock.now())
    return Reply(_rejected(int(number)) if outcome == Decided.DONE else _DECIDED[outcome]())


async def voice_button(ctx: ParticipantContext, button: VoiceButton) -> Reply:
    session = await questions.question_session(ctx.db, button.question_id)
    refused = await _moderating(ctx, session)
    if refused is not None:
        return refused
    question = await questions.voice_note(ctx.db, button.question_id)
    if question is None or question.voice_file is None:
        return answers.stale_button()
    if question.voice_platform != ctx.incoming.platform:
        return Reply(_("This voice note can be heard only in the chat app it was sent from."))
    return Reply(f"#{question.id} 🎤", voices=(question.voice_file,))


# The notice


def question_rejected(notice: QuestionRejected) -> Reply:
    question = notice.question[:QUESTION_EXCERPT] + (
        "…" if len(notice.question) > QUESTION_EXCERPT else ""
    )
    return Reply(
        _("Your question in {session} was not taken: {reason}").format(
            session=escape(localised(notice.session)), reason=escape(_reason(notice.reason))
        )
        + "\n\n"
        + (f"“{escape(question)}”" if question else "🎤")
    )


# /moderators


async def moderators(ctx: EventContext) -> Reply:
    """/moderators SESSION [add|remove NAME]: who moderates a session's floor."""
    name = ctx.router.commands["moderators"].name_in(ctx.language)
    usage = _("Usage:") + f"\n/{name} " + escape(str(ctx.router.commands["moderators"].usage))
    if not ctx.args:
        return Reply(usage)
    session = await agenda.find_session(ctx.db, ctx.event, ctx.audiences, ctx.args[0])
    if session is None:
        return Reply(
            _("I cannot find the session “{reference}”. /agenda shows the session numbers.").format(
                reference=excerpt(ctx.args[0])
            )
        )
    if len(ctx.args) >= 3 and is_keyword(ctx.args[1], "add", "remove"):
        person = await participants.find_participant(ctx.db, ctx.event.id, " ".join(ctx.args[2:]))
        if person is None:
            return Reply(
                _("No participant found for “{reference}”. /participant find NAME").format(
                    reference=excerpt(" ".join(ctx.args[2:]))
                )
            )
        if is_keyword(ctx.args[1], "add"):
            await rooms.add_moderator(ctx.db, session, person, ctx.clock.now())
        elif not await rooms.remove_moderator(ctx.db, session, person):
            return Reply(
                _("{name} does not moderate {session}.").format(
                    name=escape(person.name), session=_title(session)
                )
            )
    elif len(ctx.args) > 1:
        return Reply(usage)
    return await _moderators_of(ctx, session)


async def _moderators_of(ctx: EventContext, session: Session) -> Reply:
    given: Sequence[Participant] = await rooms.moderators(ctx.db, session)
    lines = [bold(_("Moderators of {session}").format(session=_title(session)))]
    lines += [f"• {escape(p.name)}" for p in given] or [_("None given: the organisers moderate.")]
    if not session.questions:
        lines += ["", _("This session does not take questions from the floor.")]
    return Reply("\n".join(lines))
