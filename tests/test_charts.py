"""Survey charts as a phone shows them: the title is whole, on as many lines as it needs."""

from __future__ import annotations

import pytest

from bot.text import charts
from bot.text.i18n import use_language

TITLES = [  # the two the review found cut off, then longer ones in the three languages
    ("fr", "5. Qu’est-ce qui a le mieux fonctionné aux petites tables ?"),
    ("es", "9. ¿Dónde debe concentrar ahora sus esfuerzos la sociedad civil?"),
    (
        "fr",
        "5. Qu’est-ce qui a le mieux fonctionné aux petites tables, et que faudrait-il y changer ?",
    ),
    ("es", "9. ¿Dónde debe concentrar ahora sus esfuerzos la sociedad civil, y con qué aliados?"),
    (
        "en",
        "9. Where should civil society now focus its efforts, in the months to come and beyond?",
    ),
]


@pytest.mark.parametrize(("language", "title"), TITLES)
def test_a_long_title_is_wrapped_and_fits_the_width_of_the_chart(language: str, title: str) -> None:
    labels = ["Le dialogue avec les gouvernements", "Les échanges entre régions", "Autre"]
    with use_language(language):
        figure = charts.distribution_figure(title, labels, [12, 7, 2], 20)
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    shown = [
        text
        for text in figure.findobj(lambda artist: hasattr(artist, "get_text"))
        if text.get_text().replace("\n", " ") == title  # type: ignore[attr-defined]
    ]
    assert len(shown) == 1, "the title is drawn once, whole"
    if len(title) > 70:
        assert "\n" in shown[0].get_text()  # type: ignore[attr-defined]
    extent = shown[0].get_window_extent(renderer)
    page = figure.bbox
    assert page.x0 <= extent.x0 and extent.x1 <= page.x1, (extent, page)
    assert page.y0 <= extent.y0 and extent.y1 <= page.y1, (extent, page)
