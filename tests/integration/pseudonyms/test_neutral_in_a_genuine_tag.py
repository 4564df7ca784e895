"""An encryption of the neutral element inside a genuine tag is still refused by the service.

Issuance never tags one, but should a tag key ever sign ``Enc_d(0)`` the transcryptor must
still refuse it: the service's own tag key signs ``(r·G, r·Y_kcc, Y_kcc)`` here, and
Transcrypt answers INVALID_ARGUMENT ``IDENTITY_PSEUDONYM`` naming ``tagged_pseudonym``.
"""

from __future__ import annotations

import pytest

from stadskamer import pep
from stadskamer.common.errors import InvalidArgument
from stadskamer.pep import group, tags
from stadskamer.pseudonyms.service import TranscryptCommand
from tests.integration.pseudonyms.service_under_test import principal, pseudonym_service

CONTACTS = principal("contacts", {"kcc"}, {"service"})


def test_a_genuinely_tagged_encrypted_neutral_element_is_refused(database_url: str) -> None:
    with pseudonym_service(database_url) as parts:
        _, public_key = parts.key("kcc")
        r = group.random_scalar()
        poison = pep.Ciphertext(group.base_mul(r), group.point_mul(r, public_key), public_key)
        tagged = parts.service.tag(tags.Kind.ENCRYPTED, poison, "kcc").to_bytes()
        with pytest.raises(InvalidArgument) as refused:
            parts.service.transcrypt(CONTACTS, TranscryptCommand("kcc", tagged))
        assert refused.value.reason == "IDENTITY_PSEUDONYM"
        assert [v.field for v in refused.value.violations] == ["tagged_pseudonym"]
