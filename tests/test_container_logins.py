"""The database logins as the container's entrypoint uses them, against a real PostgreSQL:
the admin migrates, `lifeline db app-role --password-file` gives lifeline_app the password
from a secret file, and the app logs in with a URL that holds no password (PGPASSWORD)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from lifeline_pbx import crypto
from tests.test_cli import run


def without_password(dsn: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(netloc=f"{parts.username}@{parts.netloc.rpartition('@')[2]}"))


async def test_app_role_takes_the_password_of_a_secret_file(
    empty_dsn: str, tmp_path: Path
) -> None:
    admin = {"LIFELINE_ADMIN_DATABASE_URL": empty_dsn}
    code, out = await run(admin, "migrate")
    assert code == 0, out
    secret = tmp_path / "db_app_password"
    secret.write_text("app-secret-from-file\n")
    code, out = await run(admin, "db", "app-role", "--password-file", str(secret))
    assert code == 0, out
    app_url = without_password(out.splitlines()[-1])
    assert urlsplit(app_url).username == "lifeline_app" and urlsplit(app_url).password is None
    app = {"LIFELINE_DATABASE_URL": app_url, "LIFELINE_ADMIN_DATABASE_URL": ""}
    code, out = await run({**app, "PGPASSWORD": "app-secret-from-file"}, "doctor", "--only",
                          "database")
    assert code == 0, out
    code, out = await run({**app, "PGPASSWORD": "not-the-password"}, "doctor")
    assert code != 0 and "password authentication failed" in out

    secret.write_text("")
    code, out = await run(admin, "db", "app-role", "--password-file", str(secret))
    assert code == 2 and "is empty" in out


SETTINGS = {"LIFELINE_DATABASE_URL": "postgresql://lifeline_app@127.0.0.1/lifeline",
            "LIFELINE_ARI_URL": "http://127.0.0.1:8088", "LIFELINE_ARI_USER": "lifeline",
            "LIFELINE_ARI_PASSWORD": "pw", "LIFELINE_DATA_KEYS": f"k1:{crypto.new_key()}",
            "LIFELINE_LOOKUP_KEY": crypto.new_key()}


async def test_config_check_reads_the_settings_as_serve_does() -> None:
    code, out = await run(SETTINGS, "config", "check")
    assert (code, out.strip()) == (0, "settings ok")
    code, out = await run({**SETTINGS, "LIFELINE_LOOKUP_KEY": "short"}, "config", "check")
    assert code == 2 and "setting 'lookup_key'" in out
    assert "short" not in out.replace("lookup_key", "")  # the value itself is not echoed
