"""The speakers' list (/floor): the order each rule gives, unit by unit; then, through the real
router and database on the demo programme, a list balanced by constituency called in the
expected order with each person told in their language, the sessions a person may not take
part in, moderators' buttons refused to anyone else, withdrawing, and /mydata and /forget."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.floor import rooms, speakers
from bot.floor.speakers import Constituency, Gender, Rule, Speaker, order
from bot.models import (
    Event,
    FloorSettings,
    Participant,
    Role,
    Session,
    SpeakerRequest,
    SpeakerStatus,
)
from bot.programme import meeting
from tests.support.chat import ChatUser, registered
from tests.support.demo import MEETING_ZONE
from tests.support.factories import make_participant
from tests.support.outbox import Inboxes, deliver_all
from tests.support.population import add_telegram_participants
from tests.support.queries import Statements

CS = Constituency.CIVIL_SOCIETY
GOV = Constituency.GOVERNMENTS
INT = Constituency.INTERNATIONAL
W = Gender.WOMAN
M = Gender.MAN

T = TypeVar("T")
_request_ids = itertools.count(1)
_participant_ids: dict[str, int] = {}

Category = tuple[str, Constituency | None, str | None, Gender | None]


def person(
    name: str,
    constituency: Constituency | None = None,
    region: str | None = None,
    gender: Gender | None = None,
) -> Speaker:
    """A request of its own by the person `name` (the same name, the same person: a second
    turn)."""
    participant_id = _participant_ids.setdefault(name, len(_participant_ids) + 1)
    return Speaker(next(_request_ids), participant_id, constituency, region, gender)


def line(*people: Category) -> list[tuple[str, Speaker]]:
    """Requests in the order they came, each with the name the assertions use."""
    return [(name, person(name, c, r, g)) for name, c, r, g in people]


def called(
    rule: Rule, waiting: list[tuple[str, Speaker]], spoken: Sequence[Speaker] = ()
) -> list[str]:
    """The names of those waiting, in the order the rule calls them."""
    names = {speaker.request_id: name for name, speaker in waiting}
    return [names[s.request_id] for s in order(rule, [s for _n, s in waiting], spoken)]


# The ordering, rule by rule.


def test_arrival_keeps_the_order_people_asked_in() -> None:
    waiting = line(("a", GOV, "asia", M), ("b", GOV, "asia", M), ("c", CS, "europe", W))
    assert called(Rule.ARRIVAL, waiting) == ["a", "b", "c"]
    assert called(Rule.ARRIVAL, []) == []


def test_constituencies_alternate_the_earliest_of_another_constituency_next() -> None:
    waiting = line(
        ("cs1", CS, None, None),
        ("cs2", CS, None, None),
        ("gov1", GOV, None, None),
        ("cs3", CS, None, None),
        ("int1", INT, None, None),
    )
    assert called(Rule.CONSTITUENCY, waiting) == ["cs1", "gov1", "cs2", "int1", "cs3"]


def test_constituencies_start_from_the_last_speaker_called() -> None:
    waiting = line(("gov2", GOV, None, None), ("cs1", CS, None, None))
    spoken = [person("gov1", GOV)]
    assert called(Rule.CONSTITUENCY, waiting, spoken) == ["cs1", "gov2"]


def test_constituencies_tie_goes_to_whoever_asked_first() -> None:
    """Governments and international organisations both differ from civil society: the one
    who asked first speaks first."""
    waiting = line(("cs1", CS, None, None), ("int1", INT, None, None), ("gov1", GOV, None, None))
    spoken = [person("cs0", CS)]
    assert called(Rule.CONSTITUENCY, waiting, spoken) == ["int1", "cs1", "gov1"]


def test_one_constituency_only_is_heard_in_arrival_order() -> None:
    waiting = line(("a", CS, None, None), ("b", CS, None, None), ("c", CS, None, None))
    assert called(Rule.CONSTITUENCY, waiting, [person("z", CS)]) == ["a", "b", "c"]


def test_an_unknown_constituency_fits_anywhere_and_the_last_known_one_counts() -> None:
    """An organiser (no constituency) is neither held back nor moved ahead of earlier people;
    after them, the rule looks back to the last speaker whose constituency is known."""
    waiting = line(
        ("cs1", CS, None, None),
        ("cs2", CS, None, None),
        ("org", None, None, None),
        ("gov1", GOV, None, None),
    )
    assert called(Rule.CONSTITUENCY, waiting) == ["cs1", "org", "gov1", "cs2"]
    spoken = [person("gov0", GOV), person("org0", None)]
    assert called(Rule.CONSTITUENCY, line(("gov2", GOV, None, None), ("cs", CS, None, None)),
                  spoken) == ["cs", "gov2"]  # fmt: skip


def test_regions_not_heard_yet_come_first() -> None:
    waiting = line(
        ("africa2", None, "africa", None),
        ("europe1", None, "europe", None),
        ("asia1", None, "asia", None),
        ("europe2", None, "europe", None),
    )
    spoken = [person("africa1", None, "africa")]
    assert called(Rule.REGION, waiting, spoken) == ["europe1", "asia1", "africa2", "europe2"]


def test_regions_once_all_heard_never_the_same_twice_running() -> None:
    waiting = line(
        ("asia2", None, "asia", None),
        ("asia3", None, "asia", None),
        ("europe2", None, "europe", None),
    )
    spoken = [person("europe1", None, "europe"), person("asia1", None, "asia")]
    assert called(Rule.REGION, waiting, spoken) == ["europe2", "asia2", "asia3"]


def test_regions_with_nobody_heard_yet_start_with_the_first_to_ask() -> None:
    waiting = line(
        ("mena1", None, "mena", None),
        ("mena2", None, "mena", None),
        ("pacific1", None, "pacific", None),
    )
    assert called(Rule.REGION, waiting) == ["mena1", "pacific1", "mena2"]


def test_an_unknown_region_fits_anywhere() -> None:
    waiting = line(
        ("africa2", None, "africa", None),
        ("unknown", None, None, None),
        ("europe1", None, "europe", None),
    )
    spoken = [person("africa1", None, "africa")]
    assert called(Rule.REGION, waiting, spoken) == ["unknown", "europe1", "africa2"]
    one_region = line(("a", None, "asia", None), ("b", None, "asia", None))
    assert called(Rule.REGION, one_region, [person("c", None, "asia")]) == ["a", "b"]


def test_first_time_speakers_before_second_turns_in_arrival_order() -> None:
    again = person("ana")
    waiting = [
        ("ana again", again),
        ("bruno", person("bruno")),
        ("carla", person("carla")),
        ("dmitri again", person("dmitri")),
    ]
    spoken = [person("ana"), person("dmitri")]
    assert called(Rule.FIRST_TIME, waiting, spoken) == [
        "bruno",
        "carla",
        "ana again",
        "dmitri again",
    ]
    assert called(Rule.FIRST_TIME, waiting) == ["ana again", "bruno", "carla", "dmitri again"]


def test_women_and_men_alternate() -> None:
    waiting = line(
        ("w1", None, None, W),
        ("w2", None, None, W),
        ("m1", None, None, M),
        ("w3", None, None, W),
        ("m2", None, None, M),
    )
    assert called(Rule.GENDER, waiting) == ["w1", "m1", "w2", "m2", "w3"]
    assert called(Rule.GENDER, waiting, [person("m0", None, None, M)]) == [
        "w1",
        "m1",
        "w2",
        "m2",
        "w3",
    ]
    assert called(Rule.GENDER, waiting, [person("w0", None, None, W)]) == [
        "m1",
        "w1",
        "m2",
        "w2",
        "w3",
    ]


def test_gender_not_given_fits_anywhere_and_one_gender_only_is_arrival_order() -> None:
    waiting = line(
        ("w1", None, None, W),
        ("w2", None, None, W),
        ("x", None, None, None),
        ("m1", None, None, M),
    )
    assert called(Rule.GENDER, waiting) == ["w1", "x", "m1", "w2"]
    women = line(("w1", None, None, W), ("w2", None, None, W))
    assert called(Rule.GENDER, women, [person("w0", None, None, W)]) == ["w1", "w2"]


def test_every_rule_orders_everyone_waiting_once() -> None:
    waiting = [
        person(
            f"p{n}",
            [CS, GOV, INT, None][n % 4],
            ["asia", "europe", None][n % 3],
            [W, M, None][n % 3],
        )
        for n in range(40)
    ]
    for rule in Rule:
        result = order(rule, waiting, waiting[:5])
        assert sorted(s.request_id for s in result) == sorted(s.request_id for s in waiting)


def _by_definition(
    rule: Rule, waiting: Sequence[Speaker], spoken: Sequence[Speaker]
) -> list[Speaker]:
    """The rules as written, place by place, each place a pass over everyone left: what
    `order` does in fewer steps."""
    if rule in (Rule.ARRIVAL, Rule.FIRST_TIME):
        return order(rule, waiting, spoken)
    left, history, result = list(waiting), list(spoken), []

    def last_known(values: list[object]) -> object:
        return next((v for v in reversed(values) if v is not None), None)

    while left:
        if rule == Rule.REGION:
            heard = {s.region for s in history if s.region is not None}
            if any(w.region is not None and w.region not in heard for w in left):
                chosen = next(w for w in left if w.region is None or w.region not in heard)
            else:
                last = last_known([s.region for s in history])
                chosen = next((w for w in left if w.region in (None,) or w.region != last), left[0])
        elif rule == Rule.CONSTITUENCY:
            last = last_known([s.constituency for s in history])
            chosen = next(
                (w for w in left if w.constituency is None or w.constituency != last), left[0]
            )
        else:
            last = last_known([s.gender for s in history])
            chosen = next((w for w in left if w.gender is None or w.gender != last), left[0])
        left.remove(chosen)
        history.append(chosen)
        result.append(chosen)
    return result


def test_the_order_is_the_one_the_rules_define_on_random_lists() -> None:
    randomly = random.Random(20)
    regions = ["africa", "asia", "europe", "latin_america", "mena", None]
    for _ in range(300):
        crowd = [
            person(
                f"r{randomly.randrange(30)}",
                randomly.choice([CS, GOV, INT, None]),
                randomly.choice(regions[: randomly.randint(1, 6)]),
                randomly.choice([W, M, None]),
            )
            for _ in range(randomly.randint(0, 25))
        ]
        cut = randomly.randint(0, len(crowd))
        for rule in Rule:
            assert order(rule, crowd[cut:], crowd[:cut]) == _by_definition(
                rule, crowd[cut:], crowd[:cut]
            ), rule


def test_the_registry_categories_the_rule_reads() -> None:
    organiser = Participant(id=1, role=Role.ORGANISER, region="unknown", gender="other")
    assert Speaker.of(7, organiser) == Speaker(7, 1, None, None, None)
    facilitator = Participant(id=2, role=Role.FACILITATOR, region="africa", gender="woman")
    assert Speaker.of(8, facilitator) == Speaker(8, 2, CS, "africa", W)
    government = Participant(id=3, role=Role.GOVERNMENT, region=None, gender="man")
    assert Speaker.of(9, government) == Speaker(9, 3, GOV, None, M)


# Through the router and the database, on the demo programme.

# Day 2, 08:45: the open plenary (d2-opening, for everyone) takes requests from 08:30.
DAY_2_OPENING = datetime(2017, 12, 3, 8, 45, tzinfo=MEETING_ZONE)
# Day 2, 14:40: Mobilizing Plenary II, civil society only.
DAY_2_CIVIL_SOCIETY_ONLY = datetime(2017, 12, 3, 14, 40, tzinfo=MEETING_ZONE)


async def _session(dispatcher: Dispatcher, event: Event, key: str) -> Session:
    async with dispatcher.sessions() as db:
        session = await rooms.by_key(db, event, key)
        assert session is not None
        return session


async def _person(
    dispatcher: Dispatcher,
    event: Event,
    name: str,
    role: Role = Role.CIVIL_SOCIETY,
    language: str = "en",
    region: str | None = None,
    gender: str | None = None,
) -> ChatUser:
    user = await registered(dispatcher, event.id, name, role, language)
    async with dispatcher.sessions() as db:
        await db.execute(
            update(Participant)
            .where(Participant.event_id == event.id, Participant.name == name)
            .values(region=region, gender=gender)
        )
        await db.commit()
    return user


async def _moderator_of(dispatcher: Dispatcher, event: Event, key: str, name: str) -> ChatUser:
    """A civil-society delegate given one session to moderate (no organiser)."""
    user = await _person(dispatcher, event, name, region="europe")
    session = await _session(dispatcher, event, key)
    async with dispatcher.sessions() as db:
        person = await db.scalar(select(Participant).where(Participant.name == name))
        assert person is not None
        await rooms.add_moderator(db, session, person, dispatcher.clock.now())
        await db.commit()
    return user


async def _requests(dispatcher: Dispatcher) -> list[tuple[str, SpeakerStatus]]:
    async with dispatcher.sessions() as db:
        rows = await db.execute(
            select(Participant.name, SpeakerRequest.status)
            .join(Participant, SpeakerRequest.participant_id == Participant.id)
            .order_by(SpeakerRequest.id)
        )
        return [(name, status) for name, status in rows]


def _names_in_order(text: str) -> list[str]:
    """The names of a moderator's list, as numbered."""
    return [
        line.split(". ", 1)[1].split(" — ")[0]
        for line in text.splitlines()
        if line[:1].isdigit() and ". " in line
    ]


async def test_a_list_balanced_by_constituency_calls_people_in_order_in_their_languages(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    clock.set(DAY_2_OPENING)
    moderator = await _moderator_of(dispatcher, demo_event, "d2-opening", "Mara Moderator")
    people = {
        "Ana": await _person(dispatcher, demo_event, "Ana", language="es", region="latin_america"),
        "Bruno": await _person(dispatcher, demo_event, "Bruno", language="fr", region="africa"),
        "Carla": await _person(dispatcher, demo_event, "Carla", language="en", region="asia"),
        "Dmitri": await _person(
            dispatcher, demo_event, "Dmitri", Role.GOVERNMENT, "en", region="europe"
        ),
        "Emma": await _person(
            dispatcher, demo_event, "Emma", Role.INTERNATIONAL, "fr", region="global"
        ),
        "Fatou": await _person(
            dispatcher, demo_event, "Fatou", Role.GOVERNMENT, "es", region="africa"
        ),
    }
    answers = {}
    for name, user in people.items():
        clock.advance(timedelta(seconds=1))
        answers[name] = await user.send("/floor")
    assert "n.º 1 por ahora" in answers["Ana"]
    assert "n° 2 pour l’instant" in answers["Bruno"]
    assert "n.º 6 por ahora" in answers["Fatou"]
    # Nobody else's category reaches a participant.
    for answer in answers.values():
        for secret in ("Government", "Gobierno", "Europe", "Africa", "Afrique", "África"):
            assert secret not in answer

    shown = await moderator.send("/floor")
    assert "Speakers' list: Report back from Day 1 and opening plenary" in shown
    assert _names_in_order(shown) == ["Ana", "Bruno", "Carla", "Dmitri", "Emma", "Fatou"]
    assert "Dmitri — government representative · Europe" in shown
    assert "Rule: first come, first heard" in shown
    shown = await moderator.press("Constituencies")
    assert moderator.last[0].edit
    assert "Rule: constituencies alternate" in shown
    expected = ["Ana", "Dmitri", "Bruno", "Emma", "Carla", "Fatou"]
    assert _names_in_order(shown) == expected

    inboxes = Inboxes()
    for number, name in enumerate(expected):
        clock.advance(timedelta(minutes=2))  # a speaker's two minutes
        shown = await moderator.press(f"Call next: {name}")
        assert moderator.last[0].edit  # the moderator's message shows the new list
        assert f"{name} has the floor now" in shown
        assert _names_in_order(shown) == expected[number + 1 :]
        await deliver_all(dispatcher, inboxes)
    assert "Nobody is waiting for the floor." in shown

    given = {
        "es": "Tiene la palabra ahora",
        "fr": "Vous avez la parole maintenant",
        "en": "You have the floor now",
    }
    coming = {
        "es": "Es su turno después",
        "fr": "Vous êtes la prochaine personne",
        "en": "You are next",
    }
    languages = {"Ana": "es", "Bruno": "fr", "Carla": "en", "Dmitri": "en", "Emma": "fr",
                 "Fatou": "es"}  # fmt: skip
    for name, language in languages.items():
        received = inboxes.received[name]
        # Told once that they have the floor, in their language; told they come next (all
        # but the first).
        assert sum(given[language] in text for text in received) == 1, (name, received)
        assert sum(coming[language] in text for text in received) == (name != "Ana"), (
            name,
            received,
        )
    assert [status for _n, status in await _requests(dispatcher)] == [SpeakerStatus.CALLED] * 6
    # Delivering again sends nothing twice.
    assert await deliver_all(dispatcher, inboxes) == 0


# Day 1, 08:10: the opening plenary (d1-opening, civil society only) takes requests from 08:00.
DAY_1_MORNING = datetime(2017, 12, 2, 8, 10, tzinfo=MEETING_ZONE)


async def test_regions_first_then_second_turns_on_the_first_morning_by_typed_rule(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    """An organiser moderates every session: in French, they set the rule by typing it."""
    clock.set(DAY_1_MORNING)
    organiser = await _person(dispatcher, demo_event, "Olga", Role.ORGANISER, "fr")
    regions = [("Aïcha", "africa"), ("Aziz", "africa"), ("Bao", "asia"), ("Eva", "europe")]
    people = {
        name: await _person(dispatcher, demo_event, name, Role.FACILITATOR, "en", region)
        for name, region in regions
    }
    for user in people.values():
        clock.advance(timedelta(seconds=1))
        await user.send("/floor")
    shown = await organiser.send("/parole règle régions")
    assert "Règle : d’abord les régions pas encore entendues" in shown
    assert _names_in_order(shown) == ["Aïcha", "Bao", "Eva", "Aziz"]
    clock.advance(timedelta(minutes=2))
    shown = await organiser.send("/parole suivant")
    assert "Aïcha a la parole" in shown
    # Aïcha asks again: a second turn. First-time speakers go before her.
    clock.advance(timedelta(seconds=1))
    assert "number 4 for now" in await people["Aïcha"].send("/floor")
    shown = await organiser.send("/parole règle premières prises de parole")
    assert _names_in_order(shown) == ["Aziz", "Bao", "Eva", "Aïcha"]
    async with dispatcher.sessions() as db:
        rules = list((await db.execute(select(FloorSettings.speaker_rule))).scalars())
    assert rules == ["first_time"]
    assert "Quelle règle ?" in await organiser.send("/parole règle zzqx")


async def test_a_government_participant_cannot_ask_in_a_civil_society_only_session(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    clock.set(DAY_2_CIVIL_SOCIETY_ONLY)
    government = await _person(dispatcher, demo_event, "Gustavo", Role.GOVERNMENT, "es")
    answer = await government.send("/palabra")
    assert "no está abierta para usted" in answer
    assert "Mobilizing" in answer or "movilización" in answer
    # Nor through a button made for another session (forged, or from an old screen).
    session = await _session(dispatcher, demo_event, "d2-mobilizing-plenary-2")
    answer = await government.press_unseen(f"floor:ask:{session.id}")
    assert "no está abierta para usted" in answer
    assert await _requests(dispatcher) == []
    delegate = await _person(dispatcher, demo_event, "Dolores", language="es")
    assert "n.º 1 por ahora" in await delegate.send("/palabra")
    assert await _requests(dispatcher) == [("Dolores", SpeakerStatus.WAITING)]


async def test_moderator_buttons_pressed_by_anyone_else_are_refused_and_change_nothing(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    clock.set(DAY_2_OPENING)
    moderator = await _moderator_of(dispatcher, demo_event, "d2-opening", "Mara")
    # A moderator of another session is no moderator of this one.
    elsewhere = await _moderator_of(dispatcher, demo_event, "d1-panel-regional", "Rita")
    delegate = await _person(dispatcher, demo_event, "Ana", language="es")
    await delegate.send("/floor")
    shown = await moderator.send("/floor")
    presses = [choice.data for choice in moderator.choices]
    call = next(data for data in presses if data.startswith("floor:call:"))
    session = await _session(dispatcher, demo_event, "d2-opening")
    forged = [call, f"floor:rule:{session.id}:gender", f"floor:queue:{session.id}"]
    for presser in (delegate, elsewhere):
        for data in forged:
            answer = await presser.press_unseen(data)
            assert "reservado a quienes moderan" in answer or "Only the moderators" in answer
            assert not presser.last[0].edit  # the pressed message stays as it was
            assert "Ana" not in answer  # nor does it show the list
        assert "moderators" in await presser.send("/floor next") or "moderan" in presser.read()
        assert "moderators" in await presser.send("/floor rule gender") or "moderan" in (
            presser.read()
        )
    assert await _requests(dispatcher) == [("Ana", SpeakerStatus.WAITING)]
    async with dispatcher.sessions() as db:
        assert (await db.execute(select(FloorSettings))).first() is None
    assert await deliver_all(dispatcher, Inboxes()) == 0
    # In a group chat, not even the moderator acts (the list shows people's categories).
    moderator.private = False
    await moderator.press_unseen(call)
    assert await _requests(dispatcher) == [("Ana", SpeakerStatus.WAITING)]
    moderator.private = True
    assert "Ana has the floor now" in await moderator.press_unseen(call)
    assert "Ana" in shown


async def test_a_second_press_on_call_calls_nobody_else(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    """Two taps on the same button (or two moderators on the same screen) call one person."""
    clock.set(DAY_2_OPENING)
    moderator = await _moderator_of(dispatcher, demo_event, "d2-opening", "Mara")
    for name in ("Ana", "Bruno"):
        clock.advance(timedelta(seconds=1))
        await (await _person(dispatcher, demo_event, name)).send("/floor")
    await moderator.send("/floor")
    call = next(c.data for c in moderator.choices if c.data.startswith("floor:call:"))
    assert "Ana has the floor now" in await moderator.press_unseen(call)
    again = await moderator.press_unseen(call)
    assert "The list changed meanwhile" in again
    assert _names_in_order(again) == ["Bruno"]
    assert await _requests(dispatcher) == [
        ("Ana", SpeakerStatus.CALLED),
        ("Bruno", SpeakerStatus.WAITING),
    ]
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert inboxes.received["Ana"] == [
        "🎤 You have the floor now in Report back from Day 1 and opening plenary."
    ]
    assert len(inboxes.received["Bruno"]) == 1
    assert "You are next" in inboxes.received["Bruno"][0]


async def test_asking_again_says_where_one_stands_and_withdrawing_works(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    clock.set(DAY_2_OPENING)
    moderator = await _moderator_of(dispatcher, demo_event, "d2-opening", "Mara")
    ana = await _person(dispatcher, demo_event, "Ana")
    bruno = await _person(dispatcher, demo_event, "Bruno", language="fr")
    await ana.send("/floor")
    clock.advance(timedelta(seconds=1))
    assert "n° 2 pour l’instant" in await bruno.send("/parole")
    assert "déjà sur la liste des prises de parole" in await bruno.send("/parole")
    assert "n° 2 pour l’instant" in bruno.read()
    assert "You have left the speakers' list of Report back" in await ana.send("/floor cancel")
    assert "You are not on any speakers' list." in await ana.send("/floor cancel")
    assert _names_in_order(await moderator.send("/floor")) == ["Bruno"]
    # The button under the answer withdraws too, replacing the answer.
    assert "Vous avez retiré votre demande" in await bruno.press("Retirer ma demande")
    assert bruno.last[0].edit
    assert "Nobody is waiting for the floor." in await moderator.send("/floor")
    assert await _requests(dispatcher) == [
        ("Ana", SpeakerStatus.WITHDRAWN),
        ("Bruno", SpeakerStatus.WITHDRAWN),
    ]
    # Withdrawn, one may ask again: last in line.
    assert "number 1 for now" in await ana.send("/floor")
    assert "waiting" in await ana.send("/floor zzqx") or "/floor cancel" in ana.read()


async def test_several_sessions_open_at_once_are_offered_and_none_open_names_the_next(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    # 09:30 on Day 1: the opening plenary is not over and the regional panel opens at 09:20.
    clock.set(datetime(2017, 12, 2, 9, 30, tzinfo=MEETING_ZONE))
    ana = await _person(dispatcher, demo_event, "Ana")
    assert "Several sessions take requests for the floor now" in await ana.send("/floor")
    assert len(ana.choices) == 2
    panel = ana.choices[1].label
    answer = await ana.press(panel)
    assert f"You are on the speakers' list of {panel}: number 1 for now" in answer
    assert ana.last[0].edit
    # Over lunch on Day 1, nothing is open: the next session that takes requests is named.
    clock.set(datetime(2017, 12, 2, 12, 40, tzinfo=MEETING_ZONE))
    answer = await ana.send("/floor")
    assert "No session takes requests for the floor now. The next one is" in answer
    assert "Report back from Day 1 and opening plenary" in answer
    assert "Sun, Dec 3, 2017, 8:30" in answer
    # After the last one, nothing more to say.
    clock.set(datetime(2017, 12, 4, 12, 0, tzinfo=MEETING_ZONE))
    assert await ana.send("/floor") == "No session takes requests for the floor now."


async def test_mydata_lists_the_requests_for_the_floor_and_forget_deletes_them(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    clock.set(DAY_2_OPENING)
    moderator = await _moderator_of(dispatcher, demo_event, "d2-opening", "Mara")
    ana = await _person(dispatcher, demo_event, "Ana", language="es")
    bruno = await _person(dispatcher, demo_event, "Bruno")
    await ana.send("/palabra")
    await bruno.send("/floor")
    clock.advance(timedelta(minutes=1))
    await moderator.send("/floor next")
    await ana.send("/palabra")
    listed = await ana.send("/misdatos")
    assert listed.count("Solicitud de palabra: Informe del primer día") == 2
    assert "(palabra concedida)" in listed and "(en espera de la palabra)" in listed
    assert "Bruno" not in listed
    await ana.send("/olvidar")
    await ana.press("Sí")
    assert await _requests(dispatcher) == [("Bruno", SpeakerStatus.WAITING)]
    assert _names_in_order(await moderator.send("/floor")) == ["Bruno"]


async def _racing(
    sessions: SessionFactory, ready: asyncio.Barrier, act: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """`act` in a transaction of its own, set off together with the others (as in
    tests/test_tables_races.py: on PostgreSQL each has read before anyone writes; SQLite
    takes one writer at a time from BEGIN)."""
    async with sessions() as db:
        one_writer_at_a_time = db.get_bind().dialect.name == "sqlite"
        if one_writer_at_a_time:
            await ready.wait()
        await db.execute(select(SpeakerRequest.id))
        if not one_writer_at_a_time:
            await ready.wait()
        result = await act(db)
        await db.commit()
        return result


async def test_one_person_asking_twice_at_once_waits_once(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    clock.set(DAY_2_OPENING)
    async with sessions() as db:
        person = await make_participant(db, demo_event.id, clock.now())
        await db.commit()
    session_key, person_id = "d2-opening", person.id

    async def ask(db: AsyncSession) -> speakers.Asked:
        session = await rooms.by_key(db, demo_event, session_key)
        assert session is not None
        asking = await db.get_one(Participant, person_id)
        return (await speakers.ask(db, session, asking, clock.now())).outcome

    ready = asyncio.Barrier(3)
    outcomes = await asyncio.gather(*(_racing(sessions, ready, ask) for _ in range(3)))
    assert sorted(outcomes) == [speakers.Asked.ADDED, *[speakers.Asked.ALREADY] * 2]
    async with sessions() as db:
        count = await db.scalar(select(func.count()).select_from(SpeakerRequest))
    assert count == 1


async def test_two_moderators_calling_at_once_call_two_people_one_after_the_other(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    clock.set(DAY_2_OPENING)
    async with sessions() as db:
        session = await rooms.by_key(db, demo_event, "d2-opening")
        assert session is not None
        for _ in range(3):
            asking = await make_participant(db, demo_event.id, clock.now())
            await speakers.ask(db, session, asking, clock.now())
        await db.commit()
    session_id = session.id

    async def call(db: AsyncSession) -> int | None:
        called = await speakers.call_next(db, await db.get_one(Session, session_id), clock.now())
        return called.called.request.id if called.called else None

    ready = asyncio.Barrier(2)
    called = await asyncio.gather(*(_racing(sessions, ready, call) for _ in range(2)))
    assert None not in called and len(set(called)) == 2
    async with sessions() as db:
        statuses = (await db.execute(select(SpeakerRequest.status))).scalars()
        assert sorted(statuses) == [SpeakerStatus.CALLED] * 2 + [SpeakerStatus.WAITING]


async def _more_waiting(dispatcher: Dispatcher, event: Event, session: Session, count: int) -> None:
    """`count` more delegates waiting for the floor, one region each in turn."""
    regions = ["africa", "asia", "europe", "latin_america", "mena"]
    async with dispatcher.sessions() as db:
        people = await add_telegram_participants(db, event.id, count, first_chat_id=5_000_000)
        for number, region in enumerate(regions):
            await db.execute(
                update(Participant)
                .where(Participant.id.in_(people[number :: len(regions)]))
                .values(region=region)
            )
        start = dispatcher.clock.now()
        await db.execute(
            insert(SpeakerRequest),
            [
                {
                    "session_id": session.id,
                    "participant_id": person,
                    "status": SpeakerStatus.WAITING,
                    "created_at": start + timedelta(microseconds=n),
                }
                for n, person in enumerate(people)
            ],
        )
        await db.commit()


async def test_the_lists_cost_the_same_few_queries_for_10_and_300_waiting(
    dispatcher: Dispatcher,
    demo_event: Event,
    clock: SimulatedClock,
    count_queries: Callable[[], AbstractContextManager[Statements]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The event is read again after `RECENT` seconds of the machine's time: not while counting.
    monkeypatch.setattr(meeting, "RECENT", 3600.0)
    clock.set(DAY_2_OPENING)
    moderator = await _moderator_of(dispatcher, demo_event, "d2-opening", "Mara")
    ana = await _person(dispatcher, demo_event, "Ana", region="africa")
    session = await _session(dispatcher, demo_event, "d2-opening")
    await moderator.send("/floor rule region")
    await _more_waiting(dispatcher, demo_event, session, 10)
    clock.advance(timedelta(seconds=1))
    # After ten others: the two calls below (Africa, then Asia) leave her waiting, so each
    # /floor of hers says where she stands.
    await ana.send("/floor")

    async def costs() -> dict[str, int]:
        found = {}
        for name, user, text in (
            ("moderator /floor", moderator, "/floor"),
            ("participant /floor", ana, "/floor"),
            ("moderator /floor next", moderator, "/floor next"),
        ):
            clock.advance(timedelta(seconds=5))
            with count_queries() as queries:
                await user.send(text)
            found[name] = queries.count
        return found

    with_10 = await costs()
    await _more_waiting(dispatcher, demo_event, session, 290)
    with_300 = await costs()
    assert with_300 == with_10
    assert "299 waiting" in await moderator.send("/floor")  # Ana, and 300 less two called
    assert "… and 274 more" in moderator.read()
    assert "You are already on the speakers' list" in await ana.send("/floor")
