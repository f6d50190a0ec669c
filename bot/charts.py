"""Charts as PNG images, drawn with matplotlib (its object API: no global pyplot state, so
that charts can be drawn in a worker thread)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from bot import formatting

# Wide enough for a phone held upright, in inches at DPI.
WIDTH, DPI = 6.4, 150
BAR_COLOUR, TEXT_COLOUR = "#2f6f9f", "#222222"


def distribution(
    title: str, labels: Sequence[str], counts: Sequence[int], total: int, note: str = ""
) -> bytes:
    """A horizontal bar per answer, its count and its share of `total` beside it (as the
    language in force writes them: with several choices each, the shares add up to more than
    100 %); `note` goes under the chart (the mean, say). Same input, same bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    wrapped = [textwrap.fill(label, 28) for label in labels]
    lines = sum(label.count("\n") + 1 for label in wrapped)
    figure = Figure(figsize=(WIDTH, 1.3 + 0.32 * max(lines, len(labels))), dpi=DPI)
    FigureCanvasAgg(figure)
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
    axes.set_title(textwrap.fill(title, 60), fontsize=11, loc="left", color=TEXT_COLOUR)
    if note:
        figure.text(0.01, 0.01, note, fontsize=9, color="#555555")
    figure.tight_layout(rect=(0, 0.05 if note else 0, 1, 1))
    out = io.BytesIO()
    # No creation time or software version in the file: the same chart, the same bytes.
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
