"""The delivery adapters: the file outbox, and SMTP against a tiny sink on a free port."""

from __future__ import annotations

import json
import socket
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message as EmailMessage
from pathlib import Path

import pytest

from stadskamer.surveys.adapters.delivery import FileOutbox, SmtpDelivery
from stadskamer.surveys.domain import AddressKind
from stadskamer.surveys.ports import Message


class SmtpSink:
    """Accepts SMTP sessions one at a time and keeps each message's bytes."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.recipients: list[str] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.port = int(self._server.getsockname()[1])
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()

    def close(self) -> None:
        """Stop listening."""
        self._stopping.set()
        self._thread.join(5)
        self._server.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            connection.settimeout(5)
            with connection, connection.makefile("rb") as reader:
                self._session(connection, reader)

    def _session(self, connection: socket.socket, reader: object) -> None:
        def reply(text: str) -> None:
            connection.sendall(f"{text}\r\n".encode())

        reply("220 sink ready")
        while True:
            line = reader.readline()  # type: ignore[attr-defined]
            if not line:
                return
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                reply("250 sink")
            elif verb == "RCPT":
                self.recipients.append(command.split(":", 1)[1].strip(" <>"))
                reply("250 ok")
            elif verb == "DATA":
                reply("354 go on")
                body = b""
                while (chunk := reader.readline()) != b".\r\n":  # type: ignore[attr-defined]
                    body += chunk
                self.messages.append(body)
                reply("250 queued")
            elif verb == "QUIT":
                reply("221 bye")
                return
            else:
                reply("250 ok")


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """A running sink."""
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.close()


def test_an_invitation_is_sent_as_an_email_to_the_address_only() -> None:
    with smtp_sink() as sink:
        delivery = SmtpDelivery("127.0.0.1", sink.port, "enquete@gemeente.example")
        body = "Hoe tevreden bent u? https://enquete.example/antwoord?t=abc"
        delivery.send(Message("invitation-1", AddressKind.EMAIL, "jan@example.nl", "Enquete", body))
    [raw] = sink.messages
    mail: EmailMessage = message_from_bytes(raw)
    assert sink.recipients == ["jan@example.nl"]
    assert mail["To"] == "jan@example.nl" and mail["From"] == "enquete@gemeente.example"
    assert mail["Message-ID"] == "<invitation-1@stadskamer>"
    assert "t=abc" in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_the_smtp_delivery_refuses_a_text_message_and_an_unreachable_server() -> None:
    assert AddressKind.SMS not in SmtpDelivery.kinds
    delivery = SmtpDelivery("127.0.0.1", 9, "enquete@gemeente.example", timeout=2)
    with pytest.raises(ValueError):
        delivery.send(Message("m", AddressKind.SMS, "+31612345678", "", "tekst"))
    with pytest.raises(OSError):
        delivery.send(Message("m", AddressKind.EMAIL, "jan@example.nl", "s", "tekst"))


def test_the_file_outbox_writes_one_private_json_file_per_message(tmp_path: Path) -> None:
    folder = tmp_path / "outbox" / "surveys"
    outbox = FileOutbox(folder)
    outbox.send(Message("invitation-7", AddressKind.SMS, "+31612345678", "", "Gemeente: link"))
    [path] = folder.iterdir()
    assert path.name == "invitation-7.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert document == {
        "message_id": "invitation-7",
        "kind": "sms",
        "to": "+31612345678",
        "subject": "",
        "body": "Gemeente: link",
    }
