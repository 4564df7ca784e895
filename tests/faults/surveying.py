"""Survey traffic for the soak: invitations made by API in advance, each answered once by token.

An invitation goes to one citizen at most once per fatigue period, so every invitation is for
a citizen of its own (distinct BSNs that pass the 11-check), issued into onderzoek up front
(each tagged pseudonym is claimed once). With a contact address the
surveys service delivers at once: the token is read from the message file in its outbox, as
the mail system would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from stadskamer.api.surveys.v1 import surveys_pb2_grpc as pb_grpc
from stadskamer.client import PseudonymClient
from tests.faults.traffic import metadata

ASPECTS = ("bejegening", "snelheid", "duidelijkheid", "uitkomst", "bereikbaarheid")
PHONE = "+31612345678"


def distinct_bsns(count: int, start: int = 20_000_000) -> list[str]:
    """``count`` distinct BSNs that pass the 11-check, from the eight-digit prefix ``start``."""
    found: list[str] = []
    for number in range(start, 100_000_000):
        first = f"{number:08d}"
        check = sum(w * int(d) for w, d in zip(range(9, 1, -1), first, strict=True)) % 11
        if check <= 9:
            found.append(first + str(check))
        if len(found) == count:
            break
    return found


def invitation_tokens(channel: grpc.Channel, token: str, outbox: Path, count: int) -> list[str]:
    """Create ``count`` delivered invitations by API; the survey token of each, in no order.

    ``token`` needs the role ``issuer`` and the domain ``onderzoek`` (the development token of
    ``stadskamer up`` has every role and domain)."""
    client = PseudonymClient(channel, token, timeout=30)
    issued = client.issue(distinct_bsns(count), ["onderzoek"], "satisfaction-survey")
    subjects = [answer[0] for answer in issued if answer is not None]
    stub = pb_grpc.SurveysServiceStub(channel)

    def invite(numbered: tuple[int, bytes]) -> int:
        number, subject = numbered
        request = pb.CreateInvitationRequest(
            request_id=f"soak-i-{number}",
            subject=subject,
            trigger=pb.TRIGGER_KIND_CONTACT,
            channel=channel_pb2.CHANNEL_PHONE,
            topic="afval",
            org_unit="kcc-telefonie",
            contact_address=pb.ContactAddress(kind=pb.ADDRESS_KIND_SMS, value=PHONE),
        )
        response = stub.CreateInvitation(request, metadata=metadata(token), timeout=30)
        return int(response.invitation.delivery_status)

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(invite, enumerate(subjects)))
    assert statuses == [pb.DELIVERY_STATUS_DELIVERED] * count
    tokens = [_token_of(path) for path in sorted(outbox.glob("*.json"))]
    assert len(set(tokens)) == count
    return tokens


def _token_of(message_file: Path) -> str:
    body = str(json.loads(message_file.read_text(encoding="utf-8"))["body"])
    return body.split("?t=", 1)[1].split()[0]


class Respondents:
    """Answers with the given tokens, one token per answer, never one twice."""

    def __init__(self, channel: grpc.Channel, tokens: list[str]) -> None:
        self._stub = pb_grpc.SurveysServiceStub(channel)
        self._tokens: Iterator[str] = iter(tokens)
        self._lock = threading.Lock()

    def answer(self, n: int) -> pb.SubmitResponseResponse:
        """SubmitResponse (public, no bearer) with the next unused token."""
        with self._lock:
            token = next(self._tokens)
        request = pb.SubmitResponseRequest(
            token=token,
            score=1 + n % 10,
            aspect=ASPECTS[n % len(ASPECTS)],
            what_was_good="Vriendelijk te woord gestaan.",
            what_can_be_better="Sneller terugbellen.",
        )
        response: pb.SubmitResponseResponse = self._stub.SubmitResponse(request, timeout=10)
        return response
