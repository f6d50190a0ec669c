"""What /metrics counts for an operator watching the bot: Slack's answers 429 (the message still
goes out after Retry-After) and the calls to the translation service by outcome. Read from
prometheus_client's registry, which /metrics shows (tests/test_health.py serves it)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from bot.db import SessionFactory
from bot.delivery import outbox
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.groups import GroupPost
from bot.models import ChatIdentity, Event, OutboxMessage, OutboxStatus, Role
from bot.platforms.slack import SlackAdapter
from bot.translation.libretranslate import NAME as LIBRETRANSLATE
from bot.translation.provider import TranslationUnavailable
from handlers import build_notices
from tests.support.factories import make_participant
from tests.support.fake_slack import FakeSlack
from tests.support.fake_translation import QUICK, FakeLibreTranslate, translator_for

TEXT = "Hola. Gracias."
DONE = "[en] Hola. [en] Gracias."


def rate_limited(platform: str) -> float:
    return REGISTRY.get_sample_value("coordbot_rate_limited_total", {"platform": platform}) or 0


def translation_calls(outcome: str) -> float:
    labels = {"provider": LIBRETRANSLATE, "outcome": outcome}
    return REGISTRY.get_sample_value("coordbot_translation_calls_total", labels) or 0


async def test_a_slack_429_is_counted_and_the_message_still_delivered(
    fake_slack: FakeSlack,
    slack: SlackAdapter,
    sessions: SessionFactory,
    demo_event: Event,
    dispatcher: Dispatcher,
) -> None:
    now = dispatcher.clock.now()
    async with sessions() as db:
        person = await make_participant(db, demo_event.id, now, role=Role.CIVIL_SOCIETY)
        db.add(
            ChatIdentity(
                platform="slack",
                external_id="U123",
                participant_id=person.id,
                created_at=now,
                last_seen_at=now,
            )
        )
        await db.flush()
        post = GroupPost(group={"en": "Firewalls"}, text="Hi")
        await outbox.enqueue(db, "test:429", person.id, post, now)
        await db.commit()
    fake_slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=1)
    slack_before, telegram_before = rate_limited("slack"), rate_limited("telegram")

    worker = DeliveryWorker(sessions, dispatcher.clock, build_notices(), {"slack": slack})
    while await worker.deliver_due():
        pass

    async with sessions() as db:
        assert (await db.execute(select(OutboxMessage.status))).scalars().all() == [
            OutboxStatus.DELIVERED
        ]
    refused, delivered = fake_slack.of("chat.postMessage")
    assert refused.params["text"] == delivered.params["text"]
    assert delivered.at - refused.at >= 1  # Retry-After waited out
    assert rate_limited("slack") == slack_before + 1
    assert rate_limited("telegram") == telegram_before


async def test_translation_calls_are_counted_once_each_with_their_outcome(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    ok, failed, refused = (translation_calls(o) for o in ("ok", "failed", "refused"))
    async with translator_for(fake_libretranslate) as translator:
        assert await translator.translate(TEXT, "es", "en") == DONE
        assert translation_calls("ok") == ok + 1

        # Two passing errors, then an answer: one call, counted once, as a success.
        fake_libretranslate.fail_next(2, 503)
        assert await translator.translate(TEXT, "es", "en") == DONE
        assert translation_calls("ok") == ok + 2
        assert translation_calls("failed") == failed

        # The service down for every attempt: one failed call.
        fake_libretranslate.fail_next(QUICK.attempts, 503)
        with pytest.raises(TranslationUnavailable):
            await translator.translate(TEXT, "es", "en")
        assert translation_calls("failed") == failed + 1

        # A request the service refuses (not its fault): counted apart from failures.
        fake_libretranslate.fail_next(1, 400)
        with pytest.raises(TranslationUnavailable, match="400"):
            await translator.translate(TEXT, "es", "en")
        assert translation_calls("refused") == refused + 1
    assert translation_calls("ok") == ok + 2
    assert translation_calls("failed") == failed + 1
