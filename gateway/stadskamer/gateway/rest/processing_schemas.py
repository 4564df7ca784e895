"""The JSON schemas of the processing-log routes, and the records' JSON form."""

from __future__ import annotations

from typing import Any

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.codec import EnumCodec, iso

PURPOSES = EnumCodec(pb.QueryPurpose, "QUERY_PURPOSE_")
STATUSES = EnumCodec(pb.ProcessingStatus, "PROCESSING_STATUS_")
SIZE = {"type": "integer", "format": "int64", "minimum": 0, "description": "A tree size."}
INDEX = {"type": "integer", "format": "int64", "minimum": 0, "description": "A leaf index."}
HASHES = s.array("Hashes (hex), from the leaf's side up.", s.hexadecimal("A hash.", 32))
FILTER: dict[str, s.Schema] = {
    "actor": s.text("Only this actor (token subject).", maxLength=255),
    "purpose": s.text("Only this purpose id.", maxLength=255),
    "domain": s.code("Only this requester or target domain."),
    "reference": s.text(
        "Only records with this reference, as the service named it (e.g. `contacts/<id>`).",
        maxLength=255,
    ),
    "fromTime": s.moment("Only processing that started at or after this time."),
    "untilTime": s.moment("Only processing that started before this time."),
}

SCHEMAS: dict[str, s.Schema] = {
    "SignedTreeHead": s.obj(
        "A signed statement of the log's size and Merkle root.",
        {
            "treeSize": SIZE,
            "rootHash": s.hexadecimal("The RFC 9162 root hash.", 32),
            "timestamp": s.moment("When it was signed."),
            "signature": s.hexadecimal("The Ed25519 signature.", 64),
            "keyId": s.text("The signing key's id."),
        },
        ("treeSize", "rootHash", "timestamp", "signature", "keyId"),
    ),
    "InclusionProof": s.obj(
        "An RFC 9162 inclusion proof.",
        {
            "leafIndex": INDEX,
            "treeSize": SIZE,
            "leafHash": s.hexadecimal("Leaf.", 32),
            "inclusionPath": HASHES,
        },
        ("leafIndex", "treeSize", "leafHash", "inclusionPath"),
    ),
    "ConsistencyProof": s.obj(
        "An RFC 9162 consistency proof.",
        {"firstSize": SIZE, "secondSize": SIZE, "consistencyPath": HASHES},
        ("firstSize", "secondSize", "consistencyPath"),
    ),
    "ProcessingRecord": s.obj(
        "One logged processing of personal data. Codes only; the subject is the audit "
        "domain's pseudonym.",
        {
            "leafIndex": INDEX,
            "recordId": s.text("The reporter's idempotency key."),
            "traceId": s.hexadecimal("The OpenTelemetry trace id."),
            "name": s.text("The operation, e.g. `history.read`."),
            "startTime": s.moment("When it started."),
            "endTime": s.moment("When it ended."),
            "status": s.choice("Whether it succeeded.", STATUSES),
            "outcome": s.text("The outcome code."),
            "purpose": s.text("The purpose id."),
            "legalBasis": s.text("The legal basis."),
            "actor": s.text("Who asked for it."),
            "requesterDomain": s.text("The domain that received the data."),
            "targetDomain": s.text("The domain whose data was processed."),
            "basis": s.text("The consent or policy rule used."),
            "reference": s.text(
                "What was produced, keyed (`keyed:` and 64 hex digits; a count as it is): "
                "search with the `reference` filter."
            ),
            "processingActivityId": s.text("The register entry."),
            "processingActivityVersion": s.integer("Its version."),
            "subject": s.hexadecimal(
                "The citizen's pseudonym in the reporting domain's `audit/<domain>`, or empty."
            ),
            "reporter": s.text("The reporting service."),
            "loggedTime": s.moment("When the log stored it."),
            "leafHash": s.hexadecimal("The RFC 9162 leaf hash.", 32),
        },
        ("leafIndex", "recordId", "name", "startTime", "status", "actor", "leafHash"),
    ),
    "ProcessingRecordList": s.obj(
        "A page of records, in log order.",
        {
            "records": s.array("The records.", s.ref("ProcessingRecord")),
            "nextPageToken": s.page_token(),
        },
        ("records", "nextPageToken"),
    ),
    "ProcessingSearch": s.obj(
        "Which records: a citizen (BSN, issued into audit at once) and/or the other filters. "
        "The issuance and the query are themselves logged, with their purpose.",
        {
            "bsn": s.text(
                "The citizen's BSN (9 digits passing the 11-check), issued by the pseudonym "
                "service into audit (one pseudonym per reporting domain) with the caller's "
                "token; it goes no further and is never stored or logged.",
                pattern=s.BSN_PATTERN,
            ),
            **FILTER,
            "queryPurpose": s.choice("Why (default: subject-access with a citizen).", PURPOSES),
            "pageSize": s.integer("At most this many (default 100).", 1, 1000),
            "pageToken": s.text("`nextPageToken` of the page before.", maxLength=2048),
        },
    ),
    "LogVerification": s.obj(
        "The result of verifying the log through the audit service's public contract.",
        {
            "intact": s.flag("Whether no difference was found."),
            "treeSize": SIZE,
            "rootHash": s.hexadecimal("The signed root.", 32),
            "signedHead": s.ref("SignedTreeHead"),
            "prunedRecords": SIZE,
            "checkedRecords": SIZE,
            "problem": s.text("The first difference found."),
            "firstBadIndex": INDEX,
            "consistentWithPrevious": s.flag("Whether the head extends the one verified before."),
            "verifiedAt": s.moment("When."),
        },
        ("intact", "treeSize", "rootHash", "signedHead", "checkedRecords", "verifiedAt"),
    ),
    "ProcessingReport": s.obj(
        "Use per actor and purpose, and actors that read unusually many citizens' history.",
        {
            "fromTime": s.moment("Start of the period."),
            "untilTime": s.moment("End of the period."),
            "records": s.count("Records in the period."),
            "usage": s.array(
                "Per actor and purpose.",
                s.obj(
                    "Use by one actor for one purpose.",
                    {
                        "actor": s.text("The actor."),
                        "purpose": s.text("The purpose."),
                        "records": s.count("Records."),
                        "subjects": s.count("Distinct citizens."),
                    },
                    ("actor", "purpose", "records", "subjects"),
                ),
            ),
            "unusualAccess": s.array(
                "Actors flagged by the peer rule (see `stadskamer audit report`).",
                s.obj(
                    "One flagged actor.",
                    {
                        "actor": s.text("The actor."),
                        "subjects": s.count("Distinct citizens whose history it read."),
                        "threshold": s.number("The threshold it exceeded."),
                        "peerMedian": s.number("The peers' median."),
                        "peerMad": s.number("The peers' median absolute deviation."),
                    },
                    ("actor", "subjects", "threshold", "peerMedian", "peerMad"),
                ),
            ),
        },
        ("fromTime", "untilTime", "records", "usage", "unusualAccess"),
    ),
}


def head_json(head: pb.SignedTreeHead) -> dict[str, Any]:
    """A signed tree head as JSON."""
    return {
        "treeSize": head.tree_size,
        "rootHash": head.root_hash.hex(),
        "timestamp": iso(head.timestamp),
        "signature": head.signature.hex(),
        "keyId": head.key_id,
    }


def record_json(logged: pb.LoggedRecord) -> dict[str, Any]:
    """A logged record as JSON."""
    record = logged.record
    result: dict[str, Any] = {
        "leafIndex": logged.leaf_index,
        "recordId": record.record_id,
        "traceId": record.trace_id.hex(),
        "name": record.name,
        "startTime": iso(record.start_time),
        "endTime": iso(record.end_time),
        "outcome": record.outcome,
        "purpose": record.purpose,
        "legalBasis": record.legal_basis,
        "actor": record.actor,
        "requesterDomain": record.requester_domain,
        "targetDomain": record.target_domain,
        "basis": record.basis,
        "reference": record.reference,
        "processingActivityId": logged.processing_activity_id,
        "processingActivityVersion": logged.processing_activity_version,
        "subject": logged.subject.hex(),
        "reporter": logged.reporter,
        "loggedTime": iso(logged.logged_time),
        "leafHash": logged.leaf_hash.hex(),
    }
    STATUSES.put(result, "status", record.status)
    return result
