"""Dangjian settings, read from the environment; the defaults are the embedded ones (SQLite, local memory).

Environment:
    DANGJIAN_ENV            development (default), production or test
    DATABASE_URL            e.g. postgres://user@host:5432/db; default: SQLite in DANGJIAN_DATA_DIR
    REDIS_URL               switches cache, task queue and scheduler lock to Redis
    SECRET_KEY              or SECRET_KEY_FILE (a file holding it); required in production
    DANGJIAN_DATA_DIR       where the SQLite database, media and secrets live (default ./var)
    DANGJIAN_ALLOWED_HOSTS  comma-separated host names (production)
    DANGJIAN_SSL_REDIRECT   "0" when a proxy in front already redirects to HTTPS (default "1" in production)
    DANGJIAN_TRUSTED_PROXIES comma-separated addresses of the reverse proxies whose X-Forwarded-For is believed
    DANGJIAN_SUPERVISION_LIMITS the public letter forms' rate limits per address, e.g. "write=10/3600,lookup=30/600"
    DANGJIAN_SUPERVISION_POW_BITS the letter form's proof of work in leading zero bits (default 16; 0 turns it off)
    DANGJIAN_EMAIL_URL      smtp://user:password@host:port (default: e-mail is written to the console)
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BASE_DIR.parent

ENV = os.environ.get("DANGJIAN_ENV", "development")
if ENV not in {"development", "production", "test"}:
    raise RuntimeError(f"DANGJIAN_ENV must be development, production or test, not {ENV!r}")
PRODUCTION = ENV == "production"
DEBUG = ENV == "development" and os.environ.get("DANGJIAN_DEBUG", "1") == "1"

DATA_DIR = Path(os.environ.get("DANGJIAN_DATA_DIR", PROJECT_DIR / "var")).resolve()


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if key_file := os.environ.get("SECRET_KEY_FILE"):
        return Path(key_file).read_text().strip()
    if PRODUCTION:
        raise RuntimeError("production needs SECRET_KEY or SECRET_KEY_FILE")
    # Development: a key made once per data directory, so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [h for h in os.environ.get("DANGJIAN_ALLOWED_HOSTS", "").split(",") if h] or (
    [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DANGJIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "dangjian.core",
    "dangjian.portal",
    "dangjian.stats",
    "dangjian.search",
    "dangjian.supervision",
    "dangjian.education",
    "dangjian.publicity",
    "dangjian.services.registry",
    "dangjian.services.dues",
    "dangjian.services.sms",
    "dangjian.services.securemail",
    # Wagtail (the public site's CMS, at /cms/)
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "taggit",
    "modelcluster",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # security and plumbing
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_htmx",
    "ninja",  # its Swagger UI and ReDoc files are served from our static files, never from a CDN
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dangjian.core.errors.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and auth: a cached public page for an anonymous visitor is answered without them.
    "dangjian.publicity.pagecache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dangjian.core.middleware.SessionTouchMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dangjian.core.middleware.StaffOTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dangjian.core.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dangjian.config.urls"
WSGI_APPLICATION = "dangjian.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.portal.context.portal",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------------------------
_sqlite_path = DATA_DIR / "dangjian.sqlite3"
DATABASES = {
    "default": dj_database_url.config(default=f"sqlite:///{_sqlite_path}", conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Connections are kept between requests (conn_max_age above): a new SQLite connection parses the whole schema
    # on its first query, 4.4 ms here against 0.01 ms for a query on an open one, most of a letter's submission.
    # A restore writes into the live file through SQLite's backup API with the web nodes stopped (docs/deploy.md),
    # so no process is left holding a replaced file.
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # The test database is a file too, not Django's shared in-memory one: with that, the live server's request
    # threads and the test share one connection, and a page's concurrent requests (a media element's range
    # request beside a fetch) trip over each other. A file gives each thread its own connection, as in production.
    # One per test process, so that two runs at once do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"dangjian-test-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the planner's costs for the search's ranking over 100,000 entries pass jit_above_cost, and
    # compiling took 492 ms of a 509 ms query (17 ms without). The site's queries are short; JIT serves long
    # analytical ones (PostgreSQL manual, "Just-in-Time Compilation", 32.2 "When to JIT?").
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, tasks --------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Redis away must not take the site down: a cache miss, logged, instead of an error, within a second.
REDIS_CACHE_OPTIONS = {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DANGJIAN_CACHE_PREFIX", "dangjian"),
            "OPTIONS": REDIS_CACHE_OPTIONS,
        },
        # Rendered public pages (dangjian.publicity.pagecache), apart so they never evict throttles or sessions.
        "pages": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DANGJIAN_CACHE_PREFIX", "dangjian") + ":pages",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        },
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pages",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        },
    }
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# How often a process rereads the page cache's generation token (dangjian.publicity.pagecache). Tests reread it on
# every request: a test's database is rolled back under the process's memory of the token.
DANGJIAN_PAGE_CACHE_CHECK_SECONDS = 0.0 if ENV == "test" else 1.0

# --- auth -----------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "portal:workbench"
LOGOUT_REDIRECT_URL = "portal:home"

AXES_FAILURE_LIMIT = int(os.environ.get("DANGJIAN_AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
# The lockout and the public forms' rate limits count the visitor's address, not the proxy's (dangjian.core.http).
DANGJIAN_TRUSTED_PROXIES = frozenset(
    a.strip() for a in os.environ.get("DANGJIAN_TRUSTED_PROXIES", "").split(",") if a.strip()
)
AXES_CLIENT_IP_CALLABLE = "dangjian.core.http.client_address"


def _limits(text: str) -> dict[str, tuple[int, int]]:
    """`write=10/3600,lookup=30/600` → {"write": (10, 3600), …}; the supervision app checks the names and values."""
    limits = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _sep, value = item.partition("=")
        count, _slash, seconds = value.partition("/")
        try:
            limits[name.strip()] = (int(count), int(seconds))
        except ValueError:
            raise RuntimeError(
                f"DANGJIAN_SUPERVISION_LIMITS: {item!r} is not name=requests/seconds, e.g. write=10/3600"
            ) from None
    return limits


if os.environ.get("DANGJIAN_SUPERVISION_LIMITS"):
    DANGJIAN_SUPERVISION_LIMITS = _limits(os.environ["DANGJIAN_SUPERVISION_LIMITS"])
# Tests solve the letter form's proof of work in Python on every submission: an easier one keeps them quick; the
# check is the same whatever the difficulty (dangjian.supervision.pow).
_pow_bits = os.environ.get("DANGJIAN_SUPERVISION_POW_BITS", "8" if ENV == "test" else "16")
if not _pow_bits.isdigit() or int(_pow_bits) > 32:
    raise RuntimeError(f"DANGJIAN_SUPERVISION_POW_BITS must be a whole number from 0 to 32, not {_pow_bits!r}")
DANGJIAN_SUPERVISION_POW_BITS = int(_pow_bits)

OTP_TOTP_ISSUER = "Dangjian"

SESSION_COOKIE_AGE = int(os.environ.get("DANGJIAN_SESSION_IDLE_SECONDS", str(30 * 60)))
# The age counts from the last request, to within a minute (an idle timeout): core.middleware.SessionTouchMiddleware
# saves a session in use once a minute instead of on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- security headers ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Frames are refused; the views that are framed by our own pages say so themselves (Wagtail's preview with
# xframe_options_sameorigin_override, the education reader with xframe_options_sameorigin).
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("DANGJIAN_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DANGJIAN_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if not SECURE_SSL_REDIRECT:
        # The front proxy redirects; Django's own check cannot see that, so say so explicitly.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        # No inline script or style on the public site and the workbench; the admins add 'unsafe-inline'
        # for their own pages only (dangjian.core.middleware.CSPMiddleware).
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- i18n, time -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS: list[Path] = []  # each app carries its own catalogue in <app>/locale
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DANGJIAN_STATIC_ROOT", DATA_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DANGJIAN_MEDIA_ROOT", DATA_DIR / "media"))
STORAGES: dict[str, dict] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
if os.environ.get("DANGJIAN_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["DANGJIAN_S3_BUCKET"],
            "endpoint_url": os.environ.get("DANGJIAN_S3_ENDPOINT"),
        },
    }
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- e-mail -----------------------------------------------------------------------------------------------
_email_url = os.environ.get("DANGJIAN_EMAIL_URL", "")
if _email_url:
    from urllib.parse import unquote, urlsplit

    _e = urlsplit(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = _e.hostname or "localhost", _e.port or 25
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = unquote(_e.username or ""), unquote(_e.password or "")
    EMAIL_USE_TLS = _e.scheme == "smtp+tls"
    EMAIL_USE_SSL = _e.scheme == "smtps"
elif ENV == "test":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DANGJIAN_FROM_EMAIL", "noreply@dangjian.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Wagtail ------------------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "会昌党建超市群"
WAGTAILADMIN_BASE_URL = os.environ.get("DANGJIAN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "dangjian.search.backends"}}  # jieba-segmented database search
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_DOCUMENT_MODEL = "publicity.PublicityDocument"
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]

# --- the project ------------------------------------------------------------------------------------------
DANGJIAN_COUNTY_CODE = os.environ.get("DANGJIAN_COUNTY_CODE", "360733")
DANGJIAN_SCHEDULER_LEASE_SECONDS = 60
DANGJIAN_NOTIFICATION_MAX_ATTEMPTS = 6
# How the core outbox sends an SMS notification (a letter's receipt, a reminder): through the SMS platform's outbox and
# its gateway (one queue, its quiet hours, receipts, opt-outs) whenever a real gateway is configured; with the console
# gateway of a laptop or a test run, logged (docs/sms.md).
DANGJIAN_SMS_SENDER = os.environ.get(
    "DANGJIAN_SMS_SENDER",
    ""
    if os.environ.get("DANGJIAN_SMS_BACKEND", "console") == "console"
    else "dangjian.services.sms.outbox.send_notification",
)
# The secret in the URL the SMS providers push reports and replies to (/sms/callback/<provider>/<kind>/<token>/,
# docs/sms.md); unset: every push is refused.
DANGJIAN_ALIYUN_CALLBACK_TOKEN = os.environ.get("DANGJIAN_ALIYUN_CALLBACK_TOKEN", "")
DANGJIAN_TENCENT_CALLBACK_TOKEN = os.environ.get("DANGJIAN_TENCENT_CALLBACK_TOKEN", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DANGJIAN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
