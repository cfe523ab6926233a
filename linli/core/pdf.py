"""The one way Linli writes PDFs: A4, the vendored Chinese font embedded, a date and data-scope line on every page.

Every printable thing (a volunteer's proof, a community profile, a case form, a meeting record, a notice
board) is built here, so each looks alike and none depends on a font the machine may lack: the font is
`core/fonts/` (DejaVu Sans for Latin, Droid Sans Fallback for Chinese; both free), embedded as a subset of the glyphs used. Text is
cleaned of control characters; nothing in a PDF is a link or a script.

    doc = pdf.Document("志愿服务证明", scope="幸福街道 · 阳光社区")
    doc.heading("基本信息")
    doc.fields([("姓名", "张三"), ("服务时长", "12.5 小时")])
    doc.table_rows(["日期", "内容", "时长"], rows, widths=[30, 110, 30])
    doc.qr("https://…/verify/V2026-000123", size=28)
    return pdf.response(doc, "志愿服务证明.pdf")

Tests read a PDF back with `tests/pdfcheck.py` (rendered by PDFium to an image, and its text).
"""

from __future__ import annotations

import copy
import io
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont, newTable
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace, SubsetMap, TTFFont
from fpdf.output import OutputProducer

FONTS = Path(__file__).resolve().parent / "fonts"
# DejaVu Sans for Latin letters, digits and punctuation; Droid Sans Fallback (no Latin glyphs) for Chinese.
FONT, FONT_PATH = "linli", FONTS / "DejaVuSans.ttf"
CJK_FONT, CJK_FONT_PATH = "linli-cjk", FONTS / "DroidSansFallbackFull.ttf"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: Any) -> str:
    """Text as printed: `None` is empty, control and bidi-override characters dropped, tabs as spaces."""
    if value is None:
        return ""
    return _CONTROL.sub("", str(value).replace("\t", "    ").replace("\r\n", "\n"))


# --- fonts parsed once per process ---------------------------------------------------------------
#
# fpdf2 parses a font file each time a document adds it and, when the document is written, cuts the glyphs
# it used out of that parsed copy (in place). For the 4 MB Chinese font that was ~0.2 s of CPU per PDF
# (its 50,000 outlines and widths), most of a one-page proof. Here each file is parsed once per process;
# a document gets a copy of the parsed font's references with its own record of the glyphs it uses, and
# when it is written, a small font holding just those glyphs (built from the parsed one, which is never
# changed) is what fpdf2 subsets and embeds. The embedded subset is the same outlines and metrics.

_PARSED: dict[str, TTFFont] = {}
_PARSED_LOCK = threading.Lock()
# What a document's font carries of its own (fpdf2 2.8's per-document state); the rest is shared read-only.
_PER_DOCUMENT = ("i", "fontkey", "subset", "missing_glyphs", "biggest_size_pt", "_hbfont", "ttfont")
# The tables a small font copies whole from the parsed one (all small); glyf, loca, hmtx and cmap are cut.
_COPIED_TABLES = ("head", "hhea", "maxp", "OS/2", "name", "cvt ", "fpgm", "prep", "gasp")


def _parsed(path: Path) -> TTFFont:
    key = str(path)
    with _PARSED_LOCK:
        font = _PARSED.get(key)
        if font is None:
            holder = FPDF()
            holder.add_font("parsed", "", key)
            added = holder.fonts["parsed"]
            assert isinstance(added, TTFFont)  # noqa: S101  (add_font of a .ttf file)
            font = added
            for tag in ("glyf", "hmtx", "cmap", *_COPIED_TABLES):
                if tag in font.ttfont:
                    font.ttfont[tag]  # read now, not lazily by two documents at once
            _PARSED[key] = font
    return font


def _glyphs_font(parsed: TTFont, names: Iterable[str]) -> TTFont:
    """A TrueType font holding only the glyphs `names` (with the components they are built from and the
    first four glyphs, which every subset keeps), cut from `parsed` without changing it."""
    glyf, order = parsed["glyf"], parsed.getGlyphOrder()
    wanted = set(order[:4]) | {n for n in names if n in glyf}
    todo = list(wanted)
    while todo:
        glyph = glyf[todo.pop()]
        if glyph.isComposite():
            for component in glyph.getComponentNames(glyf):
                if component not in wanted:
                    wanted.add(component)
                    todo.append(component)
    kept = sorted(wanted, key=parsed.getGlyphID)
    font = TTFont(recalcTimestamp=False)
    font.setGlyphOrder(kept)
    for tag in _COPIED_TABLES:
        if tag in parsed:
            font[tag] = copy.deepcopy(parsed[tag])
    post = newTable("post")
    post.formatType = 3.0  # no glyph names: a PDF addresses glyphs by number
    source = parsed["post"]
    for attr in ("italicAngle", "underlinePosition", "underlineThickness", "isFixedPitch"):
        setattr(post, attr, getattr(source, attr))
    post.minMemType42 = post.maxMemType42 = post.minMemType1 = post.maxMemType1 = 0
    font["post"] = post
    new_glyf = newTable("glyf")
    new_glyf.glyphs = {n: copy.deepcopy(glyf[n]) for n in kept}
    new_glyf.glyphOrder = kept
    font["glyf"] = new_glyf
    font["loca"] = newTable("loca")
    hmtx = newTable("hmtx")
    hmtx.metrics = {n: parsed["hmtx"][n] for n in kept}
    font["hmtx"] = hmtx
    cmap = newTable("cmap")
    cmap.tableVersion = 0
    cmap.tables = []
    keep = set(kept)
    mapping = {code: name for code, name in parsed.getBestCmap().items() if name in keep}
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    for fmt, platform, encoding in ((4, 3, 1), (12, 3, 10)):
        if fmt == 12 and all(code <= 0xFFFF for code in mapping):
            continue
        sub = CmapSubtable.newSubtable(fmt)
        sub.platformID, sub.platEncID, sub.language = platform, encoding, 0
        sub.cmap = {c: n for c, n in mapping.items() if fmt == 12 or c <= 0xFFFF}
        cmap.tables.append(sub)
    font["cmap"] = cmap
    return font


class Document(FPDF):
    """An A4 page set with Linli's header and footer. Sizes are millimetres."""

    def __init__(
        self, title: str, *, scope: str, printed_at: datetime | None = None, landscape: bool = False
    ) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.title_text = clean(title)
        self.scope_text = clean(scope)
        from django.utils import timezone

        self.printed_at = timezone.localtime(printed_at or timezone.now())
        # One style only: each style is another font file to parse (the fonts are parsed once per process, see
        # `_parsed`, and the first PDF of a process pays ~0.3 s for the Chinese one), so there is no bold;
        # headings are larger type and table headers are shaded instead.
        self._add_parsed_font(FONT, FONT_PATH)
        self._add_parsed_font(CJK_FONT, CJK_FONT_PATH)
        self.set_fallback_fonts([CJK_FONT], exact_match=False)
        self.set_title(self.title_text)
        self.set_creator("Linli 邻里")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(16, 16, 16)
        self.add_page()
        self.set_font(FONT, size=16)
        self.multi_cell(0, 9, self.title_text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.set_font(FONT, size=10.5)

    def _add_parsed_font(self, family: str, path: Path) -> None:
        """`add_font(family, "", path)` from the font parsed once per process (see `_parsed`)."""
        parsed = _parsed(path)
        font = TTFFont.__new__(TTFFont)
        for name in TTFFont.__slots__:
            if name not in _PER_DOCUMENT and hasattr(parsed, name):
                setattr(font, name, getattr(parsed, name))
        font.i = len(self.fonts) + 1
        font.fontkey = family
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.ttfont = parsed.ttfont  # read only; replaced by the document's own glyphs before output
        font.subset = SubsetMap(font)
        self.fonts[family] = font

    def output(self, *args: Any, **kwargs: Any) -> Any:
        return super().output(*args, output_producer_class=_Producer, **kwargs)

    def set_font(self, family: str | None = None, style: Any = "", size: float = 0) -> None:
        """Set the font on the page at once. fpdf2 (2.8) defers it to the next text, and when that text
        starts in the fallback (Chinese) font the size change lands inside a q…Q block and is undone:
        the Latin text after it printed at the previous size (a 16 pt title's)."""
        super().set_font(family, style, size)
        if self.page > 0 and not self.current_font_is_set_on_page and self.current_font is not None:
            self._out(self._set_font_for_page(self.current_font, self.font_size_pt))

    # --- page furniture -------------------------------------------------------------------------------
    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=8)
        self.set_text_color(90)
        line = f"数据范围：{self.scope_text}    打印时间：{self.printed_at:%Y-%m-%d %H:%M}"
        self.cell(0, 5, line, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"第 {self.page_no()} / {{nb}} 页", align="R")
        self.set_text_color(0)

    # --- content --------------------------------------------------------------------------------------
    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT, size=12.5)
        self.multi_cell(0, 7, clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10.5)

    def paragraph(self, text: str, *, size: float = 10.5, align: str = "L") -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, size * 0.55, clean(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10.5)

    def fields(self, pairs: Iterable[tuple[str, Any]], *, label_width: float = 32) -> None:
        """Label: value lines, as on a form."""
        for label, value in pairs:
            self.set_x(self.l_margin)
            self.set_text_color(90)
            self.cell(label_width, 6.5, clean(label))
            self.set_text_color(0)
            self.multi_cell(0, 6.5, clean(value) or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table_rows(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        widths: Sequence[float] | None = None,
        size: float = 9.5,
    ) -> None:
        """A bordered table whose header repeats on every page; cells wrap."""
        self.set_font(FONT, size=size)
        col_widths = tuple(widths) if widths else None
        with FPDF.table(
            self,
            headings_style=FontFace(emphasis="", fill_color=(235, 235, 235)),
            col_widths=col_widths,
            line_height=size * 0.6,
            text_align="LEFT",
            first_row_as_headings=True,
            repeat_headings=1,
        ) as table:
            table.row([clean(h) for h in headers])
            for row in rows:
                table.row([clean(cell) for cell in row])
        self.set_font(FONT, size=10.5)

    def qr(
        self,
        data: str,
        *,
        size: float = 28,
        x: float | None = None,
        y: float | None = None,
        caption: str = "",
    ) -> None:
        """A QR code of `data` (size in mm), by default at the right margin of the current line."""
        from linli.core import qr

        buf = io.BytesIO(qr.png(data, scale=8))
        if y is None and self.get_y() + size + 8 > self.page_break_trigger:
            self.add_page()
        x = self.w - self.r_margin - size if x is None else x
        y = self.get_y() if y is None else y
        self.image(buf, x=x, y=y, w=size, h=size)
        if caption:
            self.set_xy(x - 10, y + size)
            self.set_font(FONT, size=7.5)
            self.multi_cell(size + 20, 4, clean(caption), align="C")
            self.set_font(FONT, size=10.5)

    def seal_box(self, label: str = "（盖章）", *, width: float = 60, height: float = 34) -> None:
        """An empty place for the organisation's seal, with the date under it, at the right."""
        if self.get_y() + height + 10 > self.page_break_trigger:
            self.add_page()
        x = self.w - self.r_margin - width
        y = self.get_y() + 4
        self.set_draw_color(170)
        self.rect(x, y, width, height, style="D")
        self.set_draw_color(0)
        self.set_xy(x, y + height / 2 - 3)
        self.set_text_color(140)
        self.cell(width, 6, clean(label), align="C")
        self.set_text_color(0)
        self.set_xy(self.l_margin, y + height + 2)

    def bytes(self) -> bytes:
        return bytes(self.output())


class _Producer(OutputProducer):
    """fpdf2 subsets each font in place while it writes the file (after the last page's footer): first give
    every font of ours a small font of the glyphs its document used, so the parsed fonts are never cut."""

    def bufferize(self) -> bytearray:
        for font in self.fpdf.fonts.values():
            if not isinstance(font, TTFFont):
                continue
            parsed = _PARSED.get(str(font.ttffile))
            if parsed is not None and font.ttfont is parsed.ttfont:
                with _PARSED_LOCK:  # fontTools may decompile a shared glyph as it reads it
                    font.ttfont = _glyphs_font(parsed.ttfont, font.subset.get_all_glyph_names())
        return super().bufferize()


def response(doc: Document, filename: str, *, inline: bool = True) -> Any:
    """An HttpResponse carrying the PDF (opened in the browser by default, so it prints from there)."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    resp = HttpResponse(doc.bytes(), content_type="application/pdf")
    resp["Content-Disposition"] = content_disposition_header(not inline, filename) or "inline"
    resp["X-Content-Type-Options"] = "nosniff"
    return resp
