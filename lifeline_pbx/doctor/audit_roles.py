"""Is the audit log out of reach of the role the application runs as?

Facts are read from the database as the configured application role; checks() decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from lifeline_pbx.audit import chain
from lifeline_pbx.db import Conn
from lifeline_pbx.doctor.report import Check
from lifeline_pbx.errors import LifelineError

APPEND_ONLY_TRIGGERS = ("audit_log_no_update", "audit_log_no_truncate", "audit_log_chain")
FORBIDDEN = ("UPDATE", "DELETE", "TRUNCATE")


@dataclass(frozen=True)
class Facts:
    role: str
    superuser: bool
    member_of_superuser: bool  # could SET ROLE to a superuser
    createrole: bool  # could grant itself the owner's role
    owner: str  # of audit_log
    owns_table_or_functions: bool  # audit_log, or a function its triggers run
    member_of_owner: bool
    forbidden_held: tuple[str, ...]  # which of FORBIDDEN it holds on audit_log
    triggers: dict[str, str]  # name -> pg_trigger.tgenabled
    chain: chain.Verdict


def checks(f: Facts) -> list[Check]:
    """A superuser's login is the one fault of the role worth naming: it may do anything, and
    hardening that role (the other role checks' fixes) would harden the wrong one."""
    superuser = f.superuser or f.member_of_superuser
    return [
        Check(f"the app role {f.role} is not a superuser", not superuser,
              "the app logs in as a superuser" if f.superuser else
              "the app logs in as a role that can SET ROLE to a superuser",
              "let the app log in as lifeline_app: `lifeline db app-role --new-password` (with "
              "admin_database_url) gives it a new password and prints its DSN for "
              "database_url; another app on this server logging in as lifeline_app needs "
              "that password too (docs/operations.md, Database roles)"),
        *([] if superuser else _role_checks(f)),
        *_audit_log_checks(f),
    ]


def _role_checks(f: Facts) -> list[Check]:
    return [
        Check(f"{f.role} cannot create roles", not f.createrole, "it has CREATEROLE",
              f"as the superuser: ALTER ROLE {f.role} NOCREATEROLE;"),
        Check(f"{f.role} does not own the audit log", not f.owns_table_or_functions,
              f"it owns audit_log or its trigger functions (owner: {f.owner})",
              "let the app log in as lifeline_app (`lifeline db app-role`), not as the "
              "tables' owner"),
        Check(f"{f.role} is not a member of the audit log's owner ({f.owner})",
              not f.member_of_owner, "it is (directly or through another role)",
              f"as the superuser: REVOKE {f.owner} FROM {f.role};"),
        Check(f"{f.role} has no UPDATE, DELETE or TRUNCATE on the audit log",
              not f.forbidden_held, "it has " + ", ".join(f.forbidden_held),
              f"as the admin: REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {f.role};"),
    ]


def _audit_log_checks(f: Facts) -> list[Check]:
    disabled = [t for t in APPEND_ONLY_TRIGGERS if f.triggers.get(t) not in ("O", "A")]
    return [
        Check("the audit log's append-only triggers are enabled", not disabled,
              "missing or disabled: " + ", ".join(disabled),
              "as the admin: ALTER TABLE audit_log ENABLE TRIGGER <name>; and find out who "
              "turned it off (a dropped trigger: restore from a backup)"),
        Check("the audit log's hash chain verifies", f.chain.broken is None,
              chain.describe(f.chain),
              "keep a copy of the database as it is now (`lifeline backup`), then find out "
              "who had the admin or superuser login (docs/operations.md)"),
    ]


_ROLE_FACTS = """
SELECT r.rolname, r.rolsuper, r.rolcreaterole,
       EXISTS (SELECT FROM pg_roles s WHERE s.rolsuper AND s.oid <> r.oid
                                        AND pg_has_role(r.oid, s.oid, 'MEMBER')) AS super_member,
       pg_get_userbyid(c.relowner) AS owner,
       c.relowner = r.oid OR EXISTS (
           SELECT FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE t.tgrelid = c.oid AND NOT t.tgisinternal AND p.proowner = r.oid) AS owns,
       pg_has_role(r.oid, c.relowner, 'MEMBER') AS owner_member,
       ARRAY(SELECT p FROM unnest($1::text[]) p
              WHERE has_table_privilege(r.oid, c.oid, p)) AS forbidden
  FROM pg_roles r, pg_class c
 WHERE r.rolname = current_user AND c.oid = to_regclass('public.audit_log')
"""


async def gather(con: Conn) -> Facts:
    row = await con.fetchrow(_ROLE_FACTS, list(FORBIDDEN))
    if row is None:
        raise LifelineError("the database has no audit_log table: run lifeline migrate")
    triggers = await con.fetch(
        "SELECT tgname, tgenabled::text AS tgenabled FROM pg_trigger"
        " WHERE tgrelid = 'public.audit_log'::regclass AND NOT tgisinternal")
    return Facts(
        role=row["rolname"], superuser=row["rolsuper"], member_of_superuser=row["super_member"],
        createrole=row["rolcreaterole"], owner=row["owner"],
        owns_table_or_functions=row["owns"], member_of_owner=row["owner_member"],
        forbidden_held=tuple(row["forbidden"]),
        triggers={t["tgname"]: t["tgenabled"] for t in triggers},
        chain=await chain.verify(con),
    )
