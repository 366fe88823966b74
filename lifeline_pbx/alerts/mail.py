"""Alert emails: what they say (pure) and sending one over SMTP.

An email names the facility, what happened and how often, and links to the app; never a
name, an A-number, a phone number or a narrative: a mailbox is not a safe place for them,
and whoever reads the alert signs in to see more. Sending uses the standard library's
smtplib in a worker thread (alerts/outbox.py): a handful of emails a day does not need
an asynchronous client, and the call path never waits on it.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from lifeline_pbx.alerts.store import Alert
from lifeline_pbx.config import Config
from lifeline_pbx.voicemail import reasons
from lifeline_pbx.voicemail.store import Voicemail

TIMEOUT = 20.0  # seconds for each SMTP exchange
# What send() may raise when the server or the network fails; logged and retried.
SEND_ERRORS = (smtplib.SMTPException, OSError)


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    tls: str  # "starttls", "tls" or "none"
    user: str
    password: str = field(repr=False)
    sender: str
    recipients: tuple[str, ...]
    public_url: str

    @classmethod
    def of(cls, cfg: Config) -> MailSettings | None:
        """The settings, or None when email is off (no smtp_host)."""
        if not cfg.smtp_host:
            return None
        return cls(cfg.smtp_host, cfg.smtp_port, cfg.smtp_tls, cfg.smtp_user,
                   cfg.smtp_password, cfg.smtp_from, cfg.alert_recipients, cfg.public_url)


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _link(public_url: str, path: str) -> list[str]:
    return ["", f"Open it in Lifeline PBX: {public_url}{path}"] if public_url else []


def spike_text(alert: Alert, public_url: str) -> Text:
    subject = (f"Alert: {alert.reports} reports of {alert.category_label} at {alert.facility} "
               f"within {alert.window_days} days")
    body = [
        f"The rule \"{alert.threshold} reports of {alert.category_label} at one facility "
        f"within {alert.window_days} days\" fired.",
        "",
        f"Facility: {alert.facility}",
        f"Category: {alert.category_label}",
        f"Reports counted: {alert.reports}, the first made {_when(alert.window_start)}",
        f"This rule stays quiet at this facility until {_when(alert.window_end)}.",
        *_link(public_url, f"/reports?facility={alert.facility_id}&category={alert.category}"),
    ]
    return Text(subject, "\n".join(body) + "\n")


def voicemail_text(vm: Voicemail, public_url: str) -> Text:
    facility = vm.facility or "an unknown facility"
    subject = f"Emergency voicemail from {facility}"
    body = [
        "A caller answered the triage question as an emergency and left a voicemail.",
        "",
        f"Facility: {facility}",
        f"Line: {vm.line or 'unknown'}",
        f"Language: {vm.language}",
        f"Left: {_when(vm.created_at)}, because {reasons.said(vm.reason)}",
        *_link(public_url, "/voicemail?show=unreviewed"),
    ]
    return Text(subject, "\n".join(body) + "\n")


def message(settings: MailSettings, text: Text, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.recipients)
    msg["Subject"] = text.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    msg.set_content(text.body)
    return msg


def send(settings: MailSettings, msg: EmailMessage) -> None:
    """Blocking: run it in a thread. Raises one of SEND_ERRORS when it did not go."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.tls == "tls":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    with smtp:
        if settings.tls == "starttls":
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, settings.password)
        smtp.send_message(msg, settings.sender, list(settings.recipients))


def error_name(exc: BaseException) -> str:
    """For the log: the kind of failure and the server's code, never its text (it can
    quote addresses back)."""
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}" + (f" code={code}" if code else "")
