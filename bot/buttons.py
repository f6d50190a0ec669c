"""Typed button data: what a button carries, packed into the string a platform keeps and read
back in one place (as aiogram's `CallbackData`).

    class JoinButton(Button, prefix="join"):
        round_id: int
        act: int

    Choice(label, JoinButton(round_id=7, act=3).pack())   # "join:7:3"
    JoinButton.unpack("join:7:3")                          # JoinButton(round_id=7, act=3)

The wire format is the one the bot has always written, so that buttons already on people's
screens keep working: `prefix:field:field…`, fields in the order they are declared. A prefix may
itself hold a colon (`mail:read`): one kind per action of a family of buttons.

Fields are of four simple types:
- `int`: ASCII digits only, bounded (see `bot.numbers`); anything else is no button of this kind.
- `int | None`: the same, or None when it is missing or no such number (the handler answers a
  wrong number as it answers one typed).
- `str`: any text; the last field takes the rest of the data, colons included.
- `str | None`: the same, or None when missing.
Trailing None fields are left out when packing (`survey:go:12`, not `survey:go:12::`). A button
without fields reads nothing after its prefix and ignores what an older version put there.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, ClassVar, Self, dataclass_transform

from bot.text.numbers import parse_number

# Telegram keeps at most 64 bytes of callback data per button; the other platforms more.
LIMIT = 64


class ButtonError(ValueError):
    """Data that is no button of this kind (an older version's, or forged)."""


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    kind: type[int] | type[str]
    optional: bool


@dataclass_transform(frozen_default=True)
class Button:
    """The base of every kind of button. Subclasses are frozen dataclasses, made so here."""

    prefix: ClassVar[str]
    # The command whose screen shows the button: named when the button is refused.
    command: ClassVar[str]
    _fields: ClassVar[tuple[_Field, ...]]

    def __init_subclass__(cls, *, prefix: str, command: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or any(part == "" for part in prefix.split(":")):
            raise ValueError(f"{cls.__name__}: no empty prefix or prefix part")
        cls.prefix = prefix
        cls.command = command or prefix.partition(":")[0]
        dataclasses.dataclass(frozen=True)(cls)  # in place: the class gets __init__, __eq__…
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(typing.cast(Any, cls))]
        cls._fields = tuple(_field(cls, name, hints[name]) for name in names)

    def pack(self) -> str:
        """The data to put on a button; raises ValueError when it would not come back as this
        very value, or is longer than a platform keeps."""
        values: list[str | None] = []
        for spec in self._fields:
            value = getattr(self, spec.name)
            values.append(None if value is None else str(value))
        while values and values[-1] is None:
            values.pop()
        if None in values:
            raise ValueError(f"{self!r}: only the last fields may be None")
        data = self.prefix + ":" + ":".join(typing.cast(list[str], values))
        if len(data.encode("utf-8")) > LIMIT:
            raise ValueError(f"{data!r} is over {LIMIT} bytes of UTF-8")
        try:
            unpacked = self.unpack(data)
        except ButtonError as error:
            raise ValueError(f"{self!r} does not pack: {error}") from None
        if unpacked != self:
            raise ValueError(f"{self!r} packs as {data!r}, which reads back as {unpacked!r}")
        return data

    @classmethod
    def unpack(cls, data: str) -> Self:
        """The button `data` stands for; ButtonError when it is no button of this kind."""
        if data != cls.prefix and not data.startswith(cls.prefix + ":"):
            raise ButtonError(f"{data!r} does not start with {cls.prefix!r}")
        if not cls._fields:
            return cls()
        rest = data[len(cls.prefix) + 1 :]
        parts = rest.split(":", len(cls._fields) - 1) if data != cls.prefix else []
        values: dict[str, int | str | None] = {}
        for index, spec in enumerate(cls._fields):
            raw = parts[index] if index < len(parts) else None
            value: int | str | None = raw
            if raw is not None and spec.kind is int:
                value = parse_number(raw)
            if value is None and not spec.optional:
                raise ButtonError(f"{data!r}: no {spec.name}")
            values[spec.name] = value
        return cls(**values)


def _field(cls: type, name: str, hint: Any) -> _Field:
    args = set(typing.get_args(hint))
    if hint in (int, str):
        return _Field(name, hint, optional=False)
    if typing.get_origin(hint) in (typing.Union, _UnionType) and len(args) == 2:
        (kind,) = args - {type(None)} or {None}
        if kind in (int, str) and type(None) in args:
            return _Field(name, kind, optional=True)
    raise TypeError(f"{cls.__name__}.{name}: a button field is int, str, int | None or str | None")


_UnionType = type(int | None)
