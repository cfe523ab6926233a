"""Generated Open311 requests: any text, number-like strings and dates in every parameter, bounded.

Open311 has no OpenAPI schema for schemathesis to read, so Hypothesis draws the form fields and query
parameters itself. Whatever it sends: no 5xx, and every answer parses in the format asked for.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.accounts.services import token_create
from linli.cases import services
from linli.cases.tests.conftest import CaseWorld

EXAMPLES = int(os.environ.get("LINLI_FUZZ_EXAMPLES", "10")) * 6
BASE = "/open311/v2"

# Text as hostile as it comes (controls, U+FFFF, astral planes; the test client cannot send lone
# surrogates), and the strings that broke number and date parsing before.
texts = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.sampled_from(["楼上\uffff装修", "a\x00b", "\ufffe", '=HYPERLINK("x")', "\x0b\x1f", "𠀀𪚥"]),
)
numbers = st.sampled_from(["nan", "NaN", "inf", "-Infinity", "1e999", "-0", "30.5", "120.1", "91", "", " 1 "])
dates = st.sampled_from(
    ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "2026-11-16T09:00:00+08:00", "2026-02-30", "Z", "", "now"]
)
phones = st.one_of(
    texts, st.sampled_from(["+1 555 555 0100", "+86 138 0013 8000", "0571-88886666", "+999999999999999999"])
)
# Mostly requests that would be filed, so that what is odd in them reaches the database and the feed.
submissions = st.fixed_dictionaries(
    {
        "service_code": st.sampled_from(["T-STALL", "T-STALL", "T-STALL", "T-NOISE", "NOPE", ""]),
        "jurisdiction_id": st.sampled_from(["S01/C01", "S01/C01", "S01/C01", "S01", "", "S09", "s01/c01/"]),
        "lat": numbers,
        "long": numbers,
    },
    optional={
        "address_string": texts,
        "address_id": st.one_of(numbers, st.sampled_from(["1", "99999999999999999999999"])),
        "description": texts,
        "first_name": texts,
        "last_name": texts,
        "phone": phones,
        "email": texts,
        "account_id": texts,
        "media_url": texts,
        "attribute[period]": st.one_of(st.sampled_from(["night", "day"]), texts),
        "attribute[m2]": numbers,
    },
)
queries = st.fixed_dictionaries(
    {},
    optional={
        "service_request_id": texts,
        "service_code": st.one_of(st.sampled_from(["T-NOISE", "T-NOISE,T-STALL"]), texts),
        "start_date": dates,
        "end_date": dates,
        "status": st.one_of(st.sampled_from(["open", "closed", "open,closed"]), texts),
        "jurisdiction_id": st.one_of(st.sampled_from(["S01", "S01/C01"]), texts),
    },
)


def check(response, fmt: str) -> None:
    assert response.status_code < 500, response.content[:300]
    if fmt == "json":
        json.loads(response.content)
    else:
        ET.fromstring(response.content)  # noqa: S314  (our own server's output; raises if malformed)


@pytest.fixture
def keyed(cw: CaseWorld) -> dict[str, str]:
    services.category_update(
        actor=None,
        category=cw.dept_category,
        questions=[{"code": "m2", "label": "面积", "datatype": "number"}],
    )
    _, key = token_create(actor=None, user=cw.w.c01_worker, name="civic app")
    return {"api_key": key}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_generated_submissions_never_get_a_server_error(cw: CaseWorld, keyed, fmt: str) -> None:
    client = Client()

    @given(fields=submissions)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def submit(fields: dict[str, str]) -> None:
        data = {"address_string": "锦绣路 8 号", **keyed, **fields}
        if fields["lat"] == "" and fields["long"] == "":
            del data["lat"], data["long"]
        check(client.post(f"{BASE}/requests.{fmt}", data), fmt)
        # Whatever was filed, the key holder's feed stays readable.
        check(client.get(f"{BASE}/requests.{fmt}", keyed), fmt)

    submit()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_generated_queries_never_get_a_server_error(cw: CaseWorld, keyed, fmt: str) -> None:
    client = Client()

    @given(
        params=queries,
        key=st.booleans(),
        path=st.sampled_from(["requests", "services", "discovery", "requests/20261116-0001", "tokens/x"]),
    )
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def query(params: dict[str, str], key: bool, path: str) -> None:
        check(client.get(f"{BASE}/{path}.{fmt}", {**params, **(keyed if key else {})}), fmt)

    query()
