"""Shared fixtures. The same suite runs on SQLite (default) and PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from linli.accounts.services import token_create
from tests.factories import PASSWORD, World, build_world

# Playwright's sync API keeps an event loop on the test thread; the ORM calls the
# browser tests make around it are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["linli.accounts.hashers.QuickArgon2PasswordHasher"]


# Data the migrations seed (RunPython). A transactional test (live_server, transactional_db) ends by flushing
# every table, so the next one would find these gone; they are put back before each such test.
MIGRATION_SEEDS = [
    ("linli.volunteers.migrations.0002_default_skills", "add"),
    ("linli.party.migrations.0002_seed_meeting_and_point_rules", "seed"),
]


@pytest.fixture(autouse=True)
def _migration_seeds_after_a_flush(request) -> None:
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    from importlib import import_module

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for module, function in MIGRATION_SEEDS:
        getattr(import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    """Text messages stay in memory during tests: `sms_outbox` is the list of what was sent."""
    from linli.core import sms

    settings.LINLI_SMS_BACKEND = "memory"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def client_for() -> Callable[[Any], Client]:
    """client_for(user) → a test client signed in as that user (through the real session)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def bearer() -> Callable[[Any], dict[str, str]]:
    """bearer(user) → request headers carrying a fresh API token of that user."""

    def make(user) -> dict[str, str]:
        _, raw = token_create(actor=None, user=user, name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make
