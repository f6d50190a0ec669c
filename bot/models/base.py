"""Declarative base, naming convention and the column types shared by every model.

Every text a model stores goes through `CleanString`, `CleanText` or `CleanJSON`, which make
it `storable` on the way in, whatever it came from (mail headers, chat names, texts, button
data): tests/test_architecture.py checks that no model column escapes them.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, MetaData, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute
from sqlalchemy.sql import operators
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.types import TypeEngine

# Constraint names are spelled out so that migrations name the same constraint the same way on
# SQLite and PostgreSQL, and a later migration can drop it by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Texts = dict[str, str]
"""One human-readable text per language code, e.g. {"en": "Lunch", "fr": "Déjeuner"}."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored in UTC.

    SQLite keeps no offset, so values come back naive; this type makes every value aware UTC on
    the way in and out, on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# What no column keeps: NUL (PostgreSQL's text refuses it; its json keeps it only as an escape
# that every json function then refuses) and lone surrogates (UTF-8 cannot encode them, so
# neither database driver sends them).
_REFUSED = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_JOINER = "\u200d"


def storable(value: str, length: int | None = None) -> str:
    """`value` as a column keeps it: without NUL, lone surrogates shown as U+FFFD, and at most
    `length` characters (as PostgreSQL counts them), never cut inside a character."""
    if _REFUSED.search(value):
        value = _SURROGATE.sub("\ufffd", value.replace("\x00", ""))
    if length is not None and len(value) > length:
        value = value[: _cut_at(value, length)]
    return value


def _cut_at(value: str, length: int) -> int:
    """Where to cut so that no accent, joiner, modifier or half flag is parted from the
    character it belongs to; a hard cut when the whole start is one such character."""
    cut = length
    while cut > 0 and _continues(value, cut):
        cut -= 1
    return cut or length


def _continues(value: str, at: int) -> bool:
    """Whether `value[at]` belongs to the character before it."""
    char = value[at]
    if value[at - 1] == _JOINER or char == _JOINER:
        return True
    if unicodedata.category(char) in ("Mn", "Mc", "Me"):  # accents, vowel signs, keycaps
        return True
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:  # skin tones, flag tags
        return True
    if _regional_indicator(char):  # a flag is two of them: a second one continues the first
        before = at
        while before > 0 and _regional_indicator(value[before - 1]):
            before -= 1
        return (at - before) % 2 == 1
    return False


def _regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


# Compared with stored values for equality, a value is made what storing it would make it
# (so that a key stored cut is found again); in a pattern (LIKE) it is cleaned but not cut.
_EQUALITY = {
    operators.eq,
    operators.ne,
    operators.in_op,
    operators.not_in_op,
    operators.is_distinct_from,
    operators.is_not_distinct_from,
}


class CleanString(TypeDecorator[str]):
    """VARCHAR(length), whose values are stored `storable` (see the module's docstring)."""

    impl = String
    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        super().__init__(length)
        self.length = length  # named here, so that statements cache per length

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if not isinstance(value, str):
            return value
        return storable(value, self.length)

    def coerce_compared_value(self, op: OperatorType | None, value: Any) -> TypeEngine[Any]:
        return self if op in _EQUALITY else _UNCUT


_UNCUT = CleanString()


class CleanText(CleanString):
    """TEXT, whose values are stored `storable`."""

    impl = Text
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(None)


class CleanJSON(TypeDecorator[Any]):
    """JSON whose strings (keys and values, at any depth) are stored `storable`, uncut."""

    impl = JSON
    cache_ok = True
    should_evaluate_none = True  # as JSON's: None is written as JSON null, not left out

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return _clean_json(value)


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {_clean_json(key): _clean_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(item) for item in value]
    return value


def stored(attribute: QueryableAttribute[Any], value: str | None) -> str | None:
    """`value` as `attribute`'s column keeps it, to compare with what is stored."""
    return None if value is None else storable(value, getattr(attribute.type, "length", None))


def enum_column(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum: a VARCHAR with a named CHECK constraint, values stored as written."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        str: CleanString,
        Texts: CleanJSON,
        list[str]: CleanJSON,
        dict[str, Any]: CleanJSON,
        datetime: UTCDateTime,
    }
