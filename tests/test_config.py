"""Settings: defaults, then a file, then the environment; bad values name the setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lifeline_pbx import config
from lifeline_pbx.errors import ConfigError

GOOD = {
    "LIFELINE_DATABASE_URL": "postgresql://lifeline@db/lifeline",
    "LIFELINE_ARI_URL": "http://127.0.0.1:8088/",
    "LIFELINE_ARI_USER": "lifeline",
    "LIFELINE_ARI_PASSWORD": "secret",
    "LIFELINE_DATA_KEYS": "k1:" + "A" * 43 + "=",
    "LIFELINE_LOOKUP_KEY": "B" * 43 + "=",
}


def test_keys_are_never_in_the_repr() -> None:
    cfg = config.load(environ=GOOD)
    assert "AAAA" not in repr(cfg) and "BBBB" not in repr(cfg) and "secret" not in repr(cfg)
    assert config.key_ring(cfg).primary == "k1"


def test_environment_with_defaults() -> None:
    cfg = config.load(environ=GOOD)
    assert cfg.ari_url == "http://127.0.0.1:8088"
    assert cfg.web_port == 8080 and cfg.ari_app == "lifeline"
    assert cfg.prompts_dir == "/var/lib/lifeline-pbx/prompts"
    # Metrics off, and on this host alone once a port is set; AMI read on loopback.
    assert (cfg.metrics_port, cfg.metrics_host, cfg.ami_host) == (0, "127.0.0.1", "127.0.0.1")


def test_file_then_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.toml"
    path.write_text('web_port = 9000\nari_app = "from-file"\n')
    cfg = config.load(path, environ={**GOOD, "LIFELINE_ARI_APP": "from-env"})
    assert cfg.web_port == 9000
    assert cfg.ari_app == "from-env"


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.toml"
    path.write_text("web_port = 9001\n")
    assert config.load(environ={**GOOD, "LIFELINE_CONFIG": str(path)}).web_port == 9001


BAD = {
    "missing DSN": (
        {k: v for k, v in GOOD.items() if k != "LIFELINE_DATABASE_URL"}, "database_url"
    ),
    "DSN not postgres": ({**GOOD, "LIFELINE_DATABASE_URL": "mysql://x/y"}, "database_url"),
    "ARI URL without host": ({**GOOD, "LIFELINE_ARI_URL": "http://"}, "ari_url"),
    "port not a number": ({**GOOD, "LIFELINE_WEB_PORT": "eighty"}, "web_port"),
    "port out of range": ({**GOOD, "LIFELINE_WEB_PORT": "70000"}, "web_port"),
    "empty password": ({**GOOD, "LIFELINE_ARI_PASSWORD": "  "}, "ari_password"),
    "app name with a comma": ({**GOOD, "LIFELINE_ARI_APP": "a,b"}, "ari_app"),
    "log level unknown": ({**GOOD, "LIFELINE_LOG_LEVEL": "LOUD"}, "log_level"),
    "relative prompts dir": ({**GOOD, "LIFELINE_PROMPTS_DIR": "prompts"}, "prompts_dir"),
    "no data keys": ({k: v for k, v in GOOD.items() if k != "LIFELINE_DATA_KEYS"}, "data_keys"),
    "data key without id": ({**GOOD, "LIFELINE_DATA_KEYS": "A" * 43 + "="}, "data_keys"),
    "data key too short": ({**GOOD, "LIFELINE_DATA_KEYS": "k1:AAAA"}, "data_keys"),
    "data key id twice": (
        {**GOOD, "LIFELINE_DATA_KEYS": "k1:" + "A" * 43 + "=,k1:" + "B" * 43 + "="}, "data_keys"
    ),
    "lookup key not base64": ({**GOOD, "LIFELINE_LOOKUP_KEY": "not base64!"}, "lookup_key"),
    "idle minutes zero": ({**GOOD, "LIFELINE_SESSION_IDLE_MINUTES": "0"}, "session_idle_minutes"),
    "secure cookies maybe": ({**GOOD, "LIFELINE_SECURE_COOKIES": "maybe"}, "secure_cookies"),
    "trusted proxy a name": ({**GOOD, "LIFELINE_TRUSTED_PROXIES": "proxy.local"},
                             "trusted_proxies"),
    "trusted proxy bad mask": ({**GOOD, "LIFELINE_TRUSTED_PROXIES": "10.0.0.0/33"},
                               "trusted_proxies"),
    "trusting everyone": ({**GOOD, "LIFELINE_TRUSTED_PROXIES": "0.0.0.0/0"}, "trusted_proxies"),
    "RTP timeout negative": ({**GOOD, "LIFELINE_OPERATOR_RTP_TIMEOUT_SECONDS": "-1"},
                             "operator_rtp_timeout_seconds"),
}


@pytest.mark.parametrize("environ,setting", BAD.values(), ids=BAD.keys())
def test_bad_values_name_the_setting(environ: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.load(environ=environ)
    assert caught.value.setting == setting
    assert setting in str(caught.value)


def test_trusted_proxies_from_environment_or_file(tmp_path: Path) -> None:
    assert config.load(environ=GOOD).trusted_proxies == ()
    listed = " 127.0.0.1, 10.1.0.0/16,fd00::/8"
    cfg = config.load(environ={**GOOD, "LIFELINE_TRUSTED_PROXIES": listed})
    assert [str(n) for n in cfg.trusted_proxies] == ["127.0.0.1/32", "10.1.0.0/16", "fd00::/8"]
    path = tmp_path / "lifeline.toml"
    path.write_text('trusted_proxies = ["192.0.2.10", "192.0.2.11"]\n')
    cfg = config.load(path, environ=GOOD)
    assert [str(n) for n in cfg.trusted_proxies] == ["192.0.2.10/32", "192.0.2.11/32"]


def test_unknown_setting_in_file(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.toml"
    path.write_text("web_prot = 1\n")
    with pytest.raises(ConfigError, match="web_prot"):
        config.load(path, environ=GOOD)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.toml"
    path.write_text("web_port = = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(path, environ=GOOD)
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "nope.toml", environ=GOOD)


def test_database_only_commands_need_only_the_database() -> None:
    assert config.database_url(environ={"LIFELINE_DATABASE_URL": "postgresql://h/db"}) == (
        "postgresql://h/db")
    with pytest.raises(ConfigError, match="database_url"):
        config.database_url(environ={})


MAIL = {"LIFELINE_SMTP_HOST": "smtp.example.org", "LIFELINE_SMTP_FROM": "hotline@example.org",
        "LIFELINE_ALERT_RECIPIENTS": "a@example.org, b@example.org"}


def test_alert_email_settings(tmp_path: Path) -> None:
    cfg = config.load(environ=GOOD)
    assert (cfg.smtp_host, cfg.smtp_port, cfg.smtp_tls, cfg.alert_recipients) == (
        "", 587, "starttls", ())  # email off by default
    secret = tmp_path / "smtp-password"
    secret.write_text("from-a-file\n")
    cfg = config.load(environ={**GOOD, **MAIL, "LIFELINE_SMTP_USER": "hotline",
                               "LIFELINE_SMTP_PASSWORD_FILE": str(secret)})
    assert cfg.alert_recipients == ("a@example.org", "b@example.org")
    assert cfg.smtp_password == "from-a-file" and "from-a-file" not in repr(cfg)


@pytest.mark.parametrize("extra, setting", [
    ({"LIFELINE_ALERT_RECIPIENTS": ""}, "alert_recipients"),
    ({"LIFELINE_SMTP_FROM": ""}, "smtp_from"),
    ({"LIFELINE_ALERT_RECIPIENTS": "a@example.org, not an address"}, "alert_recipients"),
    ({"LIFELINE_SMTP_TLS": "ssl"}, "smtp_tls"),
    ({"LIFELINE_SMTP_TLS": "none", "LIFELINE_SMTP_USER": "hotline"}, "smtp_tls"),
    ({"LIFELINE_SMTP_PASSWORD": "x", "LIFELINE_SMTP_PASSWORD_FILE": "/run/secrets/x"},
     "smtp_password_file"),
    ({"LIFELINE_SMTP_PASSWORD_FILE": "/nonexistent/smtp-password"}, "smtp_password_file"),
    ({"LIFELINE_PUBLIC_URL": "hotline.example.org"}, "public_url"),
])
def test_bad_alert_email_settings_name_the_setting(extra: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError) as refused:
        config.load(environ={**GOOD, **MAIL, **extra})
    assert refused.value.setting == setting


# A secret from a file, LIFELINE_<NAME>_FILE, read by every command (not the container's
# entrypoint alone): which settings come from which file, and what is refused.
SECRET_FILE_CASES: dict[str, tuple[dict[str, str], dict[str, tuple[str, str]] | str]] = {
    "none": ({"LIFELINE_DATA_KEYS": "k1:x"}, {}),
    "data keys": ({"LIFELINE_DATA_KEYS_FILE": "/run/secrets/keys"},
                  {"data_keys": ("LIFELINE_DATA_KEYS_FILE", "/run/secrets/keys")}),
    "every secret": ({f"LIFELINE_{name.upper()}_FILE": f"/s/{name}"
                      for name in config.SECRET_SETTINGS},
                     {name: (f"LIFELINE_{name.upper()}_FILE", f"/s/{name}")
                      for name in config.SECRET_SETTINGS}),
    "an empty variable beside the file": (
        {"LIFELINE_LOOKUP_KEY": "", "LIFELINE_LOOKUP_KEY_FILE": "/s/l"},
        {"lookup_key": ("LIFELINE_LOOKUP_KEY_FILE", "/s/l")}),
    "not a secret": ({"LIFELINE_WEB_PORT_FILE": "/s/port"}, {}),
    "both ways": ({"LIFELINE_ARI_PASSWORD": "pw", "LIFELINE_ARI_PASSWORD_FILE": "/s/ari"},
                  "setting 'LIFELINE_ARI_PASSWORD_FILE': LIFELINE_ARI_PASSWORD is set too"),
}


@pytest.mark.parametrize("name", SECRET_FILE_CASES)
def test_which_secrets_come_from_files(name: str) -> None:
    env, expected = SECRET_FILE_CASES[name]
    if isinstance(expected, str):
        with pytest.raises(ConfigError, match=re.escape(expected)):
            config.secret_files(env)
    else:
        assert config.secret_files(env) == expected


LOOKUP_KEY = "C" * 43 + "="
SECRET_FILE_READ_CASES: dict[str, tuple[str | None, str]] = {
    "a trailing newline": (LOOKUP_KEY + "\n", ""),
    "no newline": (LOOKUP_KEY, ""),
    "missing": (None, "setting 'LIFELINE_LOOKUP_KEY_FILE': cannot read {path}: No such file"),
    "empty": ("\n", "setting 'LIFELINE_LOOKUP_KEY_FILE': {path} is empty"),
    "not text": ("\udcff", "setting 'LIFELINE_LOOKUP_KEY_FILE': {path} is not text"),
}


@pytest.mark.parametrize("name", SECRET_FILE_READ_CASES)
def test_a_secret_is_read_from_its_file(name: str, tmp_path: Path) -> None:
    text, refused = SECRET_FILE_READ_CASES[name]
    path = tmp_path / "lookup_key"
    if text is not None:
        path.write_bytes(text.encode(errors="surrogateescape"))
    env = {**GOOD, "LIFELINE_LOOKUP_KEY": "", "LIFELINE_LOOKUP_KEY_FILE": str(path)}
    if not refused:
        assert config.load(environ=env).lookup_key == config.load(
            environ={**GOOD, "LIFELINE_LOOKUP_KEY": LOOKUP_KEY}).lookup_key
        return
    with pytest.raises(ConfigError) as error:
        config.load(environ=env)
    assert str(error.value).startswith(refused.format(path=path)), error.value
    assert "CCCC" not in str(error.value)


def test_a_secret_file_serves_the_commands_that_read_one_setting(tmp_path: Path) -> None:
    secret = tmp_path / "database_url"
    secret.write_text("postgresql://lifeline_app:pw@db/lifeline\n")
    env = {"LIFELINE_DATABASE_URL_FILE": str(secret)}
    assert config.database_url(environ=env) == "postgresql://lifeline_app:pw@db/lifeline"
    with pytest.raises(ConfigError, match="set LIFELINE_DATA_KEYS \\(or LIFELINE_DATA_KEYS_FILE"):
        config.load(environ={k: v for k, v in GOOD.items() if k != "LIFELINE_DATA_KEYS"})
