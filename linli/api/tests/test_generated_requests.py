"""Generated requests against the API's own OpenAPI schema, over real HTTP to a live server.

Schemathesis builds requests for every operation from /api/v1/openapi.json — valid ones and, in negative
mode, ones that break the schema (wrong types, huge numbers, odd strings) — and sends them as the street
admin of the test world. Whatever it sends, the answer must not be a 5xx, and an error must be our JSON
shape, never an HTML page. Bounded so it stays under a minute or two on either database; raise
LINLI_FUZZ_EXAMPLES to dig deeper by hand.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from linli.accounts.services import token_create
from tests.factories import World

EXAMPLES = int(os.environ.get("LINLI_FUZZ_EXAMPLES", "10"))
# While working on a few operations: `LINLI_FUZZ_ONLY=/notices,/open-day` tries only the paths that contain one
# of these (comma-separated); CI leaves it unset and tries them all.
ONLY = [part for part in os.environ.get("LINLI_FUZZ_ONLY", "").split(",") if part]


def problems_of(response: Any) -> str | None:
    """What is wrong with one answer (schemathesis's response: headers as lists, lower-case), or None."""
    if response.status_code >= 500:
        return f"{response.status_code} server error"
    if response.status_code >= 400:
        content_type = (response.headers.get("content-type") or [""])[0]
        if not content_type.startswith("application/json"):
            return f"{response.status_code} answered with {content_type!r}, not JSON"
        try:
            body = json.loads(response.text)
        except json.JSONDecodeError:
            return f"{response.status_code} with a body that is not JSON"
        if not isinstance(body, dict) or "detail" not in body:
            return f"{response.status_code} without a 'detail'"
    return None


@pytest.mark.django_db(transaction=True)
def test_generated_requests_never_get_a_server_error_or_an_html_error(live_server, world: World) -> None:
    _, token = token_create(actor=None, user=world.street_admin, name="generated requests")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    # Building the schema of 100 operations took 5 s on a loaded 2-core machine (load 13) and the default
    # 10-second read timeout failed the test before it sent a request.
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json", timeout=120)
    tried: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    failures: dict[str, str] = {}
    started = time.monotonic()

    def sender(operation, mode, label):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def send(case) -> None:
            response = case.call(base_url=live_server.url, session=session, timeout=30)
            tried[label] += 1
            problem = problems_of(response)
            if problem:
                failed["5xx" if response.status_code >= 500 else "non-JSON error"] += 1
                failures.setdefault(label, f"{problem}: {case.as_curl_command()}\n{response.text[:300]}")

        return send

    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            if ONLY and not any(part in operation.path for part in ONLY):
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    sender(operation, mode, label)()
                except Exception as exc:  # a strategy the generator cannot satisfy is not the server's fault
                    if "Unsatisfiable" not in type(exc).__name__:
                        raise
    finally:
        # Keep-alive would hold a server thread, and its database connection, past the test.
        session.close()
    elapsed = time.monotonic() - started
    print(
        f"\ngenerated requests: {sum(tried.values())} to {len(tried)} operations in {elapsed:.0f} s; "
        f"{failed['5xx']} answered 5xx, {failed['non-JSON error']} a non-JSON error"
    )
    assert len(tried) > (0 if ONLY else 30), "the schema lost its operations"
    assert not failures, "\n\n".join(f"{op}: {problem}" for op, problem in failures.items())
