"""Delivery adapters: a file outbox for the mail system (default) and SMTP (stdlib smtplib).

:class:`FileOutbox` writes one JSON file per message into a folder (``<data-dir>/outbox/
surveys`` in the embedded setup), atomically (temporary file, then rename) and readable by its
owner only (files 0600 in folders 0700). A mail or text-message system picks the files up and
removes them; the address is in that file and nowhere else. The file holds the message id, the
kind (``email`` or ``sms``), the address, the subject and the body: no other personal data.

:class:`SmtpDelivery` sends e-mail through an SMTP server (optionally with STARTTLS and a
login); it cannot reach SMS numbers, so the service refuses those while it is configured.
"""

from __future__ import annotations

import json
import os
import smtplib
import tempfile
from email.message import EmailMessage
from pathlib import Path

from stadskamer.common.file_modes import create_private_folders
from stadskamer.surveys.domain import AddressKind
from stadskamer.surveys.ports import Message


class FileOutbox:
    """Writes each message as ``<folder>/<message_id>.json``."""

    kinds = frozenset({AddressKind.EMAIL, AddressKind.SMS})

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def send(self, message: Message) -> None:
        """Write the message file (OSError when the folder cannot be written)."""
        create_private_folders(self._folder)
        document = {
            "message_id": message.message_id,
            "kind": message.kind.name.lower(),
            "to": message.address,
            "subject": message.subject,
            "body": message.body,
        }
        descriptor, temporary = tempfile.mkstemp(dir=self._folder, suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(document, handle, ensure_ascii=False, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self._folder / f"{message.message_id}.json")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class SmtpDelivery:
    """Sends e-mail messages through an SMTP server."""

    kinds = frozenset({AddressKind.EMAIL})

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        starttls: bool = False,
        username: str = "",
        password: str = "",
        timeout: float = 10.0,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._starttls = starttls
        self._username = username
        self._password = password
        self._timeout = timeout

    def send(self, message: Message) -> None:
        """Send one e-mail; smtplib's and socket errors propagate (the caller retries)."""
        if message.kind is not AddressKind.EMAIL:
            raise ValueError("the SMTP delivery sends e-mail only")
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<{message.message_id}@stadskamer>"
        mail.set_content(message.body)
        with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            if self._starttls:
                smtp.starttls()
            if self._username:
                smtp.login(self._username, self._password)
            smtp.send_message(mail)
