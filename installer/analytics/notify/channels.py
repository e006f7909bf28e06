"""Delivering one message to one channel: Slack incoming webhook, generic JSON webhook,
email over SMTP with STARTTLS. Secrets come from the environment and never appear in an
error message (a Slack webhook URL is itself a credential)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from installer.analytics.notify.message import Message, slack_escaped
from installer.analytics.notify.settings import ChannelSettings
from installer.common.retry import NOTIFICATIONS, retry_after_seconds

USER_AGENT = "dtu-install-notify"


class DeliveryError(Exception):
    """A delivery that did not happen; the message is safe to show and store."""

    def __init__(self, reason: str, retry_after: int = 0) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class NotConfigured(Exception):
    """The channel lacks its environment variables (names given, never values)."""


def _url(channel: ChannelSettings, option: str) -> str:
    url = channel.env(option)
    if not url:
        raise NotConfigured(f"set ${channel.options.get(option)}")
    return url


def _post_json(url: str, body: object, timeout: float) -> None:
    import requests

    try:
        answer = requests.post(url, json=body, timeout=timeout, headers={"User-Agent": USER_AGENT})
    except (requests.RequestException, ValueError) as exc:
        # The exception text contains the URL; say only what kind of failure it was.
        # ValueError: urllib3's LocationParseError (a host like `a..b`) and UnicodeError get
        # past requests unwrapped; uncaught, they ended the whole run with the host shown.
        raise DeliveryError(f"could not reach the webhook ({type(exc).__name__})") from None
    if 200 <= answer.status_code < 300:
        return
    # Any non-2xx is retried at the next run; the answers that say "try again later" may
    # also say when (NOTIFICATIONS policy: capped, so a silly value cannot park an alert).
    retry_after = 0
    if NOTIFICATIONS.retries(answer.status_code):
        wait = retry_after_seconds(answer.headers.get("Retry-After")) or 0.0
        retry_after = int(min(wait, NOTIFICATIONS.max_retry_after))
    raise DeliveryError(f"the webhook answered HTTP {answer.status_code}", retry_after)


def send_slack(channel: ChannelSettings, message: Message, timeout: float) -> None:
    url = _url(channel, "webhook_url_env")
    # `text` is what Slack shows in the notification itself: escaped like the blocks, or a
    # component named `<!channel>` would still notify the whole channel from there.
    body = {"text": slack_escaped(message.text), "blocks": list(message.blocks)}
    _post_json(url, body, timeout)


def send_webhook(channel: ChannelSettings, message: Message, timeout: float) -> None:
    url = _url(channel, "url_env")
    body = {**message.data, "subject": message.subject, "text": message.text}
    _post_json(url, body, timeout)


def email_recipients(channel: ChannelSettings) -> list[str]:
    listed = channel.options.get("to")
    if isinstance(listed, list):
        return [str(r) for r in listed if r]
    from_env = channel.env("to_env") or ""
    return [r.strip() for r in from_env.split(",") if r.strip()]


def thread_headers(message: Message, sender: str) -> dict[str, str]:
    """`Date` (when the message was decided), `Message-ID`, and for a reminder or a
    resolution `In-Reply-To`/`References` naming the incident's first email, so a mail
    client shows an incident as one thread (RFC 5322 section 3.6.4). The ids are made from
    the incident, not at random: a retried delivery carries the same id."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "dtu-install.invalid"
    headers = {"Date": formatdate(message.date or None, usegmt=True)}
    if message.message_id:
        headers["Message-ID"] = f"<{message.message_id}@{domain}>"
    else:
        headers["Message-ID"] = make_msgid(domain=domain)
    if message.in_reply_to:
        headers["In-Reply-To"] = f"<{message.in_reply_to}@{domain}>"
        headers["References"] = headers["In-Reply-To"]
    return headers


def send_email(channel: ChannelSettings, message: Message, timeout: float) -> None:
    host = channel.literal_or_env("host")
    recipients = email_recipients(channel)
    sender = channel.literal_or_env("from")
    if not host or not recipients or not sender:
        missing = [
            name
            for name, value in (("host", host), ("to", recipients), ("from", sender))
            if not value
        ]
        raise NotConfigured(f"email needs {', '.join(missing)} (or their *_env variables)")
    port = channel.options.get("port")
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = ", ".join(recipients)
    for name, value in thread_headers(message, sender).items():
        email[name] = value
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    user, password = channel.env("username_env"), channel.env("password_env")
    ca_file = channel.options.get("ca_file")
    try:
        with smtplib.SMTP(
            host, int(port) if isinstance(port, int) else 587, timeout=timeout
        ) as smtp:
            if channel.options.get("starttls", True) is not False:
                context = ssl.create_default_context(
                    cafile=str(ca_file) if isinstance(ca_file, str) else None
                )
                smtp.starttls(context=context)
            if user and password:
                smtp.login(user, password)
            smtp.send_message(email)
    except smtplib.SMTPAuthenticationError:
        raise DeliveryError("the SMTP server refused the credentials") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"the SMTP server answered {exc.smtp_code}") from None
    except (smtplib.SMTPException, OSError, ssl.SSLError, ValueError) as exc:
        # ValueError: smtplib encodes AUTH as ASCII, so a password with a non-ASCII letter
        # raised UnicodeEncodeError, which crashed the run and quoted part of the password.
        raise DeliveryError(f"could not deliver by SMTP ({type(exc).__name__})") from None


SENDERS: Mapping[str, Callable[[ChannelSettings, Message, float], None]] = {
    "slack": send_slack,
    "webhook": send_webhook,
    "email": send_email,
}


def is_configured(channel: ChannelSettings) -> bool:
    if channel.type == "slack":
        return channel.env("webhook_url_env") is not None
    if channel.type == "webhook":
        return channel.env("url_env") is not None
    return bool(
        channel.literal_or_env("host")
        and email_recipients(channel)
        and channel.literal_or_env("from")
    )
