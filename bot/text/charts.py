"""Charts as PNG images, drawn with matplotlib (its object API: no global pyplot state, so
that charts can be drawn in a worker thread)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.text import formatting

# Wide enough for a phone held upright, in inches at DPI.
WIDTH, DPI = 6.4, 150
BAR_COLOUR, TEXT_COLOUR = "#2f6f9f", "#222222"


if TYPE_CHECKING:
    from matplotlib.figure import Figure


def distribution(
    title: str, labels: Sequence[str], counts: Sequence[int], total: int, note: str = ""
) -> bytes:
    """A horizontal bar per answer, its count and its share of `total` beside it (as the
    language in force writes them: with several choices each, the shares add up to more than
    100 %); `note` goes under the chart (the mean, say). Same input, same bytes."""
    figure = distribution_figure(title, labels, counts, total, note)
    out = io.BytesIO()
    # No creation time or software version in the file: the same chart, the same bytes.
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def distribution_figure(
    title: str, labels: Sequence[str], counts: Sequence[int], total: int, note: str = ""
) -> Figure:
    """The figure `distribution` draws, laid out and ready to save."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    wrapped = [textwrap.fill(label, 28) for label in labels]
    lines = sum(label.count("\n") + 1 for label in wrapped)
    figure = Figure(figsize=(WIDTH, 1.3 + 0.32 * max(lines, len(labels))), dpi=DPI)
    FigureCanvasAgg(figure)
    # The title spans the whole width (not only the axes, which start after the answers'
    # labels), on as many lines as it needs: long questions are whole in every language.
    heading = figure.suptitle(title, x=0.02, ha="left", fontsize=11, color=TEXT_COLOUR)
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    room = figure.bbox.width * 0.96
    width = len(title)
    while width > 10 and heading.get_window_extent(renderer).width > room:
        width -= 2
        heading.set_text(textwrap.fill(title, width))
    extra_lines = heading.get_text().count("\n")
    if extra_lines:
        figure.set_figheight(figure.get_figheight() + 0.22 * extra_lines)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    axes.barh(positions, counts, color=BAR_COLOUR, height=0.6)
    axes.set_yticks(positions, wrapped, fontsize=9, color=TEXT_COLOUR)
    axes.invert_yaxis()  # the first answer on top, as in the question
    axes.set_xlim(0, max(max(counts, default=0), 1) * 1.25)
    for position, count in zip(positions, counts, strict=True):
        beside = f"  {formatting.number(count)} ({formatting.share(count, total)})"
        axes.text(count, position, beside, va="center", fontsize=9, color=TEXT_COLOUR)
    axes.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    if note:
        figure.text(0.01, 0.01, note, fontsize=9, color="#555555")
    figure.tight_layout(rect=(0, 0.05 if note else 0, 1, 1))  # it makes room for the title
    return figure


BAR_WIDTH = 10  # characters of the longest bar in a text table
LABEL_WIDTH = 24  # characters of an answer in a text table, cut with "…"


def distribution_table(
    title: str, labels: Sequence[str], counts: Sequence[int], total: int, note: str = ""
) -> str:
    """The figures `distribution` draws, as text (safe markup) for a reader in data-saver mode:
    the title, then a line per answer with a bar of characters, its count and its share, then
    the note; each line in `code`, so that the bars line up where the platform allows."""
    from bot.text.markup import bold, escape

    most = max(counts, default=0) or 1
    width = min(LABEL_WIDTH, max((len(label) for label in labels), default=0))
    lines = [bold(escape(title))]
    for label, count in zip(labels, counts, strict=True):
        name = label if len(label) <= width else label[: width - 1] + "…"
        filled = round(BAR_WIDTH * count / most)
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        figures = f"{formatting.number(count)} ({formatting.share(count, total)})"
        lines.append(f"<code>{escape(name.ljust(width))} {bar} {figures}</code>")
    if note:
        lines.append(escape(note))
    return "\n".join(lines)
