"""Typed settings: defaults, then an optional TOML file, then LIFELINE_* environment variables.

A bad or missing value stops start-up with a ConfigError that names the setting.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lifeline_pbx import crypto
from lifeline_pbx.errors import ConfigError
from lifeline_pbx.operators.pjsip import RTP_TIMEOUT
from lifeline_pbx.outbound import numbers

ENV_PREFIX = "LIFELINE_"
FILE_SUFFIX = "_FILE"
# Secrets that may come from a file instead, LIFELINE_<NAME>_FILE=/path (compose secrets,
# systemd credentials). docker/entrypoint.sh reads the same ones itself, as root, before the
# app drops to its own user. (The SMTP password has its own setting, smtp_password_file.)
SECRET_SETTINGS = ("database_url", "admin_database_url", "data_keys", "lookup_key",
                   "ari_password", "ami_secret")
LOG_FORMATS = ("text", "json")
SMTP_TLS = ("starttls", "tls", "none")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Config:
    # The application's login (the lifeline_app role: docs/operations.md), password included.
    database_url: str = field(repr=False)
    ari_url: str
    ari_user: str
    ari_password: str = field(repr=False)
    # Keys that seal names, A-numbers and narratives (crypto.py): "id:base64,...", first seals.
    data_keys: tuple[tuple[str, bytes], ...] = field(repr=False)
    # Key of the keyed hash that finds a person by A-number (base64, 32 bytes).
    lookup_key: bytes = field(repr=False)
    ari_app: str = "lifeline"
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    log_level: str = "INFO"
    # "text", or "json": every log line one JSON object, for a log shipper (lifeline_pbx/logs.py).
    log_format: str = "text"
    # Prometheus metrics, on a bind of their own with no login (docs/operations.md,
    # "Monitoring"): off while metrics_port is 0; on loopback unless metrics_host says otherwise.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 0
    # Fallback language for prompts when a line names none.
    default_language: str = "en"
    # Where the prompts are, as Asterisk sees the filesystem (played by absolute path).
    prompts_dir: str = "/var/lib/lifeline-pbx/prompts"
    # The same folder as this process sees it, to check which prompts exist ("" = prompts_dir).
    prompts_local_dir: str = ""
    # Web sessions end after this long without a request, and this long after login at most.
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # Mark cookies Secure; set when a TLS proxy serves the web UI (requests over https are
    # marked Secure anyway).
    secure_cookies: bool = False
    # AMI (loopback only), read for SIP security events; no secret = the SIP guard is off.
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "lifeline-security"
    ami_secret: str = field(default="", repr=False)
    # The SIP guard: this many failed SIP authentications from one address within the
    # window refuse that address for sip_ban_seconds. Never banned: sip_ban_exempt
    # (comma-separated addresses or networks) and the carrier trunk's address.
    sip_ban_failures: int = 10
    sip_ban_window_seconds: int = 60
    sip_ban_seconds: int = 900
    sip_ban_exempt: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.1/32"),)
    # Reverse proxies (addresses or networks) whose X-Forwarded-For tells the client's
    # address; any other peer's header is ignored (web/client_address.py).
    trusted_proxies: tuple[Network, ...] = ()
    # An owner's or superuser's DSN for `lifeline migrate` and `lifeline db app-role` only;
    # "" = migrate with database_url. Never needed by `lifeline serve`.
    admin_database_url: str = field(default="", repr=False)
    # Where operators' softphones reach Asterisk ("host" or "host:port"), shown with a new
    # SIP secret; "" = the host the admin's browser used, port 5060 (operators/softphone.py).
    sip_address: str = ""
    # Alert emails to the coordinators (docs/operations.md, "Alerts"): off while smtp_host
    # is "". smtp_tls: "starttls" (port 587), "tls" (implicit, port 465) or "none" (only
    # without a login, or on loopback). The password from the environment
    # (LIFELINE_SMTP_PASSWORD) or a file (smtp_password_file), never the config file's text.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_password_file: str = ""
    smtp_from: str = ""
    alert_recipients: tuple[str, ...] = ()
    # The web UI's address as coordinators reach it, for the link in alert emails ("" = none).
    public_url: str = ""
    # Outbound legs (docs/operations.md, "Outbound trunk and on-call lists"): the PJSIP
    # endpoint of the carrier trunk ("" = no outside calls; the shipped one is carrier-out),
    # the numbers it may call (E.164 patterns, N=2-9 X=0-9 Z=1-9; outbound/numbers.py), the
    # numbers it never calls, and how many legs per hour per operator and in all.
    outbound_trunk: str = ""
    outbound_allow: tuple[str, ...] = numbers.DEFAULT_ALLOW
    outbound_deny: tuple[str, ...] = numbers.DEFAULT_DENY
    outbound_per_operator_hour: int = 10
    outbound_per_hour: int = 30
    # An operator's phone that sends no audio for this many seconds is taken for dead (its
    # leg hung up, the caller back in the queue); ten times as long while it holds the call.
    # 0 = never (operators/pjsip.py says why 30).
    operator_rtp_timeout_seconds: int = RTP_TIMEOUT

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_max_hours)


def _url(schemes: tuple[str, ...]) -> Callable[[str, str], str]:
    def check(name: str, raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not parts.hostname:
            raise ConfigError(name, f"expected a {'/'.join(schemes)} URL, got {raw!r}")
        return raw.rstrip("/")

    return check


def _database_url(name: str, raw: str) -> str:
    """A postgres URL naming a host, or a unix socket directory as ?host=/path."""
    parts = urlsplit(raw)
    socket = any(q.startswith("host=/") for q in parts.query.split("&"))
    if parts.scheme not in ("postgres", "postgresql") or not (parts.hostname or socket):
        raise ConfigError(name, f"expected a postgresql:// URL, got {raw!r}")
    return raw.rstrip("/")


def _optional_database_url(name: str, raw: str) -> str:
    return _database_url(name, raw) if raw else ""


def _port(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a port number, got {raw!r}") from None
    if not 0 < value < 65536:
        raise ConfigError(name, f"port must be 1-65535, got {value}")
    return value


def _port_or_off(name: str, raw: str) -> int:
    return 0 if raw.strip() in ("", "0") else _port(name, raw)


def _text(name: str, raw: str) -> str:
    if not raw.strip():
        raise ConfigError(name, "must not be empty")
    return raw


def _app_name(name: str, raw: str) -> str:
    if not raw or not all(c.isalnum() or c in "-_" for c in raw):
        raise ConfigError(name, f"letters, digits, '-' and '_' only, got {raw!r}")
    return raw


def _log_level(name: str, raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(name, f"one of DEBUG, INFO, WARNING, ERROR, got {raw!r}")
    return level


def _log_format(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in LOG_FORMATS:
        raise ConfigError(name, f"one of {', '.join(LOG_FORMATS)}, got {raw!r}")
    return value


def _absolute_path(name: str, raw: str) -> str:
    if not raw.startswith("/"):
        raise ConfigError(name, f"expected an absolute path, got {raw!r}")
    return raw.rstrip("/")


def _minutes(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
    if not 1 <= value <= 24 * 60:
        raise ConfigError(name, f"must be 1-1440, got {value}")
    return value


def _boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(name, f"expected true or false, got {raw!r}")


def _optional_text(name: str, raw: str) -> str:
    return raw.strip()


def _whole(low: int, high: int) -> Callable[[str, str], int]:
    def check(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(name, f"must be {low}-{high}, got {value}")
        return value

    return check


def _networks(name: str, raw: str) -> tuple[Network, ...]:
    found = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(name, f"expected IP addresses or networks (CIDR) separated by "
                              f"commas; {item!r} is neither") from None
        if network.prefixlen == 0:
            raise ConfigError(name, f"{item!r} would trust every address")
        found.append(network)
    return tuple(found)


def _optional_path(name: str, raw: str) -> str:
    return _absolute_path(name, raw) if raw else ""


_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


def _address(name: str, raw: str) -> str:
    value = raw.strip()
    if value and not _ADDRESS.fullmatch(value):
        raise ConfigError(name, f"expected an email address, got {raw!r}")
    return value


def _addresses(name: str, raw: str) -> tuple[str, ...]:
    return tuple(_address(name, item) for item in raw.split(",") if item.strip())


def _smtp_tls(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in SMTP_TLS:
        raise ConfigError(name, f"one of {', '.join(SMTP_TLS)}, got {raw!r}")
    return value


def _optional_url(name: str, raw: str) -> str:
    return _url(("http", "https"))(name, raw) if raw.strip() else ""


def _number_patterns(name: str, raw: str) -> tuple[str, ...]:
    patterns = tuple(p.strip() for p in raw.split(",") if p.strip())
    bad = [p for p in patterns if not numbers.valid_pattern(p)]
    if bad:
        raise ConfigError(name, f"{bad[0]!r} is not an E.164 pattern (+ then digits, N, X, Z)")
    return patterns


def _optional_endpoint(name: str, raw: str) -> str:
    return _app_name(name, raw.strip()) if raw.strip() else ""


_CHECKS: dict[str, Callable[[str, str], Any]] = {
    "database_url": _database_url,
    "ari_url": _url(("http", "https")),
    "ari_user": _text,
    "ari_password": _text,
    "data_keys": crypto.parse_data_keys,
    "lookup_key": crypto.parse_key,
    "ari_app": _app_name,
    "web_host": _text,
    "web_port": _port,
    "log_level": _log_level,
    "log_format": _log_format,
    "metrics_host": _text,
    "metrics_port": _port_or_off,
    "default_language": _text,
    "prompts_dir": _absolute_path,
    "prompts_local_dir": _optional_path,
    "session_idle_minutes": _minutes,
    "session_max_hours": _minutes,
    "secure_cookies": _boolean,
    "ami_host": _text,
    "ami_port": _port,
    "ami_user": _text,
    "ami_secret": _optional_text,
    "sip_ban_failures": _whole(1, 1000),
    "sip_ban_window_seconds": _whole(1, 24 * 3600),
    "sip_ban_seconds": _whole(1, 7 * 24 * 3600),
    "sip_ban_exempt": _networks,
    "trusted_proxies": _networks,
    "admin_database_url": _optional_database_url,
    "sip_address": _optional_text,
    "smtp_host": _optional_text,
    "smtp_port": _port,
    "smtp_tls": _smtp_tls,
    "smtp_user": _optional_text,
    "smtp_password": _optional_text,
    "smtp_password_file": _optional_path,
    "smtp_from": _address,
    "alert_recipients": _addresses,
    "public_url": _optional_url,
    "outbound_trunk": _optional_endpoint,
    "outbound_allow": _number_patterns,
    "outbound_deny": _number_patterns,
    "outbound_per_operator_hour": _whole(0, 1000),
    "outbound_per_hour": _whole(0, 10000),
    "operator_rtp_timeout_seconds": _whole(0, 3600),
}


def load(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Merge the sources and validate every value; raise ConfigError on the first bad one."""
    raw = _merged(path, environ)
    return _with_mail(Config(**{name: _checked(raw, name) for name in _CHECKS}))


def _with_mail(cfg: Config) -> Config:
    """The email settings checked together, and the SMTP password read from its file."""
    if cfg.smtp_password_file:
        if cfg.smtp_password:
            raise ConfigError("smtp_password_file", "set either it or smtp_password, not both")
        try:
            password = Path(cfg.smtp_password_file).read_text().strip()
        except OSError as exc:
            raise ConfigError("smtp_password_file", f"cannot be read: {exc.strerror}") from None
        cfg = dataclasses.replace(cfg, smtp_password=password)
    if not cfg.smtp_host:
        return cfg
    if not cfg.smtp_from:
        raise ConfigError("smtp_from", "missing: alert emails need a sender address")
    if not cfg.alert_recipients:
        raise ConfigError("alert_recipients", "missing: alert emails need someone to go to")
    loopback = cfg.smtp_host in ("localhost", "::1") or cfg.smtp_host.startswith("127.")
    if cfg.smtp_tls == "none" and cfg.smtp_user and not loopback:
        raise ConfigError("smtp_tls", "'none' would send the SMTP password in clear; use "
                          "starttls or tls")
    return cfg


def key_ring(cfg: Config) -> crypto.KeyRing:
    return crypto.key_ring(cfg.data_keys, cfg.lookup_key)


def database_url(path: Path | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Only the database setting, for commands that need nothing else (migrate, operator)."""
    return str(_checked(_merged(path, environ), "database_url"))


def prompts_folder(path: Path | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The prompts folder as this process sees it (prompts_local_dir, else prompts_dir), for
    commands that check which prompts exist (`lifeline line add`)."""
    raw = _merged(path, environ)
    return str(_checked(raw, "prompts_local_dir") or _checked(raw, "prompts_dir"))


def admin_database_url(
    path: Path | None = None, environ: Mapping[str, str] | None = None, *, fallback: bool = True
) -> str:
    """The admin DSN (migrations, roles); database_url when unset, if fallback allows."""
    raw = _merged(path, environ)
    admin = str(_checked(raw, "admin_database_url"))
    if admin:
        return admin
    if not fallback:
        raise ConfigError("admin_database_url", "missing: set LIFELINE_ADMIN_DATABASE_URL or "
                          "'admin_database_url' in the file (a superuser's or the owner's DSN)")
    return str(_checked(raw, "database_url"))


def admin_database_setting(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """Which setting admin_database_url() with its fallback reads (to name it in a message)."""
    set_ = _checked(_merged(path, environ), "admin_database_url")
    return "admin_database_url" if set_ else "database_url"


def sealing(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[str, crypto.KeyRing]:
    """The database and the keys, for `lifeline keys rotate`."""
    raw = _merged(path, environ)
    keys = crypto.key_ring(_checked(raw, "data_keys"), _checked(raw, "lookup_key"))
    return str(_checked(raw, "database_url")), keys


def _merged(path: Path | None, environ: Mapping[str, str] | None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    for item in dataclasses.fields(Config):
        if item.default is not dataclasses.MISSING:
            raw[item.name] = _as_text(item.default)
    file_path = path or (Path(env[f"{ENV_PREFIX}CONFIG"]) if f"{ENV_PREFIX}CONFIG" in env else None)
    if file_path is not None:
        raw.update(_read_file(file_path))
    for name in _CHECKS:
        key = ENV_PREFIX + name.upper()
        if key in env:
            raw[name] = env[key]
    for name, (variable, secret) in secret_files(env).items():
        raw[name] = _read_secret(variable, secret)
    return raw


def secret_files(env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Setting -> (LIFELINE_<NAME>_FILE, the path it names), for the secrets given as files;
    a secret given both ways is refused, naming both."""
    found = {}
    for name in SECRET_SETTINGS:
        variable = ENV_PREFIX + name.upper()
        path = env.get(variable + FILE_SUFFIX, "")
        if not path:
            continue
        if env.get(variable):
            raise ConfigError(variable + FILE_SUFFIX,
                              f"{variable} is set too: give the secret one way, not both")
        found[name] = (variable + FILE_SUFFIX, path)
    return found


def _read_secret(variable: str, path: str) -> str:
    """The file's text without its trailing newline; errors name the path, never the text."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(variable, f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(variable, f"{path} is not text (UTF-8)") from None
    value = text.rstrip("\r\n")
    if not value:
        raise ConfigError(variable, f"{path} is empty")
    return value


def _checked(raw: Mapping[str, str], name: str) -> Any:
    if name not in raw:
        env_name = ENV_PREFIX + name.upper()
        if name in SECRET_SETTINGS:
            env_name += f" (or {env_name}{FILE_SUFFIX})"
        raise ConfigError(name, f"missing: set {env_name} or '{name}' in the file")
    return _CHECKS[name](name, raw[name])


def _read_file(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError("config file", f"{path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config file", f"{path} is not valid TOML: {exc}") from None
    unknown = set(data) - set(_CHECKS)
    if unknown:
        raise ConfigError(sorted(unknown)[0], f"unknown setting in {path}")
    return {key: _as_text(value) for key, value in data.items()}


def _as_text(value: object) -> str:
    """Settings are checked as text, as the environment gives them: lists comma-separated."""
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)
