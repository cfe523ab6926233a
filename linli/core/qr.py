"""QR codes as inline SVG (for pages) — sign-in at a place, verification of a proof, one-time links.

Generated locally by segno (pure Python): no image service, works on an intranet. `svg(data)` returns
markup that is safe to put in a template with `|safe` (segno escapes nothing but writes only path data;
`data` itself is never echoed into the markup).
"""

from __future__ import annotations

import io


def svg(data: str, *, scale: int = 4, title: str = "") -> str:
    import segno

    buf = io.BytesIO()
    segno.make(data, error="m").save(
        buf,
        kind="svg",
        scale=scale,
        border=2,
        xmldecl=False,
        svgns=True,
        svgclass="qr",
        lineclass=None,
        title=None,
    )
    markup = buf.getvalue().decode("ascii")
    if title:
        from django.utils.html import escape

        markup = markup.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)
    return markup


def png(data: str, *, scale: int = 8) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()
