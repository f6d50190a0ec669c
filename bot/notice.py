"""Notices: what the bot sends on its own, typed. One frozen dataclass per kind, defined beside
the domain code that queues it, stored in an outbox row as `kind` plus a JSON payload.

The payload is the dataclass's fields by name (datetimes as ISO strings, nested dataclasses as
objects), exactly what the code wrote before notices were typed, so that rows queued by an
older version still decode. Decoding checks each value against its field's type: a row that
does not fit is refused with a reason (the worker gives it up), never half-rendered.

`Notices` is the registry the delivery worker renders with: for each kind its type, its
renderer, and an optional loader that reads from the database what the notice refers to.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import Reply
from bot.text.i18n import use_language

# Field metadata: a value read from a row when present but never written (a value older
# versions stored, or one the worker adds when the notice leaves).
NOT_STORED: Mapping[str, bool] = types.MappingProxyType({"stored": False})


class UndecodableNotice(ValueError):
    """An outbox row whose kind is unknown or whose payload does not fit its notice."""


@dataclass(frozen=True)
class Notice:
    """The base of every notice: subclasses are frozen dataclasses with a `kind`."""

    kind: ClassVar[str]

    def encode(self) -> dict[str, Any]:
        """The outbox payload."""
        encoded = _encode(self)
        assert isinstance(encoded, dict)
        return encoded

    @classmethod
    def decode(cls, payload: Mapping[str, Any]) -> Self:
        """The notice a payload holds; raises UndecodableNotice when it does not fit."""
        if not isinstance(payload, Mapping):
            raise UndecodableNotice(f"{cls.kind}: the payload is not an object")
        return _decode_dataclass(cls, payload, cls.kind)

    def leaving(self, now: datetime) -> Self:
        """The notice as it leaves at `now` (a reminder counts the minutes from then)."""
        return self

    def urgent_from(self) -> datetime | None:
        """From when the notice is urgent: it then reaches a reader in data-saver mode at once
        rather than in their daily digest (None: never; `ALWAYS`: from the start). The kinds
        concerned say so (a session reminder, a change to a session about to start)."""
        return None

    def is_urgent(self, now: datetime) -> bool:
        moment = self.urgent_from()
        return moment is not None and moment <= now


# What `Notice.urgent_from` returns for a notice urgent from the start.
ALWAYS = datetime.min.replace(tzinfo=UTC)


def _encode(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _encode(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.metadata.get("stored", True)
        }
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    return value


_Decoded = TypeVar("_Decoded")


_FIELDS: dict[type, list[tuple[dataclasses.Field[Any], Any]]] = {}


def _fields(cls: type) -> list[tuple[dataclasses.Field[Any], Any]]:
    """Each field of a dataclass set at creation, with its type (annotations are strings, read
    once per class: reading them was most of what decoding a row cost)."""
    if cls not in _FIELDS:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        _FIELDS[cls] = [(field, hints[field.name]) for field in fields if field.init]
    return _FIELDS[cls]


def _decode_dataclass(cls: type[_Decoded], data: Mapping[str, Any], where: str) -> _Decoded:
    values: dict[str, Any] = {}
    for field, hint in _fields(cls):
        if field.name not in data:
            missing = field.default is dataclasses.MISSING
            if missing and field.default_factory is dataclasses.MISSING:
                raise UndecodableNotice(f"{where}: {field.name} is missing")
            continue
        values[field.name] = _decode(data[field.name], hint, f"{where}.{field.name}")
    return cls(**values)


def _decode(value: Any, hint: Any, where: str) -> Any:
    """`value` read as `hint` (the JSON types, datetimes, unions, lists, tuples, dicts and
    nested dataclasses that notices use)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if hint is type(None):
        if value is None:
            return None
    elif origin in (types.UnionType, typing.Union):
        for option in typing.get_args(hint):
            try:
                return _decode(value, option, where)
            except UndecodableNotice:
                continue
    elif hint is datetime:
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif origin is list:
        if isinstance(value, list):
            (item,) = typing.get_args(hint)
            return [_decode(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    elif origin is tuple:
        if isinstance(value, list | tuple):
            args = typing.get_args(hint)
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(_decode(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
            if len(args) == len(value):
                return tuple(
                    _decode(v, a, f"{where}[{i}]")
                    for i, (v, a) in enumerate(zip(args, value, strict=True))
                )
    elif origin is dict:
        if isinstance(value, dict):
            key_type, item = typing.get_args(hint)
            return {
                _decode(k, key_type, where): _decode(v, item, f"{where}[{k!r}]")
                for k, v in value.items()
            }
    elif isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if isinstance(value, Mapping):
            return _decode_dataclass(hint, value, where)
    elif isinstance(hint, type) and isinstance(value, str | int) and issubclass(hint, str | int):
        try:  # an enum stored by its value
            return hint(value)
        except ValueError:
            pass
    else:
        raise TypeError(f"{where}: notices cannot hold a {hint!r}")
    raise UndecodableNotice(f"{where}: {value!r:.60} is not a {_name(hint)}")


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint)


N = TypeVar("N", bound=Notice)
R = TypeVar("R")


@dataclass(frozen=True)
class _Entry:
    type: type[Notice]
    render: Callable[[Any], Reply]
    load: Callable[[AsyncSession, Any], Awaitable[Any]] | None


class Notices:
    """Each notice kind's type, renderer and optional loader. Filled in one place
    (`handlers.build_notices`), handed to the delivery worker."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        # For a reader in data-saver mode: a notice's files (list mail attachments) replaced
        # by a button that sends them on request (given the reply and its outbox row's id).
        self.files_as_links: Callable[[Reply, int], Reply] = lambda reply, _row: reply

    @overload
    def register(self, notice: type[N], render: Callable[[N], Reply]) -> None: ...

    @overload
    def register(
        self,
        notice: type[N],
        render: Callable[[R], Reply],
        *,
        load: Callable[[AsyncSession, N], Awaitable[R]],
    ) -> None: ...

    def register(
        self,
        notice: type[Notice],
        render: Callable[[Any], Reply],
        *,
        load: Callable[[AsyncSession, Any], Awaitable[Any]] | None = None,
    ) -> None:
        """`render` turns the notice into a message, in the reader's language; with `load`,
        it turns what `load` read for the notice from the database."""
        if notice.kind in self._entries:
            raise ValueError(f"notice {notice.kind!r} is registered twice")
        self._entries[notice.kind] = _Entry(notice, render, load)

    @property
    def kinds(self) -> list[str]:
        return list(self._entries)

    def decode(self, kind: str, payload: object) -> Notice:
        """The notice of an outbox row; raises UndecodableNotice."""
        entry = self._entries.get(kind)
        if entry is None:
            raise UndecodableNotice(f"no notice is registered for the kind {kind!r}")
        if not isinstance(payload, Mapping):
            raise UndecodableNotice(f"{kind}: the payload is not an object")
        return entry.type.decode(payload)

    async def render(self, db: AsyncSession, notice: Notice, language: str) -> Reply:
        """The message a notice makes, loaded from `db` if its kind needs it."""
        entry = self._entries[notice.kind]
        with use_language(language):  # a loader may write words (a pack) or render (a digest)
            data = await entry.load(db, notice) if entry.load is not None else notice
            return dataclasses.replace(entry.render(data), notice=notice.kind, language=language)
