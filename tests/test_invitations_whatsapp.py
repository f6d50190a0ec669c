"""Invitations for WhatsApp: a wa.me link with the code typed in, and its QR code, beside (or
instead of) Telegram's; the text the link types links the person's WhatsApp account."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import segno
from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import ChatIdentity, Event, Participant, Role
from bot.people import invitations
from bot.platforms.whatsapp_settings import chat_link
from tests.support.chat import ChatUser
from tests.support.demo import DEMO_FILE, DEMO_PEOPLE_FILE
from tests.support.factories import make_participant
from tests.support.processes import environment, run

NUMBER = "523312345678"
# What WhatsApp needs to be configured, its number written as people print it.
WHATSAPP = {
    "WHATSAPP_ACCESS_TOKEN": "test-access-token",
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "WHATSAPP_APP_SECRET": "test-app-secret",
    "WHATSAPP_VERIFY_TOKEN": "a-verify-token-of-16+",
    "WHATSAPP_NUMBER": "+52 33 1234 5678",
}
# The columns a mail merge made before WhatsApp reads, in their places.
TELEGRAM_COLUMNS = ["name", "email", "language", "telegram_link", "code", "qr_code"]


def _rows(table: Path) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(table.read_text(encoding="utf-8")))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _same_qr_code(image: Path, link: str) -> bool:
    """The PNG shows `link` (segno draws the same matrix as the same bytes)."""
    expected = io.BytesIO()
    segno.make(link, error="m").save(expected, kind="png", scale=8, border=2)
    return image.read_bytes() == expected.getvalue()


def _people() -> list[invitations.Invitation]:
    people = [
        Participant(
            id=7, name="Zoë Nguyễn", email="zoe@example.org", language="fr", role=Role.CIVIL_SOCIETY
        ),
        Participant(id=8, name="Lucía Ramírez", email=None, language="es", role=Role.CIVIL_SOCIETY),
    ]
    return [invitations.Invitation(p, invitations.new_code()) for p in people]


def test_the_file_has_a_whatsapp_link_and_its_qr_code_after_telegrams(tmp_path: Path) -> None:
    issued = _people()
    table = invitations.write_invitations(issued, tmp_path, "pv2017_bot", NUMBER)
    columns, rows = _rows(table)
    assert columns == [*TELEGRAM_COLUMNS, "whatsapp_link", "whatsapp_qr_code"]
    for row, invitation in zip(rows, issued, strict=True):
        code = invitation.code
        assert row["telegram_link"] == f"https://t.me/pv2017_bot?start={code}"
        assert row["whatsapp_link"] == f"https://wa.me/{NUMBER}?text={code}"
        assert _same_qr_code(tmp_path / row["qr_code"], row["telegram_link"])
        assert _same_qr_code(tmp_path / row["whatsapp_qr_code"], row["whatsapp_link"])
    assert rows[0]["whatsapp_qr_code"] == "invitation-00007-whatsapp.png"


def test_without_telegram_its_columns_stay_empty(tmp_path: Path) -> None:
    issued = _people()
    table = invitations.write_invitations(issued, tmp_path, None, NUMBER)
    columns, rows = _rows(table)
    assert columns[: len(TELEGRAM_COLUMNS)] == TELEGRAM_COLUMNS
    assert all(row["telegram_link"] == "" and row["qr_code"] == "" for row in rows)
    assert sorted(path.name for path in tmp_path.glob("*.png")) == [
        "invitation-00007-whatsapp.png",
        "invitation-00008-whatsapp.png",
    ]
    assert invitations.normalise(rows[1]["code"]) == issued[1].code


async def test_the_text_the_link_types_links_the_whatsapp_account(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    async with sessions() as db:
        person = await make_participant(
            db, demo_event.id, clock.now(), name="Lucía Ramírez", language="es"
        )
        code = invitations.issue(person, clock.now())
        await db.commit()
    link = urlparse(chat_link(NUMBER, code))
    assert (link.netloc, link.path) == ("wa.me", f"/{NUMBER}")
    [typed] = parse_qs(link.query)["text"]

    phone = ChatUser(dispatcher, external_id=NUMBER, platform="whatsapp")
    assert "¡Hola, Lucía Ramírez!" in await phone.send(typed)
    async with sessions() as db:
        linked = select(ChatIdentity.platform, ChatIdentity.external_id).where(
            ChatIdentity.participant_id == person.id
        )
        assert list(await db.execute(linked)) == [("whatsapp", NUMBER)]


async def test_invite_with_only_whatsapp_configured(tmp_path: Path) -> None:
    env = environment(tmp_path / "coordbot.sqlite3")
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    assert (await run(env, "participants", "import", str(DEMO_PEOPLE_FILE)))[0] == 0

    status, _out, err = await run(env, "participants", "invite", "--out", str(tmp_path / "no"))
    assert status == 1 and "Traceback" not in err
    assert "or configure WhatsApp with WHATSAPP_NUMBER" in err

    folder = tmp_path / "invitations"
    status, out, err = await run(env | WHATSAPP, "participants", "invite", "--out", str(folder))
    assert status == 0, err
    assert "81 invitations written" in out
    _columns, rows = _rows(folder / "invitations.csv")
    assert len(rows) == 81
    for row in rows:
        assert row["telegram_link"] == "" and row["qr_code"] == ""
        code = invitations.normalise(row["code"])
        assert row["whatsapp_link"] == f"https://wa.me/{NUMBER}?text={code}"
        assert _same_qr_code(folder / row["whatsapp_qr_code"], row["whatsapp_link"])
