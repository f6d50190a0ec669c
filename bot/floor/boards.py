"""Moderators' question boards kept up to date in place: the message a moderator last pressed
a button of shows their session's board, and the scheduler's routine edits it within a second
or two of a vote or a new question, only when what it shows changed (`Board.state`).

As broadcasts' progress messages (`bot/app/bookkeeping.py`), an edit goes to one known message
and is never retried: the next pass shows the same, newer, state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_once
from bot.floor import questions, rooms
from bot.floor.questions import Board
from bot.models import FloorBoard, Participant, Session


async def keep(
    db: AsyncSession,
    session: Session,
    moderator: Participant,
    platform: str,
    chat_id: str,
    message_id: str,
    now: datetime,
) -> None:
    """Keep this message showing the session's board: the moderator's earlier board of the
    session in that chat stops being edited (one live board per moderator, session and chat)."""
    await db.execute(
        delete(FloorBoard).where(
            FloorBoard.session_id == session.id,
            FloorBoard.participant_id == moderator.id,
            FloorBoard.platform == platform,
            FloorBoard.chat_id == chat_id,
            FloorBoard.message_id != message_id,
        )
    )
    values = {
        "session_id": session.id,
        "participant_id": moderator.id,
        "platform": platform,
        "chat_id": chat_id,
        "message_id": message_id,
        "shown": None,
        "created_at": now,
    }
    await db.execute(insert_once(db, FloorBoard).values(values).on_conflict_do_nothing())


async def pause(db: AsyncSession, platform: str, chat_id: str, message_id: str) -> None:
    """The message shows something else for a moment (a moderator choosing which question a
    duplicate repeats): not edited until the board is shown there again."""
    await db.execute(
        delete(FloorBoard).where(
            FloorBoard.platform == platform,
            FloorBoard.chat_id == chat_id,
            FloorBoard.message_id == message_id,
        )
    )


@dataclass(frozen=True)
class BoardEdit:
    """A moderator's board message to rewrite, and what it now shows."""

    participant_id: int
    platform: str
    chat_id: str
    message_id: str
    board: Board


async def due(db: AsyncSession, now: datetime, platforms: list[str]) -> list[BoardEdit]:
    """The live boards on `platforms` whose session is still open and whose questions or
    counts changed since they were last shown, marked shown (the caller commits, then edits).
    Boards of sessions over, or of people who moderate no more, are forgotten."""
    query = (
        select(FloorBoard, Session, Participant)
        .join(Session, Session.id == FloorBoard.session_id)
        .join(Participant, Participant.id == FloorBoard.participant_id)
        .where(FloorBoard.platform.in_(platforms))
        .order_by(FloorBoard.id)
    )
    edits: list[BoardEdit] = []
    boards: dict[int, Board] = {}  # one board query per session, whatever its moderators
    for live, session, moderator in (await db.execute(query)).all():
        if not rooms.is_open(session, now) or not await rooms.is_moderator(db, moderator, session):
            await db.delete(live)
            continue
        if session.id not in boards:
            boards[session.id] = await questions.board(db, session, moderator=True)
        board = boards[session.id]
        if board.state == live.shown:
            continue
        live.shown = board.state
        edits.append(BoardEdit(moderator.id, live.platform, live.chat_id, live.message_id, board))
    return edits


async def forget(db: AsyncSession, participant_id: int) -> None:
    """/forget: the chats and messages of their boards."""
    await db.execute(delete(FloorBoard).where(FloorBoard.participant_id == participant_id))
