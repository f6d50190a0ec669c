"""The printable pack's layout: already translated strings in, PDF bytes out. Pure and slow
(fonts, QR codes), so it runs in a worker thread (`asyncio.to_thread`), never on the event loop.

A pack whose every character Windows-1252 has (English, French and Spanish, with œ, ’, « », ¿
and €) is set in Helvetica, one of the fonts every PDF reader has: nothing is embedded, so the
file is a sixth of the size (roaming data) and made three times faster. Any other pack (a name
in Vietnamese or Polish) is set in the DejaVu Sans that matplotlib ships (no download), which
covers far more; a character it lacks (an emoji) is left out rather than drawn as a box.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import matplotlib
import segno
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont
from segno import DataOverflowError

FONT = "dejavu"
CORE_FONT = "helvetica"
CORE_ENCODING = "windows-1252"
# Spaces Babel writes in French and Spanish dates and times that Windows-1252 lacks: drawn as
# the no-break space it has.
_CORE_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2009": "\u00a0", "\u2007": "\u00a0"})
QR_SIZE = 28  # millimetres: scans well from a printed page or a phone screen
LINE = 5.5  # millimetres per line of body text
TIME_WIDTH = 40  # millimetres: "11:15 AM – 12:15 PM" on one line


@dataclass(frozen=True)
class Entry:
    """One session of a day: its time, its title, and lines under them (venue, seat…)."""

    time: str
    title: str
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Day:
    heading: str
    entries: list[Entry]


@dataclass(frozen=True)
class Place:
    """A venue: its name, its address, and the link its QR code holds."""

    name: str
    address: str
    map_url: str | None
    scan: str  # the words beside the QR code


@dataclass(frozen=True)
class Section:
    heading: str
    lines: list[str]


@dataclass(frozen=True)
class PackPage:
    """The whole pack, in the reader's words."""

    title: str
    subtitle: str
    checkin_heading: str
    checkin_note: str
    checkin_link: str
    days_heading: str
    days: list[Day]
    seats: Section
    interpretation: Section
    venues_heading: str
    venues: list[Place]
    contacts: Section


def render(page: PackPage) -> bytes:
    """The pack as a PDF."""
    pdf = _Document(core=_fits_core(page))
    pdf.add_page()
    pdf.heading(page.title, size=16)
    pdf.paragraph(page.subtitle)
    pdf.heading(page.checkin_heading)
    pdf.qr_beside(page.checkin_link, [page.checkin_note])
    pdf.heading(page.days_heading)
    for day in page.days:
        _day(pdf, day)
    for section in (page.seats, page.interpretation):
        _section(pdf, section)
    pdf.heading(page.venues_heading)
    for place in page.venues:
        _place(pdf, place)
    _section(pdf, page.contacts)
    return bytes(pdf.output())


def _day(pdf: _Document, day: Day) -> None:
    pdf.heading(day.heading, size=11)
    for entry in day.entries:
        pdf.entry(entry)


def _section(pdf: _Document, section: Section) -> None:
    pdf.heading(section.heading)
    for line in section.lines:
        pdf.paragraph(line)


def _place(pdf: _Document, place: Place) -> None:
    lines = [place.address] if place.address else []
    if place.map_url:
        pdf.qr_beside(
            place.map_url, [place.name, *lines, place.scan], bold_first=True, drop_last=True
        )
    else:
        pdf.paragraph(place.name, bold=True)
        for line in lines:
            pdf.paragraph(line)


def _fits_core(page: PackPage) -> bool:
    """Whether every word of the page can be set in Helvetica (Windows-1252)."""
    words: list[str] = [
        page.title,
        page.subtitle,
        page.checkin_heading,
        page.checkin_note,
        page.days_heading,
        page.venues_heading,
    ]
    for day in page.days:
        words.append(day.heading)
        for entry in day.entries:
            words += [entry.time, entry.title, *entry.details]
    for section in (page.seats, page.interpretation, page.contacts):
        words += [section.heading, *section.lines]
    for place in page.venues:
        words += [place.name, place.address, place.scan]
    try:
        "\n".join(words).translate(_CORE_SPACES).encode(CORE_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


@cache
def _font_files() -> tuple[Path, Path]:
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return fonts / "DejaVuSans.ttf", fonts / "DejaVuSans-Bold.ttf"


@cache
def _parsed_font(style: str) -> TTFFont:
    """The font as fpdf2's `add_font` reads it: its widths and glyph ids of some 6,000
    characters, read once a process (it took half the time of every pack)."""
    regular, bold = _font_files()
    reader = FPDF()
    reader.add_font(FONT, style, str(bold if style == "B" else regular))
    font = reader.fonts[FONT + style]
    assert isinstance(font, TTFFont)
    return font


def _font_for(pdf: FPDF, style: str) -> TTFFont:
    """A document's own copy of the parsed font: what it shares is only read; what a document
    changes (the glyphs it uses, and the font file, which fpdf2 cuts down to them in place when
    writing) is its own. fpdf2's `TTFFont.__deepcopy__` shares the same parts."""
    parsed = _parsed_font(style)
    font = copy.copy(parsed)
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(parsed.ttffile, recalcTimestamp=False, lazy=True)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    return font


@cache
def _glyphs() -> frozenset[int]:
    return frozenset(_parsed_font("").cmap)


class _Document(FPDF):
    def __init__(self, core: bool = False) -> None:
        super().__init__(format="A4")
        self._core = core
        if core:
            self.core_fonts_encoding = CORE_ENCODING
            self._family = CORE_FONT
        else:
            # As add_font(FONT, style, file) would, without reading the file again.
            for style in ("", "B"):
                self.fonts[FONT + style] = _font_for(self, style)
            self._family = FONT
            self._glyphs = _glyphs()
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title("")  # no metadata beyond what the pages show

    def printable(self, text: str) -> str:
        """`text` as the font can draw it: in Helvetica, with the spaces it has; in DejaVu,
        without the characters it lacks (emoji, rare scripts)."""
        if self._core:
            return text.translate(_CORE_SPACES)
        return "".join(ch for ch in text if ord(ch) in self._glyphs or ch == "\n")

    def heading(self, text: str, size: int = 13) -> None:
        self.ln(2)
        self.set_font(self._family, "B", size)
        self.multi_cell(
            0, size * 0.5, self.printable(text), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        self.ln(1)

    def paragraph(self, text: str, bold: bool = False, indent: float = 0) -> None:
        self.set_font(self._family, "B" if bold else "", 10)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, LINE, self.printable(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def entry(self, entry: Entry) -> None:
        """The time in a narrow column, the title and its details beside it."""
        if self.will_page_break(LINE * (1 + len(entry.details))):
            self.add_page()
        top = self.get_y()
        self.set_font(self._family, "B", 9)
        self.multi_cell(
            TIME_WIDTH, LINE, self.printable(entry.time), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        below_time = self.get_y()
        self.set_y(top)
        self.paragraph(entry.title, bold=True, indent=TIME_WIDTH + 2)
        for line in entry.details:
            self.paragraph(line, indent=TIME_WIDTH + 2)
        self.set_y(max(self.get_y(), below_time) + 1.5)

    def qr_beside(
        self, data: str, lines: list[str], bold_first: bool = False, drop_last: bool = False
    ) -> None:
        """A QR code holding `data`, the lines to its right; with `drop_last`, the last line
        speaks of the QR code and is left out when there can be none."""
        png = _qr_png(data)
        if png is None:  # too long for any QR code (a map link of thousands of characters)
            for index, line in enumerate(lines[:-1] if drop_last else lines):
                self.paragraph(line, bold=bold_first and index == 0)
            return
        if self.will_page_break(QR_SIZE + 2):
            self.add_page()
        top = self.get_y()
        self.image(png, x=self.l_margin, y=top, w=QR_SIZE, h=QR_SIZE)
        self.set_y(top + 2)
        for index, line in enumerate(lines):
            self.paragraph(line, bold=bold_first and index == 0, indent=QR_SIZE + 4)
        self.set_y(max(self.get_y(), top + QR_SIZE) + 3)


def _qr_png(data: str) -> io.BytesIO | None:
    png = _qr_bytes(data)
    return None if png is None else io.BytesIO(png)


@lru_cache(maxsize=256)
def _qr_bytes(data: str) -> bytes | None:
    """Kept: a venue's map code is the same in every pack."""
    try:
        code = segno.make_qr(data)
    except DataOverflowError:
        return None
    png = io.BytesIO()
    code.save(png, kind="png", scale=6, border=2)
    return png.getvalue()
