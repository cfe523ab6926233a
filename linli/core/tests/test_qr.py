from __future__ import annotations

from linli.core import qr


def test_a_qr_code_is_inline_svg_that_never_echoes_its_data_and_labels_itself_escaped():
    markup = qr.svg("https://linli.example/s/<script>", title='签到 "A" <b>')
    assert markup.startswith("<svg ")
    assert markup.rstrip().endswith("</svg>")
    assert "<script>" not in markup
    assert "<b>" not in markup
    assert 'aria-label="签到 &quot;A&quot; &lt;b&gt;"' in markup
    assert qr.png("x").startswith(b"\x89PNG")
