"""One environment-driven settings module.

Every knob an operator may turn is an environment variable documented in
docs/configuration.md; nothing here differs between machines otherwise.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("LINLI_VAR_DIR", PROJECT_DIR / "var")).resolve()


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        # O_EXCL: two processes starting together must not end up with different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


DEBUG = _env_bool("LINLI_DEBUG")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "linli.core",
    "linli.accounts",
    "linli.areas",
    "linli.registry",
    "linli.transfers",
    "linli.cases",
    "linli.visits",
    "linli.volunteers",
    "linli.timebank",
    "linli.party",
    "linli.assessment",
    "linli.opinions",
    "linli.notices",
    "linli.surveys",
    "linli.partners",
    "linli.portal",
    "linli.dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "linli.core.middleware.RequestContextMiddleware",
    "linli.core.middleware.CleanQueryMiddleware",
    "linli.core.middleware.SecurityHeadersMiddleware",
    "linli.core.middleware.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "linli.core.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "linli.core.access.SectionAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "linli.urls"
WSGI_APPLICATION = "linli.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "linli.core.context_processors.navigation",
                "linli.areas.context_processors.print_header",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite under var/ by default; DATABASE_URL (postgres://…) switches to PostgreSQL.
_default_sqlite = f"sqlite:///{VAR_DIR / 'linli.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_sqlite, conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept (CONN_MAX_AGE 60, one per server thread) on SQLite too: opening one per
    # request, with its PRAGMAs, cost ~1.2 ms of server CPU — two thirds of a trivial request; under
    # 32 clients /health went 818 → 2,337 req/s and the case list 198 → 357 req/s (bench/README.md).
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web workers read while one writes; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on busy_timeout instead of failing mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("LINLI_TEST_SQLITE_NAME") or None}
else:
    # Server-side parameter binding. Statements are not prepared (Django leaves psycopg's
    # prepare_threshold off): tried, the generic plans PostgreSQL then picks cost more than the planning
    # they save — a street's case indicators 114 → 390 ms, a case page 7.6 → 10.7 ms.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True}
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("LINLI_TEST_DB_NAME") or f"test_{DATABASES['default']['NAME']}"
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication and security -------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["linli.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "linli.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "linli.accounts.validators.CharacterClassValidator"},
]

# Lockout: this many failures within the window lock the account (or the address).
LINLI_LOCKOUT_WINDOW_MINUTES = int(os.environ.get("LINLI_LOCKOUT_WINDOW_MINUTES", "15"))
LINLI_LOCKOUT_PER_ACCOUNT = int(os.environ.get("LINLI_LOCKOUT_PER_ACCOUNT", "5"))
LINLI_LOCKOUT_PER_ADDRESS = int(os.environ.get("LINLI_LOCKOUT_PER_ADDRESS", "20"))

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(os.environ.get("LINLI_SESSION_IDLE_MINUTES", "120")) * 60
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout: each request pushes expiry forward
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LINLI_HTTPS = _env_bool("LINLI_HTTPS")
if LINLI_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("LINLI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("LINLI_HSTS_SECONDS", "31536000"))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Number of reverse proxies in front of Linli whose X-Forwarded-For we trust for the client address.
LINLI_TRUSTED_PROXIES = int(os.environ.get("LINLI_TRUSTED_PROXIES", "0"))

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files: vendored under linli/static, served by WhiteNoise ------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"  # kept files such as imported ledgers; never served publicly
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Production: `linli init` collects the static files here under content-hashed names with .gz beside them, and
# nginx serves them with a year's cache (deploy/nginx/linli.conf). Unset, Linli serves them itself.
STATIC_ROOT = Path(os.environ["LINLI_STATIC_ROOT"]).resolve() if os.environ.get("LINLI_STATIC_ROOT") else None
if STATIC_ROOT is not None:
    WHITENOISE_USE_FINDERS = False
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # API tokens (Open311's api_key= in a logged URL) are masked in every line (linli/core/logmask.py).
    "filters": {
        "mask_secrets": {"()": "linli.core.logmask.MaskSecrets"},
        "client_errors_one_line": {"()": "linli.core.logs.ClientErrorsOneLine"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_secrets"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LINLI_LOG_LEVEL", "WARNING").upper()},
    "loggers": {
        # The console notification channel: one line per message sent, so operators can see them.
        "linli.notify": {"level": "INFO"},
        # The development server's request lines carry query strings: through the masking handler too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # A 403 is one line ("Forbidden (Permission denied): /audit/"), not a traceback.
        "django.request": {"filters": ["client_errors_one_line"]},
    },
}

NINJA_PAGINATION_PER_PAGE = 50

# Background jobs (imports): kept in the database, run by `linli worker` (which `linli serve` starts).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
LINLI_MAX_UPLOAD_MB = int(os.environ.get("LINLI_MAX_UPLOAD_MB", "200"))
# What one import may cost (docs/security.md, hostile files): rows read, seconds, the first sheet and its
# shared strings decompressed (the strings, held in memory, an eighth of it), and the compression ratio of
# any part above 8 MB. A job over a limit fails with the reason; its earlier batches stay written.
LINLI_IMPORT_MAX_ROWS = int(os.environ.get("LINLI_IMPORT_MAX_ROWS", "1000000"))
LINLI_IMPORT_MAX_SECONDS = int(os.environ.get("LINLI_IMPORT_MAX_SECONDS", "3600"))
LINLI_IMPORT_MAX_UNZIPPED_MB = int(os.environ.get("LINLI_IMPORT_MAX_UNZIPPED_MB", "2048"))
LINLI_IMPORT_MAX_RATIO = int(os.environ.get("LINLI_IMPORT_MAX_RATIO", "200"))
# A file at least this large is read and checked in a second process while the first writes (both cores
# work; transfers/planner.py); -1 never does.
LINLI_IMPORT_PARALLEL_BYTES = int(os.environ.get("LINLI_IMPORT_PARALLEL_BYTES", str(1 << 20)))
# Background-job worker processes `linli serve` starts (and restarts if one dies): more than one, so one
# long import does not hold up everyone else's.
# Text messages (one-time codes, rating links): "console" writes them to var/sms-outbox.log, "memory" keeps
# them for tests, or a dotted path to a gateway function(phone, text, purpose) (core/sms.py).
# `linli check`: the least free space on the data disk, and the oldest a last backup may be.
LINLI_MIN_FREE_DISK_MB = int(os.environ.get("LINLI_MIN_FREE_DISK_MB", "1024"))
LINLI_BACKUP_MAX_AGE_HOURS = int(os.environ.get("LINLI_BACKUP_MAX_AGE_HOURS", "26"))
LINLI_SMS_BACKEND = os.environ.get("LINLI_SMS_BACKEND", "console")
LINLI_TASK_WORKERS = int(os.environ.get("LINLI_TASK_WORKERS", "2"))
# A running job whose worker has not been heard from for this long is shown as stalled (and may be resumed).
LINLI_WORKER_STALL_SECONDS = int(os.environ.get("LINLI_WORKER_STALL_SECONDS", "120"))
# A resident search by one or two characters of a name, or by pinyin, counts its matches up to this many
# and then answers "more than" (API: count_exact false); see docs/registry.md.
LINLI_SEARCH_COUNT_CAP = 10_000
# Searches of residents by identity-number or phone digits one user may run in any hour (web and API
# together, counted in the audit log); beyond it they are refused and the street admins alerted. 0: no limit.
LINLI_DIGIT_SEARCHES_PER_HOUR = int(os.environ.get("LINLI_DIGIT_SEARCHES_PER_HOUR", "60"))

# --- Cases: working time, sweeps, notifications -----------------------------------
# Working periods of a working day, for deadlines counted in working hours.
LINLI_WORKING_HOURS = os.environ.get("LINLI_WORKING_HOURS", "08:30-12:00,13:30-17:30")
# Working hours between escalation steps once a stage is overdue (yellow card → red card → street).
LINLI_ESCALATION_STEP_HOURS = float(os.environ.get("LINLI_ESCALATION_STEP_HOURS", "7.5"))
# Seconds between deadline sweeps run by `linli serve` (0 = none; run `linli tick` from cron instead).
LINLI_TICK_SECONDS = int(os.environ.get("LINLI_TICK_SECONDS", "60"))
# Outbound notification channels, comma-separated dotted paths (the console channel logs each message).
LINLI_NOTIFY_CHANNELS = [
    c.strip()
    for c in os.environ.get("LINLI_NOTIFY_CHANNELS", "linli.cases.channels.ConsoleChannel").split(",")
    if c.strip()
]
# Cases a resident may submit from one address per hour without an account.
LINLI_PUBLIC_SUBMISSIONS_PER_HOUR = int(os.environ.get("LINLI_PUBLIC_SUBMISSIONS_PER_HOUR", "10"))
# Working days to reply to a resident's opinion (社情民意), and to answer a question on a notice (居务公开).
LINLI_OPINION_REPLY_DAYS = int(os.environ.get("LINLI_OPINION_REPLY_DAYS", "5"))
LINLI_NOTICE_ANSWER_DAYS = int(os.environ.get("LINLI_NOTICE_ANSWER_DAYS", "3"))
# Questions a resident may ask on the public notice board from one address per hour.
LINLI_PUBLIC_QUESTIONS_PER_HOUR = int(os.environ.get("LINLI_PUBLIC_QUESTIONS_PER_HOUR", "5"))
# Largest attachment of a notice, in megabytes.
LINLI_MAX_ATTACHMENT_MB = int(os.environ.get("LINLI_MAX_ATTACHMENT_MB", "10"))
# Largest photo accepted on a case, in megabytes.
LINLI_MAX_PHOTO_MB = int(os.environ.get("LINLI_MAX_PHOTO_MB", "10"))
# Days after closing during which a resident may say on the tracking page that a case is not solved
# (it reopens, counted as rework).
LINLI_RESIDENT_REOPEN_DAYS = int(os.environ.get("LINLI_RESIDENT_REOPEN_DAYS", "7"))

# --- Residents' portal (/portal/) ----------------------------------------------------------------
# Minutes a sign-in code stays valid; codes one phone may request, and sign-in requests one address may
# make, per hour; hours a resident's session lasts at most (it also ends after the staff idle limit).
LINLI_PORTAL_CODE_MINUTES = int(os.environ.get("LINLI_PORTAL_CODE_MINUTES", "10"))
LINLI_PORTAL_CODES_PER_PHONE = int(os.environ.get("LINLI_PORTAL_CODES_PER_PHONE", "5"))
LINLI_PORTAL_REQUESTS_PER_ADDRESS = int(os.environ.get("LINLI_PORTAL_REQUESTS_PER_ADDRESS", "30"))
LINLI_PORTAL_SESSION_HOURS = int(os.environ.get("LINLI_PORTAL_SESSION_HOURS", "12"))
# Bump when the portal's shell (styles, script) changes, so installed service workers refresh their cache.
LINLI_PORTAL_SHELL_VERSION = "1"
# --- Grid map (docs/configuration.md, docs/dashboard.md) -------------------------------------------------
# No tiles by default: the map draws boundaries on a plain background and works without any network.
# An intranet tile service: a URL template such as https://tiles.example.gov.cn/{z}/{x}/{y}.png.
LINLI_MAP_TILE_URL = os.environ.get("LINLI_MAP_TILE_URL", "").strip()
# The coordinate system the tiles are drawn in: "wgs84" (GPS, 天地图) or "gcj02" (国测局, most commercial
# maps). Linli stores WGS-84 and shifts what it draws when the tiles are GCJ-02.
LINLI_MAP_TILE_COORDS = os.environ.get("LINLI_MAP_TILE_COORDS", "wgs84").strip().lower()
if LINLI_MAP_TILE_COORDS not in ("wgs84", "gcj02"):
    raise ValueError("LINLI_MAP_TILE_COORDS must be wgs84 or gcj02")
LINLI_MAP_TILE_ATTRIBUTION = os.environ.get("LINLI_MAP_TILE_ATTRIBUTION", "").strip()
LINLI_MAP_MAX_ZOOM = int(os.environ.get("LINLI_MAP_MAX_ZOOM", "19"))
# Volunteers: the share of an activity's slot (percent) a volunteer's attendance must cover for the
# minutes to count, and the confirmed hours of the star levels (一星 … 五星), comma-separated.
LINLI_VOLUNTEER_MIN_ATTENDANCE_PERCENT = int(os.environ.get("LINLI_VOLUNTEER_MIN_ATTENDANCE_PERCENT", "60"))
LINLI_VOLUNTEER_STAR_HOURS = [
    int(h)
    for h in os.environ.get("LINLI_VOLUNTEER_STAR_HOURS", "100,300,600,1000,1500").split(",")
    if h.strip()
]
# Time bank (时间银行): how far a person's account may go below zero (debt) and above it (credit), in
# minutes, unless the community set another limit on the account. A community's pool never goes below zero.
LINLI_TIME_BANK_DEBT_LIMIT_MINUTES = int(os.environ.get("LINLI_TIME_BANK_DEBT_LIMIT_MINUTES", "600"))
LINLI_TIME_BANK_CREDIT_LIMIT_MINUTES = int(os.environ.get("LINLI_TIME_BANK_CREDIT_LIMIT_MINUTES", "6000"))
