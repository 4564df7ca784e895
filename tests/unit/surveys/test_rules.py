"""The invitation rules, the sampling draw, the response token and sealing (plain Python)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.common.errors import FailedPrecondition
from stadskamer.surveys.domain import (
    Channel,
    Context,
    DeliveryStatus,
    Invitation,
    InvitationRules,
    Sampler,
    SkipReason,
    TriggerKind,
    new_token,
    require_answerable,
    screen,
    token_hash,
)
from stadskamer.surveys.sealing import Keyring
from tests.unit.surveys.fakes import START

CONTEXT = Context(TriggerKind.CONTACT, Channel.PHONE, "paspoort", "kcc-noord")
RULES = InvitationRules(
    fatigue_days=30, sampling_rates={Channel.PHONE: 0.5, Channel.LETTER: 0.0}, topics=frozenset()
)


def decide(**changes: object) -> SkipReason | None:
    """``screen`` with an invitable citizen unless changed."""
    values: dict[str, object] = {
        "rules": RULES,
        "context": CONTEXT,
        "anonymous": False,
        "objected": False,
        "draw": 0.1,
        "last_invited_at": None,
        "now": START,
    }
    values.update(changes)
    return screen(**values)  # type: ignore[arg-type]


def test_the_rules_apply_in_order_and_name_the_first_reason() -> None:
    assert decide() is None
    assert decide(anonymous=True, objected=True) is SkipReason.ANONYMOUS
    letter = Context(TriggerKind.CONTACT, Channel.LETTER, "paspoort", "kcc-noord")
    assert decide(context=letter, objected=True) is SkipReason.NOT_ELIGIBLE
    assert decide(objected=True, draw=0.9) is SkipReason.OBJECTED
    assert decide(draw=0.5, last_invited_at=START) is SkipReason.NOT_SAMPLED
    assert decide(last_invited_at=START - timedelta(days=3)) is SkipReason.FATIGUE


def test_only_the_configured_topics_are_surveyed() -> None:
    rules = InvitationRules(topics=frozenset({"paspoort"}))
    other = Context(TriggerKind.CONTACT, Channel.PHONE, "afval", "kcc-noord")
    assert decide(rules=rules) is None
    assert decide(rules=rules, context=other) is SkipReason.NOT_ELIGIBLE


@given(st.integers(min_value=0, max_value=120 * 24 * 60))
def test_fatigue_blocks_exactly_within_the_period(minutes_ago: int) -> None:
    last = START - timedelta(minutes=minutes_ago)
    blocked = decide(last_invited_at=last) is SkipReason.FATIGUE
    assert blocked == (minutes_ago < 30 * 24 * 60)


@given(st.text(min_size=1, max_size=40))
def test_the_sampling_draw_is_deterministic_and_in_range(key: str) -> None:
    sampler = Sampler(b"seed-0123456789abcdef")
    assert sampler.draw(key) == sampler.draw(key)
    assert 0.0 <= sampler.draw(key) < 1.0
    assert Sampler(b"another-seed-012345").draw(key) != sampler.draw(key)


def test_the_sampling_rate_is_met_over_many_triggers() -> None:
    sampler = Sampler(b"seed-0123456789abcdef")
    sampled = sum(1 for n in range(4000) if sampler.draw(f"event:{n}") < 0.25)
    assert 900 <= sampled <= 1100


def test_tokens_are_long_random_and_stored_only_as_a_hash() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200 and all(len(t) == 43 for t in tokens)
    token = next(iter(tokens))
    assert len(token_hash(token)) == 32 and token.encode() not in token_hash(token)


def invitation(status: DeliveryStatus, expires_in: timedelta = timedelta(days=1)) -> Invitation:
    """A delivered-or-not invitation with a token expiring ``expires_in`` after START."""
    return Invitation("i", bytes(32), CONTEXT, status, START, token_expires_at=START + expires_in)


@pytest.mark.parametrize(
    ("status", "expires_in", "reason"),
    [
        (DeliveryStatus.RESPONDED, timedelta(days=1), "TOKEN_USED"),
        (DeliveryStatus.DELIVERED, timedelta(0), "TOKEN_EXPIRED"),
        (DeliveryStatus.CANCELLED, timedelta(days=1), "INVITATION_CANCELLED"),
        (DeliveryStatus.PENDING_DELIVERY, timedelta(days=1), "TOKEN_NOT_ACTIVE"),
    ],
)
def test_an_unanswerable_invitation_says_why(
    status: DeliveryStatus, expires_in: timedelta, reason: str
) -> None:
    with pytest.raises(FailedPrecondition) as refused:
        require_answerable(invitation(status, expires_in), START)
    assert refused.value.reason == reason
    require_answerable(invitation(DeliveryStatus.DELIVERED), START)


def test_sealed_values_are_bound_to_their_place_and_member_keys_shred() -> None:
    keys = Keyring(bytes(range(32)))
    sealed = keys.texts.seal("Karin was vriendelijk", "inv-1/good")
    assert keys.texts.open(sealed, "inv-1/good") == "Karin was vriendelijk"
    with pytest.raises(InvalidTag):
        keys.texts.open(sealed, "inv-2/good")
    sealer, wrapped = keys.new_member_key("member-1")
    address = sealer.seal("jan@example.nl", "member-1/address")
    assert keys.member_sealer("member-1", wrapped).open(address, "member-1/address")
    assert b"jan@example.nl" not in address and b"jan" not in wrapped
    assert keys.reference_hash("complaints/1") == Keyring(bytes(range(32))).reference_hash(
        "complaints/1"
    )
    assert keys.reference_hash("complaints/1") != Keyring(bytes(32)).reference_hash("complaints/1")
