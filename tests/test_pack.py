"""/pack: one's own programme as a PDF in one's language, read back from the PDF; and the new
pack sent once after programme changes that concern its holder."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import timedelta

from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from sqlalchemy import func, select

from bot.chat import Document
from bot.clock import SimulatedClock
from bot.delivery import outbox
from bot.dispatcher import Dispatcher
from bot.models import Event, OutboxMessage, Participant, Role, Session
from bot.programme.load import load_programme
from bot.programme.mine import my_programme
from bot.programme.pack import PACK_BATCH, PACKS_PER_SECOND, PackUpdated
from bot.programme.spec import ProgrammeSpec
from bot.text import formatting
from bot.text.i18n import use_language
from handlers.pack_pdf import Day, Entry, PackPage, Place, Section, render
from tests.support.chat import ChatUser, registered
from tests.support.demo import MEETING_ZONE, demo_spec
from tests.support.outbox import Inboxes, deliver_all


def _flat(text: str) -> str:
    """Text with every run of spaces, line breaks and no-break or thin spaces as one space: the
    PDF wraps long lines where it likes."""
    return re.sub(r"[\s\u00a0\u2009\u202f]+", " ", text).strip()


def _pdf(document: Document) -> PdfReader:
    assert document.data.startswith(b"%PDF")
    return PdfReader(io.BytesIO(document.data))


def _text(document: Document) -> str:
    return _flat(" ".join(page.extract_text() for page in _pdf(document).pages))


def _images(document: Document) -> int:
    return sum(len(page.images) for page in _pdf(document).pages)


def _fonts(document: Document) -> set[str]:
    """The fonts the pages use, by their PDF names (a subset embedded is named `ABCDEF+…`)."""
    names = set()
    for page in _pdf(document).pages:
        resources = page["/Resources"].get_object()
        assert isinstance(resources, DictionaryObject)
        fonts = resources["/Font"].get_object()
        assert isinstance(fonts, DictionaryObject)
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


def _the_pack(user: ChatUser) -> Document:
    [reply] = user.last
    [document] = reply.documents
    return document


def _in_order(text: str, expected: list[str]) -> None:
    at = 0
    for item in expected:
        found = text.find(_flat(item), at)
        assert found >= 0, f"{item!r} missing after position {at} of {text!r}"
        at = found + len(_flat(item))


async def _programme_lines(dispatcher: Dispatcher, event: Event, name: str) -> list[str]:
    """Her sessions as her programme gives them: the Spanish time, then the Spanish title."""
    async with dispatcher.sessions() as db:
        person = (
            await db.execute(select(Participant).where(Participant.name == name))
        ).scalar_one()
        items = await my_programme(db, event, person)
    lines = []
    with use_language("es"):
        for item in items:
            session = item.session
            lines.append(formatting.time_range(session.starts_at, session.ends_at, MEETING_ZONE))
            lines.append(session.title["es"])
    return lines


async def test_a_spanish_speaking_delegate_gets_her_programme_as_a_pdf_in_spanish(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    maria = await registered(dispatcher, demo_event.id, "María", Role.CIVIL_SOCIETY, "es")
    await maria.send("/unirse 1 d2-tables")

    answer = await maria.send("/carpeta")

    pack = _the_pack(maria)
    assert pack.name == "pack-puerto-vallarta-2017-es.pdf"
    assert "Imprímala" in answer
    text = _text(pack)
    spec = demo_spec()
    # The venues of her sessions, in the order they first come (not the conference centre).
    venues = {venue.key: venue for venue in spec.venues}
    addresses = [
        str(venues[key].address)
        for key in ("holiday-inn-express", "westin-un-registration", "marriott")
    ]
    _in_order(
        text,
        [
            "Reunión de Balance y Estrategia de la Sociedad Civil",
            "María",
            "Su código de llegada",
            "Sus días, hora por hora",
            "Sábado, 2 de diciembre de 2017",
            *await _programme_lines(dispatcher, demo_event, "María"),
            "Sus lugares",
            "Acto 1: ",
            "lugar confirmado",
            "Interpretación",
            "Sedes",
            *addresses,
            "Contactos del equipo organizador",
            "Lucía Hernández · Registro y logística · +52 322 555 0101 · registro@example.org",
            "Samuel Okafor",
        ],
    )
    assert "Centro Internacional de Convenciones" not in text  # no session of hers there
    # Every word is in Windows-1252: Helvetica, which every reader has, and nothing embedded.
    assert _fonts(pack) == {"/Helvetica", "/Helvetica-Bold"}
    assert len(pack.data) < 20_000
    assert text.count("Escanee para ver el mapa.") == 3
    assert _images(pack) == 1 + 3  # her check-in code, then each venue's map
    async with dispatcher.sessions() as db:
        person = (
            await db.execute(select(Participant).where(Participant.name == "María"))
        ).scalar_one()
        assert person.pack_sent_at == dispatcher.clock.now()
        assert person.checkin_code is not None


async def test_a_government_delegate_pack_leaves_out_civil_society_sessions(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    minister = await registered(dispatcher, demo_event.id, "Ministra", Role.GOVERNMENT, "es")
    await minister.send("/pack")

    text = _text(_the_pack(minister))
    assert "Mesas pequeñas con gobiernos" in text
    assert "Panel I: acción regional" not in text  # civil society only
    assert "No tiene lugar en ninguna mesa de los Actos." in text


def _moved(spec: ProgrammeSpec, key: str, by: timedelta) -> ProgrammeSpec:
    sessions = []
    for item in spec.sessions:
        if item.key == key:
            assert item.ends_at is not None
            item = dataclasses.replace(
                item, starts_at=item.starts_at + by, ends_at=item.ends_at + by
            )
        sessions.append(item)
    return dataclasses.replace(spec, sessions=sessions)


async def _reload(dispatcher: Dispatcher, spec: ProgrammeSpec) -> None:
    async with dispatcher.sessions() as db:
        await load_programme(db, spec, dispatcher.clock.now())
        await db.commit()


async def test_after_two_reloads_in_a_row_she_receives_one_new_pack_with_the_new_time(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    maria = await registered(dispatcher, demo_event.id, "María", Role.CIVIL_SOCIETY, "es")
    pedro = await registered(dispatcher, demo_event.id, "Pedro", Role.CIVIL_SOCIETY, "es")
    await maria.send("/unirse 1 d2-tables")
    await pedro.send("/unirse 2 d2-tables")
    await maria.send("/carpeta")

    await _reload(dispatcher, _moved(demo_spec(), "d2-small-tables", timedelta(minutes=30)))
    clock.advance(timedelta(minutes=2))
    await _reload(dispatcher, _moved(demo_spec(), "d2-small-tables", timedelta(minutes=60)))
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert len(inboxes.received["María"]) == 2  # each change told at once, in words
    assert not inboxes.files["María"]  # the new pack waits for changes that may follow
    clock.advance(PACK_BATCH)
    await deliver_all(dispatcher, inboxes)

    [pack] = [file for reply in inboxes.replies["María"] for file in reply.documents]
    assert pack.name == "pack-puerto-vallarta-2017-es.pdf"
    assert "El programa ha cambiado" in inboxes.received["María"][-1]
    async with dispatcher.sessions() as db:
        small_tables = (
            await db.execute(select(Session).where(Session.key == "d2-small-tables"))
        ).scalar_one()
        queued = await db.execute(
            select(func.count()).where(OutboxMessage.kind == PackUpdated.kind)
        )
        assert queued.scalar_one() == 1
    with use_language("es"):
        new_time = formatting.time_range(small_tables.starts_at, small_tables.ends_at, MEETING_ZONE)
    assert small_tables.starts_at.astimezone(MEETING_ZONE).hour == 11  # 10:30 + 1 hour
    assert _flat(f"{new_time} Mesas pequeñas con gobiernos") in _text(pack)
    assert not inboxes.files["Pedro"]  # he never asked for a pack
    assert inboxes.received["Pedro"]  # though he was told of the change


async def test_updated_packs_leave_spread_out_so_a_reminder_due_meanwhile_goes_first(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    """Many holders of a pack: their new packs leave PACKS_PER_SECOND, not all at once, so
    that a message due in between is claimed before the packs due after it."""
    holders = [
        await registered(dispatcher, demo_event.id, f"Holder {n}", Role.CIVIL_SOCIETY)
        for n in range(8)
    ]
    for holder in holders:
        await holder.send("/pack")
    now = clock.now()
    await _reload(dispatcher, _moved(demo_spec(), "d1-opening", timedelta(minutes=30)))
    async with dispatcher.sessions() as db:
        due = (
            (
                await db.execute(
                    select(OutboxMessage.not_before)
                    .where(OutboxMessage.kind == PackUpdated.kind)
                    .order_by(OutboxMessage.not_before)
                )
            )
            .scalars()
            .all()
        )
        assert due == [now + PACK_BATCH + timedelta(seconds=n / PACKS_PER_SECOND) for n in range(8)]
        # After five packs, before three.
        between = now + PACK_BATCH + timedelta(seconds=4.5 / PACKS_PER_SECOND)
        person = (await db.execute(select(Participant.id).limit(1))).scalar_one()
        await outbox.enqueue(db, "reminder-like", person, PackUpdated(participant=0), now, between)
        await db.commit()
    clock.set(now + PACK_BATCH + timedelta(seconds=2))
    async with dispatcher.sessions() as db:
        claimed = await outbox.claim(db, clock.now(), limit=50)
    keys = [row.key for row in claimed if row.kind == PackUpdated.kind]
    assert len(keys) == 9 and keys.index("reminder-like") == 5


async def test_names_and_titles_beyond_latin_1_do_not_stop_the_pack(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    spec = demo_spec()
    sessions = [
        dataclasses.replace(item, title={**item.title, "es": "Taller de Łódź 🌍 con Nguyễn 移民"})
        if item.key == "d1-opening"
        else item
        for item in spec.sessions
    ]
    # A map link too long for any QR code, and an address with no space to wrap at.
    venues = [
        dataclasses.replace(item, map_url="https://example.org/" + "a" * 5000, address="x" * 600)
        if item.key == "marriott"
        else item
        for item in spec.venues
    ]
    await _reload(dispatcher, dataclasses.replace(spec, sessions=sessions, venues=venues))
    user = await registered(dispatcher, demo_event.id, "Nguyễn Thị Łódź 🎉", language="es")

    await user.send("/pack")

    pack = _the_pack(user)
    text = _text(pack)
    assert "Nguyễn Thị Łódź" in text
    assert _fonts(pack) == {"DejaVuSansBook", "DejaVuSansBold"}  # beyond Windows-1252
    assert "Taller de Łódź con Nguyễn" in text  # the emoji and the ideographs left out
    assert "Hotel Marriott" in text and "x" * 60 in text
    assert _images(pack) == 1 + 3  # the link is stored cut to 500 characters: a QR code holds it


def test_a_map_link_no_qr_code_can_hold_is_left_out_with_its_caption() -> None:
    place = Place("Hotel", "Street 1", "https://example.org/" + "a" * 5000, "Scan for the map.")
    page = PackPage(
        title="Meeting",
        subtitle="Pack of Ana",
        checkin_heading="Your check-in code",
        checkin_note="Show this code at the registration desk.",
        checkin_link="https://t.me/bot?start=ci-0123456789abcdef",
        days_heading="Your days",
        days=[Day("Saturday", [Entry("8:30 – 9:50 AM", "Opening", ["Hotel"])])],
        seats=Section("Your seats", []),
        interpretation=Section("Interpretation", []),
        venues_heading="Venues",
        venues=[place],
        contacts=Section("Contacts", []),
    )

    document = Document(render(page), "pack.pdf")

    text = _text(document)
    assert "Hotel Street 1" in text and "Scan for the map." not in text
    assert _images(document) == 1  # the check-in code only


async def test_the_pack_is_only_sent_in_a_private_chat(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    maria = await registered(dispatcher, demo_event.id, "María", Role.CIVIL_SOCIETY, "es")
    maria.private = False

    await maria.send("/carpeta")

    assert not [file for reply in maria.last for file in reply.documents]
