"""The page shell (html_page) shared by dashboards and reports: escaping, no data, files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from installer.analytics.html_page import (
    Chart,
    Note,
    Section,
    Table,
    Widget,
    render_page,
    write_page,
)


def test_labels_cannot_break_out_of_the_page() -> None:
    evil = "</script><script>alert(1)</script>"
    page = render_page(
        "<title>",
        [
            Section(
                "s&s",
                [
                    Widget(
                        "w",
                        [
                            Chart({"data": [{"type": "bar", "x": [evil], "y": [1]}]}),
                            Table(["<a>"], [[evil, None]]),
                            Note(evil),
                        ],
                    )
                ],
            )
        ],
    )
    assert evil not in page and "alert(1)" in page  # present, but only as inert text
    assert "&lt;title&gt;" in page and "s&amp;s" in page
    assert '<td class="nodata">no data</td>' in page  # None is "no data", never 0


def test_page_is_self_contained_and_written_atomically(tmp_path: Path) -> None:
    page = render_page("t", [Section("s", [Widget("w", [Table(["a"], [])])])])
    body = page.split("</head>", 1)[1]
    assert "<script src=" not in page and "https://" not in body
    assert "no data" in body  # an empty table says so
    target = write_page(tmp_path / "sub" / "p.html", page)
    assert target.read_text(encoding="utf-8") == page
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["p.html"]  # no temp files left
