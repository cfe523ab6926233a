from __future__ import annotations

import stat

from linli.core import sms


def test_messages_go_to_memory_in_tests(sms_outbox):
    sms.send("13800138000", "验证码 123456", purpose="portal_code")
    assert [(m.phone, m.text, m.purpose) for m in sms_outbox] == [
        ("13800138000", "验证码 123456", "portal_code")
    ]


def test_the_console_channel_writes_an_owner_only_outbox_file(settings, tmp_path, caplog):
    settings.VAR_DIR = tmp_path
    settings.LINLI_SMS_BACKEND = "console"
    with caplog.at_level("INFO", logger="linli.sms"):
        sms.send("13800138000", "验证码 654321", purpose="portal_code")
    path = tmp_path / "sms-outbox.log"
    assert "13800138000\t验证码 654321" in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "13800138000" not in caplog.text  # the general log has the masked phone only


def test_a_gateway_is_a_dotted_path(settings):
    settings.LINLI_SMS_BACKEND = "linli.core.tests.test_sms.gateway"
    sms.send("13800138000", "x", purpose="p")
    assert sent == [("13800138000", "x", "p")]


sent: list[tuple[str, str, str]] = []


def gateway(phone: str, text: str, purpose: str) -> None:
    sent.append((phone, text, purpose))
