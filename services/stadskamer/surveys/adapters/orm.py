"""Tables of the surveys service's own database.

Moments are UTC microseconds since the Unix epoch (``*_us``), identical on SQLite and
PostgreSQL. A citizen is the 32-byte ``onderzoek`` domain pseudonym, with the stored
reference the pseudonym service gave when it was last claimed. Free texts, source
references, the consent names of call-back tasks and panel members, and contact addresses
are stored sealed (:mod:`stadskamer.surveys.sealing`); a trigger's key and a source
reference's lookup hash are keyed digests, so no value another domain stores is stored here
as it is; an invitation's address is set to NULL once delivered, a panel member's address
key row is deleted when the member leaves. A response token is stored only as its SHA-256, a
caller's request_id only as its keyed digest. No BSN, no polymorphic pseudonym, no address
and no free text in clear is stored.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Every trigger received (an event by id, an API request by its request_id's keyed digest) and
# what came of it: the deduplication key of events and the idempotency key of CreateInvitation,
# stored as the keyed digest of ``event:<id>`` or ``request:<digest hex>`` (Keyring.trigger_key).
triggers = Table(
    "triggers",
    metadata,
    Column("trigger_key", String(160), primary_key=True),
    Column("kind", String(24), nullable=False),
    Column("received_at_us", BigInteger, nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("detail", String(64), nullable=False),
    Column("invitation_id", String(36), nullable=True),
)

invitations = Table(
    "invitations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subject_pseudonym", LargeBinary(32), nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("channel", SmallInteger, nullable=False),
    Column("topic", String(64), nullable=False),
    Column("org_unit", String(64), nullable=False),
    Column("complaint_outcome", String(16), nullable=True),
    Column("source_reference_hash", LargeBinary(32), nullable=True),
    Column("source_reference_sealed", LargeBinary, nullable=True),
    Column("status", String(24), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("address_kind", String(8), nullable=True),
    Column("address_sealed", LargeBinary, nullable=True),
    Column("token_hash", LargeBinary(32), nullable=True),
    Column("token_expires_at_us", BigInteger, nullable=True),
    Column("delivered_at_us", BigInteger, nullable=True),
    Column("responded_at_us", BigInteger, nullable=True),
    Column("cancelled_at_us", BigInteger, nullable=True),
    UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
    Index("ix_invitations_subject", "subject_pseudonym"),
    Index("ix_invitations_reference", "source_reference_hash"),
    Index("ix_invitations_created", "created_at_us"),
    Index("ix_invitations_status", "status", "created_at_us"),
)

# One row per citizen seen: the survey-fatigue clock (when last invited), the citizen's stored
# reference (the newest claim's: it names the citizen in later records; NULL for a citizen
# seen before references were kept), and the row every change about the citizen locks first
# (a revision bump), so that an invitation and an objection of one citizen serialise.
survey_subjects = Table(
    "survey_subjects",
    metadata,
    Column("subject_pseudonym", LargeBinary(32), primary_key=True),
    Column("subject_reference", LargeBinary, nullable=True),
    Column("last_invited_at_us", BigInteger, nullable=True),
    Column("revision", Integer, nullable=False),
)

# Objections to surveys (AVG art. 21, "survey-opt-out"): one row per citizen.
objections = Table(
    "objections",
    metadata,
    Column("subject_pseudonym", LargeBinary(32), primary_key=True),
    Column("objected_at_us", BigInteger, nullable=False),
    Column("withdrawn_at_us", BigInteger, nullable=True),
)

responses = Table(
    "responses",
    metadata,
    Column(
        "invitation_id",
        String(36),
        ForeignKey("invitations.id", name="fk_responses_invitation"),
        primary_key=True,
    ),
    Column("score", SmallInteger, nullable=False),
    Column("aspect", String(64), nullable=False),
    Column("good_sealed", LargeBinary, nullable=False),
    Column("better_sealed", LargeBinary, nullable=False),
    Column("may_call_back", Boolean, nullable=False),
    Column("submitted_at_us", BigInteger, nullable=False),
)

callback_tasks = Table(
    "callback_tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "invitation_id",
        String(36),
        ForeignKey("invitations.id", name="fk_callback_tasks_invitation"),
        nullable=False,
    ),
    Column("org_unit", String(64), nullable=False),
    Column("consent_sealed", LargeBinary, nullable=False),
    Column("state", String(8), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("completed_at_us", BigInteger, nullable=True),
    UniqueConstraint("invitation_id", name="uq_callback_tasks_invitation"),
    Index("ix_callback_tasks_open", "org_unit", "state", "created_at_us", "id"),
)

improvements = Table(
    "improvements",
    metadata,
    Column("id", String(36), primary_key=True),
    # The keyed digest of the caller's request_id (see stadskamer.common.request_ids).
    Column("request_digest", LargeBinary(32), nullable=False),
    Column("quarter", String(7), nullable=False),
    Column("title_sealed", LargeBinary, nullable=False),
    Column("description_sealed", LargeBinary, nullable=False),
    Column("signal_count", Integer, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("created_by", String(255), nullable=False),
    UniqueConstraint("request_digest", name="uq_improvements_request_digest"),
    Index("ix_improvements_quarter", "quarter"),
)

improvement_signals = Table(
    "improvement_signals",
    metadata,
    Column(
        "improvement_id",
        String(36),
        ForeignKey("improvements.id", name="fk_improvement_signals_improvement"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("value", String(64), nullable=False),
)

panel_members = Table(
    "panel_members",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subject_pseudonym", LargeBinary(32), nullable=False),
    Column("age_band", String(16), nullable=False),
    Column("district", String(64), nullable=False),
    Column("preferred_channel", SmallInteger, nullable=False),
    Column("digital_skills", String(8), nullable=False),
    Column("state", String(8), nullable=False),
    Column("address_kind", String(8), nullable=True),
    Column("address_sealed", LargeBinary, nullable=True),
    # The research-panel consent the member joined with, sealed (NULL: joined before it was
    # kept; such a member cannot be re-checked and leaves at the next draw or sweep).
    Column("consent_sealed", LargeBinary, nullable=True),
    Column("joined_at_us", BigInteger, nullable=False),
    Column("left_at_us", BigInteger, nullable=True),
    Column("last_drawn_at_us", BigInteger, nullable=True),
    UniqueConstraint("subject_pseudonym", name="uq_panel_members_subject"),
    Index("ix_panel_members_state", "state", "id"),
)

# A member's data key, wrapped under the onderzoek key; deleting the row crypto-shreds the
# member's sealed address.
panel_member_keys = Table(
    "panel_member_keys",
    metadata,
    Column(
        "member_id",
        String(36),
        ForeignKey("panel_members.id", name="fk_panel_member_keys_member"),
        primary_key=True,
    ),
    Column("wrapped_key", LargeBinary, nullable=False),
)

panel_draws = Table(
    "panel_draws",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("request_digest", LargeBinary(32), nullable=False),
    Column("study", String(64), nullable=False),
    Column("requested_size", Integer, nullable=False),
    Column("left_without_consent", Integer, nullable=False),
    Column("report", Text, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("created_by", String(255), nullable=False),
    UniqueConstraint("request_digest", name="uq_panel_draws_request_digest"),
)

panel_draw_members = Table(
    "panel_draw_members",
    metadata,
    Column(
        "draw_id",
        String(36),
        ForeignKey("panel_draws.id", name="fk_panel_draw_members_draw"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("member_id", String(36), nullable=False),
)
