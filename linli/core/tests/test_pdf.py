"""PDFs carry their own Chinese font and read back as written."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from linli.core import pdf
from tests.pdfcheck import glyphs_drawn, read


def build() -> bytes:
    doc = pdf.Document("志愿服务证明", scope="幸福街道 · 阳光社区")
    doc.heading("基本信息")
    doc.fields([("姓名", "欧阳龘龘"), ("服务时长", "12.5 小时"), ("备注", "a\x00b\u202ec")])
    doc.table_rows(
        ["日期", "内容", "时长"],
        [[f"2026-01-{i % 28 + 1:02d}", "陪同就医" * (i % 5 + 1), i] for i in range(80)],
        widths=[30, 110, 30],
    )
    doc.qr("https://linli.example/verify/V2026-000123", caption="扫码核验")
    doc.seal_box()
    return doc.bytes()


def test_a_pdf_is_a4_with_chinese_text_rendered_and_a_footer_on_every_page(settings):
    pages = read(build())
    assert len(pages.texts) >= 2  # the 80-row table breaks across pages
    assert all(abs(w - 210) < 1 and abs(h - 297) < 1 for w, h in pages.sizes_mm)
    assert "志愿服务证明" in pages.texts[0]
    assert "欧阳龘龘" in pages.text  # a rare character in a name is in the font
    assert pages.texts[1].count("日期") == 1
    assert "陪同就医" in pages.texts[1]
    assert all("数据范围：幸福街道 · 阳光社区" in t for t in pages.texts)
    assert all(f"/ {len(pages.texts)} 页" in t for t in pages.texts)
    assert "\x00" not in pages.text
    assert "\u202e" not in pages.text
    assert all(glyphs_drawn(pages, i) for i in range(len(pages.texts)))


def test_the_font_is_embedded_so_a_machine_without_chinese_fonts_renders_it(tmp_path):
    """PDFium is told of no system fonts here; the glyphs still draw because the PDF carries them."""
    data = build()
    assert b"/FontFile2" in data  # an embedded TrueType program
    out = tmp_path / "p.pdf"
    out.write_bytes(data)
    script = textwrap.dedent(f"""
        import pypdfium2 as pdfium, sys
        page = pdfium.PdfDocument({str(out)!r})[0]
        img = page.render(scale=1).to_pil().convert("L")
        dark = sum(img.histogram()[:200]) / (img.width * img.height)
        print(dark)
    """)
    env = {"PATH": "/usr/bin:/bin", "FONTCONFIG_FILE": "/dev/null", "HOME": str(tmp_path)}
    dark = float(
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    assert dark > 0.002


def test_latin_text_after_a_chinese_label_prints_at_the_body_size_not_the_titles():
    """fpdf2 deferred the size change into the fallback font's q…Q block: '12.5' printed at 16 pt."""
    doc = pdf.Document("标题", scope="s")
    doc.fields([("服务时长", "WWWWWWWWWW")])
    pages = read(doc.bytes(), scale=1)  # 72 dpi: 1 pt = 1 px
    image = pages.images[0]
    left = int((16 + 32) / 25.4 * 72)  # the value column starts at margin + label width (mm)
    # The field's line: below the title (16 mm margin + 9 mm title + 2 mm) for 6.5 mm, in points.
    top, bottom = int(27 / 25.4 * 72), int(33.5 / 25.4 * 72)
    inked = image.crop((left, top, image.width, bottom)).point(lambda v: 0 if v > 200 else 255).getbbox()
    assert inked is not None
    width_pt = inked[2] - inked[0]
    assert 90 < width_pt < 120, width_pt  # ten W at 10.5 pt in DejaVu Sans ≈ 104 pt; at 16 pt ≈ 158


def test_fonts_parsed_once_serve_every_document_and_each_embeds_only_its_own_glyphs():
    """The fonts are parsed once per process and shared; each document embeds a subset of the glyphs it
    used. A first document must not cut the shared font down to its glyphs (fpdf2 subsets in place)."""
    from fontTools.ttLib import TTFont

    first = pdf.Document("甲乙", scope="丙")
    first.paragraph("陪同就医 ABC")
    first_bytes = first.bytes()
    parsed = pdf._parsed(pdf.CJK_FONT_PATH).ttfont
    glyphs = len(parsed.getGlyphOrder())
    assert glyphs > 30_000  # the whole Chinese font

    second = pdf.Document("欧阳龘龘", scope="幸福街道")
    second.paragraph("助老送餐 xyz 12.5")
    pages = read(second.bytes())
    assert "欧阳龘龘" in pages.text
    assert "助老送餐 xyz 12.5" in pages.text
    assert glyphs_drawn(pages)
    assert len(parsed.getGlyphOrder()) == glyphs  # the shared font is whole
    assert "陪同就医" in read(first_bytes).text
    # Each PDF carries a few dozen glyphs, not the 4 MB font.
    assert len(first_bytes) < 60_000
    assert len(pages.texts) == 1
    for doc in (first, second):
        for font in doc.fonts.values():
            assert isinstance(font.ttfont, TTFont)
            assert font.ttfont is not parsed
            assert len(font.ttfont.getGlyphOrder()) < 200
