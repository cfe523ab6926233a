"""Read a PDF back as a reader would: render each page to an image with PDFium and extract its text.

`read(pdf_bytes)` → Pages(text per page, ink per page). A PDF whose Chinese font is missing renders blank
boxes or nothing: `ink` (share of non-white pixels) and the extracted text catch both.
"""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium


@dataclass
class Pages:
    texts: list[str]
    ink: list[float]
    sizes_mm: list[tuple[float, float]]
    images: list  # PIL images, for a closer look (or to save a screenshot)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def read(data: bytes, *, scale: float = 1.5) -> Pages:
    assert data.startswith(b"%PDF-"), data[:20]
    pdf = pdfium.PdfDocument(data)
    texts, ink, sizes, images = [], [], [], []
    for page in pdf:
        w, h = page.get_size()
        sizes.append((round(w / 72 * 25.4, 1), round(h / 72 * 25.4, 1)))
        texts.append(page.get_textpage().get_text_range())
        image = page.render(scale=scale).to_pil().convert("L")
        histogram = image.histogram()
        ink.append(sum(histogram[:200]) / (image.width * image.height))
        images.append(image)
    return Pages(texts, ink, sizes, images)


def glyphs_drawn(pages: Pages, page: int = 0) -> bool:
    """True when the page has visible marks (text rendered with an embedded font draws dark pixels)."""
    return pages.ink[page] > 0.002
