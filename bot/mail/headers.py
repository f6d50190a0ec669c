"""Headers cut to size before the standard library's header parser sees them.

That parser is quadratic on a long header: a Subject of 12,000 encoded words (264 KB) cost
1.5 GB, a 1.3 MB From: 25 s. No header of real mail comes near 16 KB, so each is cut there (at
a word, or for addresses at a comma, so that what is kept still reads), and once a mail's
headers, all parts counted, pass 1 MB the rest are emptied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import EmailPolicy
from typing import TYPE_CHECKING, Any

HEADER_LIMIT = 16_000  # characters of one header's value
HEADERS_LIMIT = 1_000_000  # characters of all the headers of one mail, its parts included
_ADDRESS_HEADERS = frozenset({"from", "sender", "reply-to", "to", "cc", "bcc"})


@dataclass
class HeaderBudget:
    """What one mail may still spend on headers, and what was cut (for ParsedMail.problems)."""

    left: int = HEADERS_LIMIT
    cut: list[str] = field(default_factory=list)


if TYPE_CHECKING:
    _Policy = EmailPolicy[EmailMessage]
else:
    _Policy = EmailPolicy  # not subscriptable at run time


class CappedPolicy(_Policy):
    """email.policy.default, with each header cut to size as the feed parser reads it (every
    part, forwarded messages included, goes through here). One instance per mail."""

    budget: HeaderBudget | None = None

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        budget = self.budget
        if budget is None:
            return name, value
        if len(value) > HEADER_LIMIT:
            budget.cut.append(f"{name} header cut at {HEADER_LIMIT // 1000} kB")
            value = cut(value, comma=name.lower() in _ADDRESS_HEADERS)
            if name.lower() == "subject":
                value += " …"
        if len(value) > budget.left:
            if budget.left >= 0:
                budget.cut.append(f"headers over {HEADERS_LIMIT // 1000} kB emptied")
                budget.left = -1
            return name, ""
        budget.left -= len(name) + len(value)
        return name, value


def cut(value: str, *, comma: bool) -> str:
    """The value's start, ended at the last whole word (or address) that fits."""
    head = value[:HEADER_LIMIT]
    at = head.rfind(",") if comma else -1
    if at < HEADER_LIMIT // 2:
        at = max(head.rfind(" "), head.rfind("\t"), head.rfind("\n"))
    return (head[:at] if at > 0 else head).rstrip()


def capped_policy() -> CappedPolicy:
    fresh: dict[str, Any] = {"budget": HeaderBudget()}  # a keyword the stubs do not know
    return CappedPolicy(**fresh)
