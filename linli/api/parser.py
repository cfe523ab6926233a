"""The API's request parser: ninja's, with text that XML 1.0 cannot carry taken out on the way in.

One place for every JSON body, query string and form field of the API: a NUL, a lone surrogate or U+FFFF
would otherwise reach the database (PostgreSQL refuses NUL, both refuse lone surrogates: a 500) or, stored,
break every XML document it later appears in (the Open311 feed, Excel exports).
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser
from ninja.types import DictStrAny

from linli.core.validation import xml_safe


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {xml_safe(k) if isinstance(k, str) else k: _clean(v) for k, v in value.items()}
    return value


class CleanParser(Parser):
    def parse_body(self, request: HttpRequest) -> DictStrAny:
        return cast(DictStrAny, _clean(json.loads(request.body)))

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        return cast(DictStrAny, _clean(super().parse_querydict(data, list_fields, request)))
