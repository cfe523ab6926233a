"""The server log: a refused request is one line, not a traceback; `redact` masks what may not be logged."""

from __future__ import annotations

import logging

from django.urls import reverse

from linli.core.logs import redact


def test_a_refused_request_is_one_log_line(world, client_for, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    assert client_for(world.viewer).get(reverse("core:audit")).status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is None
    formatted = logging.Formatter().format(record)
    assert formatted == "Forbidden (Permission denied): /audit/"


def test_redact_masks_phones_and_identity_numbers_but_not_case_numbers():
    text = (
        "电话 138-0013-8000，+8613800138000，证 37050219900101123X，旧证 370502900101123，单号 20261116-0007"
    )
    assert redact(text) == (
        "电话 138****8000，138****8000，证 3705**************，旧证 3705***********，单号 20261116-0007"
    )
