"""The speakers' list (/floor): the order each rule gives, unit by unit; then, through the real
router and database on the demo programme, a list balanced by constituency called in the
expected order with each person told in their language, the sessions a person may not take
part in, moderators' buttons refused to anyone else, withdrawing, and /mydata and /forget."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.clock import SimulatedClock
from bot.dispatcher import Dispatcher
from bot.floor import rooms
from bot.floor.speakers import Constituency, Gender, Rule, Speaker, order
from bot.models import (
    Event,
    Participant,
    Role,
    Session,
    SpeakerRequest,
    SpeakerStatus,
)
from tests.support.chat import ChatUser, registered
from tests.support.demo import MEETING_ZONE
from tests.support.outbox import Inboxes, deliver_all

CS = Constituency.CIVIL_SOCIETY
GOV = Constituency.GOVERNMENTS
INT = Constituency.INTERNATIONAL
W = Gender.WOMAN
M = Gender.MAN

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
