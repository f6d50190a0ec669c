"""What an HTTP request to the Slack endpoint must be before slack-bolt sees it: not too large,
signed by Slack (checked on the raw bytes, before anything is parsed), and of a shape Slack
sends. Anything else is answered 401, 413 or 400 and logged in one short line a minute, never
with a traceback (a client that floods the endpoint cannot fill the log)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Mapping
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

# What an HTTP request to our endpoint may be: Slack's bodies are a few kilobytes, and its
# deepest payloads (a message's blocks inside an interaction) nest about ten levels.
MAX_BODY = 1024 * 1024
MAX_DEPTH = 32
REFUSALS_LOGGED_EVERY = 60.0  # seconds: one log line per kind of refusal, however many come
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# The events, interactions and commands the adapter listens to; other kinds Slack may send
# are acknowledged and left alone.
_EVENTS = {"message", "app_mention", "app_home_opened"}
_INTERACTIONS = {"block_actions", "view_submission"}
_KNOWN_KINDS = {
    "event_callback",
    "app_rate_limited",
    "view_closed",
    "shortcut",
    "message_action",
    "block_suggestion",
    "interactive_message",
    "dialog_submission",
    "workflow_step_edit",
}


class RawBodyVerifier(SignatureVerifier):
    """slack_sdk's verifier (its five-minute window, its constant-time comparison) over the raw
    bytes: the stock one decodes the body as UTF-8 first and raises on bytes that are not."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        raw = body if isinstance(body, bytes) else body.encode()
        message = b"v0:" + timestamp.encode("ascii") + b":" + raw
        return "v0=" + hmac.new(self.signing_secret.encode(), message, hashlib.sha256).hexdigest()


class Refusals:
    """Logs refused requests in one short line per kind and minute, with how many there were:
    a client that floods the endpoint costs the log a line a minute, not a line a request."""

    def __init__(self, every: float = REFUSALS_LOGGED_EVERY) -> None:
        self.every = every
        self._last: dict[str, float] = {}
        self._since: dict[str, int] = {}

    def log(self, kind: str, detail: str, remote: str | None) -> None:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.every:
            self._since[kind] = self._since.get(kind, 0) + 1
            return
        more = self._since.pop(kind, 0)
        self._last[kind] = now
        log.warning(
            "Slack: refused a request (%s: %s) from %s%s",
            kind,
            detail,
            remote or "?",
            f"; {more} more refused since the previous line" if more else "",
        )


class BadBody(ValueError):
    """A signed body that is not one of the shapes Slack sends (answered 400)."""


class Verdict(Enum):
    HANDLE = "handle"
    IGNORE = "ignore"  # a kind of request we do not listen to: 200, nothing done


def parse_body(text: str, content_type: str) -> dict[str, Any]:
    """The body of a request: JSON when so declared or shaped (as slack-bolt reads it), else a
    form, whose `payload` field, when there is one, holds an interaction's JSON; BadBody when it
    is none of these or not a JSON object."""
    try:
        parsed: Any
        if content_type == "application/json" or text.startswith("{"):
            parsed = json.loads(text)
        else:
            fields = dict(parse_qsl(text, keep_blank_values=True))
            parsed = json.loads(fields["payload"]) if "payload" in fields else fields
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise BadBody("not JSON" if not isinstance(error, RecursionError) else "nested") from None
    if not isinstance(parsed, dict):
        raise BadBody(f"a JSON {type(parsed).__name__}, not an object")
    if _depth(parsed) > MAX_DEPTH:
        raise BadBody("nested too deeply")
    return parsed


def _depth(value: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def _need(container: Any, key: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
    value = container.get(key) if isinstance(container, dict) else None
    if value is None and optional:
        return None
    if not isinstance(value, kind):
        raise BadBody(f"{key}: missing or of the wrong type")
    return value


def check_body(body: dict[str, Any]) -> Verdict:
    """What to do with a parsed body: every field that bolt or our listeners read is checked to
    be there and of the type Slack sends, so no request Slack could not have sent ends in a
    traceback. BadBody for a body of the wrong shape."""
    for key in ("team", "enterprise", "channel", "user"):  # bolt reads each as an id or object
        _need(body, key, (dict, str), optional=True)
    for key in ("team_id", "enterprise_id", "api_app_id", "trigger_id", "type"):
        _need(body, key, str, optional=True)
    authorizations = _need(body, "authorizations", list, optional=True) or []
    if not all(isinstance(entry, dict) for entry in authorizations):
        raise BadBody("authorizations: not objects")
    if "command" in body:  # a slash command's form
        for key in ("command", "user_id", "channel_id", "trigger_id", "text"):
            _need(body, key, str)
        return Verdict.HANDLE
    kind = body.get("type")
    if kind == "url_verification":
        _need(body, "challenge", str)
        return Verdict.HANDLE
    if "ssl_check" in body:
        return Verdict.HANDLE
    if kind == "event_callback":
        _need(body, "event_id", str)
        event = _need(body, "event", dict)
        _need(event, "type", str)
        for key in ("user", "channel", "text", "channel_type", "subtype", "bot_id", "tab"):
            _need(event, key, str, optional=True)
        return Verdict.HANDLE if event["type"] in _EVENTS else Verdict.IGNORE
    if kind in _INTERACTIONS:
        _need(_need(body, "user", dict), "id", str)
        _need(body, "trigger_id", str)
        if kind == "block_actions":
            actions = _need(body, "actions", list)
            if not actions:
                raise BadBody("actions: empty")
            for action in actions:
                _need(action, "action_id", str)
                _need(action, "value", str, optional=True)
            container = _need(body, "container", dict, optional=True) or {}
            for key in ("type", "channel_id", "message_ts"):
                _need(container, key, str, optional=True)
            if isinstance(body.get("channel"), dict):
                _need(body["channel"], "id", str, optional=True)
        else:
            view = _need(body, "view", dict)
            _need(view, "callback_id", str)
            _need(view, "private_metadata", str, optional=True)
            state = _need(view, "state", dict, optional=True) or {}
            for actions in (_need(state, "values", dict, optional=True) or {}).values():
                for field_state in actions.values() if isinstance(actions, dict) else [None]:
                    if not isinstance(field_state, dict):
                        raise BadBody("view.state.values: not objects")
                    _need(field_state, "type", str, optional=True)
                    _need(field_state, "value", str, optional=True)
                    selected = _need(field_state, "selected_option", dict, optional=True)
                    _need(selected or {}, "value", str, optional=True)
        return Verdict.HANDLE
    if kind in _KNOWN_KINDS:
        if kind == "view_closed":
            _need(_need(body, "view", dict), "callback_id", str)
        return Verdict.IGNORE
    raise BadBody("not a request Slack sends")


def signature_problem(
    verifier: SignatureVerifier | None, raw: bytes, headers: Mapping[str, str]
) -> str | None:
    """None when `raw` carries Slack's valid, recent signature; else why not, in a few words.
    The headers are checked to be what Slack sends first: slack_sdk would raise on a timestamp
    that is not a number or a signature that is not ASCII."""
    timestamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if timestamp is None or signature is None:
        return "unsigned"
    if verifier is None:
        return "no signing secret"
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return "malformed signature headers"
    if not verifier.is_valid(body=raw, timestamp=timestamp, signature=signature):
        return "bad or stale signature"
    return None
