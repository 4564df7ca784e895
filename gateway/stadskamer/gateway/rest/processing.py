"""The processing log for the privacy officer: records, report, proofs and verification.

A search by citizen has the body's BSN issued into ``audit`` by the pseudonym service, with
the caller's own token (roles ``privacy-officer`` and ``issuer``): that gives one tagged
pseudonym per reporting domain (``audit/<domain>``), and ListProcessing finds the records of
every domain with them. The issuance is itself recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.audit import anomalies
from stadskamer.audit.messages import record_of
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.codec import iso, timestamp
from stadskamer.gateway.rest.contacts import PAGE_TOKEN
from stadskamer.gateway.rest.log_check import LogChecker
from stadskamer.gateway.rest.operations import Call, Operation, Param, Reply
from stadskamer.gateway.rest.processing_schemas import (
    FILTER,
    INDEX,
    PURPOSES,
    SIZE,
    head_json,
    record_json,
)

TAG = "processing-log"
REPORT_PAGE = 1000
AUDIT = "audit"
SUBJECT_ACCESS = "subject-access"


def _filter(call: Call, values: dict[str, Any], subjects: list[bytes]) -> pb.ProcessingFilter:
    wanted = pb.ProcessingFilter(
        subjects_tagged=subjects,
        reference=values.get("reference", ""),
        actor=values.get("actor", ""),
        purpose=values.get("purpose", ""),
        domain=values.get("domain", ""),
    )
    for name, key in (("from_time", "fromTime"), ("until_time", "untilTime")):
        if key in values:
            getattr(wanted, name).CopyFrom(timestamp(values[key], key))
    return wanted


def _page(call: Call, values: dict[str, Any], subjects: list[bytes]) -> Reply:
    default = "subject-access" if subjects else "supervision"
    request = pb.ListProcessingRequest(
        filter=_filter(call, values, subjects),
        page_size=values.get("pageSize", 0),
        page_token=values.get("pageToken", ""),
        query_purpose=PURPOSES.number(values.get("queryPurpose", default), "queryPurpose"),  # type: ignore[arg-type]
    )
    page = call.rpc("audit", call.stubs.audit.ListProcessing, request)
    records = [record_json(r) for r in page.records]
    return Reply(200, {"records": records, "nextPageToken": page.next_page_token})


def list_records(call: Call) -> Reply:
    """ListProcessing with filters from the query (no citizen: a BSN never goes in a URL)."""
    return _page(call, call.query, [])


def search_records(call: Call) -> Reply:
    """ListProcessing for a citizen named in the body: the BSN issued into ``audit`` as the
    caller, one tagged pseudonym per reporting domain (none without a ``bsn``)."""
    return _page(call, call.body, call.subjects(AUDIT, SUBJECT_ACCESS, required=False))


def report(call: Call) -> Reply:
    """Use per actor and purpose since ``fromTime``, and the unusual readers."""
    until = datetime.now(UTC)
    wanted = pb.ProcessingFilter(from_time=timestamp(call.query["fromTime"], "fromTime"))
    wanted.until_time.FromDatetime(until)
    records, token = [], ""
    while True:
        request = pb.ListProcessingRequest(
            filter=wanted,
            page_size=REPORT_PAGE,
            page_token=token,
            query_purpose=pb.QUERY_PURPOSE_SUPERVISION,
        )
        page = call.rpc("audit", call.stubs.audit.ListProcessing, request)
        records += [record_of(r) for r in page.records]
        token = page.next_page_token
        if not token:
            break
    flags = anomalies.unusual_readers(
        anomalies.distinct_history_subjects(records),
        minimum=call.query.get("minimum", anomalies.MINIMUM),
    )
    return Reply(
        200,
        {
            "fromTime": iso(wanted.from_time),
            "untilTime": iso(wanted.until_time),
            "records": len(records),
            "usage": [vars(u) for u in anomalies.usage(records)],
            "unusualAccess": [
                {
                    "actor": f.actor,
                    "subjects": f.subjects,
                    "threshold": f.threshold,
                    "peerMedian": f.peer_median,
                    "peerMad": f.peer_mad,
                }
                for f in flags
            ],
        },
    )


def tree_head(call: Call) -> Reply:
    """GetTreeHead."""
    return Reply(
        200, head_json(call.rpc("audit", call.stubs.audit.GetTreeHead, pb.GetTreeHeadRequest()))
    )


def inclusion(call: Call) -> Reply:
    """GetInclusionProof."""
    request = pb.GetInclusionProofRequest(
        leaf_index=call.query["leafIndex"], tree_size=call.query["treeSize"]
    )
    proof = call.rpc("audit", call.stubs.audit.GetInclusionProof, request)
    return Reply(
        200,
        {
            "leafIndex": proof.leaf_index,
            "treeSize": proof.tree_size,
            "leafHash": proof.leaf_hash.hex(),
            "inclusionPath": [p.hex() for p in proof.inclusion_path],
        },
    )


def consistency(call: Call) -> Reply:
    """GetConsistencyProof."""
    request = pb.GetConsistencyProofRequest(
        first_size=call.query["firstSize"], second_size=call.query["secondSize"]
    )
    proof = call.rpc("audit", call.stubs.audit.GetConsistencyProof, request)
    return Reply(
        200,
        {
            "firstSize": proof.first_size,
            "secondSize": proof.second_size,
            "consistencyPath": [p.hex() for p in proof.consistency_path],
        },
    )


def verification(checker: LogChecker) -> Any:
    """The handler that verifies the log with ``checker``."""

    def verify(call: Call) -> Reply:
        """Verify the log through the public contract."""
        result = checker.verify(call)
        body: dict[str, Any] = {
            "intact": result.intact,
            "treeSize": result.head.tree_size,
            "rootHash": result.head.root_hash.hex(),
            "signedHead": head_json(result.head),
            "prunedRecords": result.pruned,
            "checkedRecords": result.checked,
            "verifiedAt": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        if result.problem:
            body["problem"] = result.problem
        if result.first_bad_index is not None:
            body["firstBadIndex"] = result.first_bad_index
        if result.consistent_with_previous is not None:
            body["consistentWithPrevious"] = result.consistent_with_previous
        return Reply(200, body)

    return verify


MAX_SIZE = 2**62
LONG_SECONDS = 120.0
FILTER_PARAMS = tuple(
    Param(name, schema, str(schema["description"])) for name, schema in FILTER.items()
)


def operations(checker: LogChecker) -> list[Operation]:
    """The processing-log routes, verification with ``checker``."""
    size = {**SIZE, "maximum": MAX_SIZE}
    return [
        Operation(
            "GET",
            "/processing-records",
            "listProcessingRecords",
            TAG,
            "List processing",
            "ListProcessing (privacy officer) with filters; the query is itself logged.",
            list_records,
            "ProcessingRecordList",
            params=(
                *FILTER_PARAMS,
                Param("queryPurpose", s.choice("Why.", PURPOSES), "Why (default supervision)."),
                Param("pageSize", s.integer("Page size.", 1, 1000), "At most this many."),
                PAGE_TOKEN,
            ),
        ),
        Operation(
            "POST",
            "/processing-records/_search",
            "searchProcessingRecords",
            TAG,
            "A citizen's processing",
            "ListProcessing for the citizen named in the body (issued into audit with the "
            "caller's token: roles privacy-officer and issuer) and the other filters.",
            search_records,
            "ProcessingRecordList",
            body="ProcessingSearch",
        ),
        Operation(
            "GET",
            "/processing-reports",
            "getProcessingReport",
            TAG,
            "Use and unusual access",
            "Use per actor and purpose since fromTime, and the actors that read the history of "
            "far more citizens than their peers.",
            report,
            "ProcessingReport",
            timeout_seconds=LONG_SECONDS,
            params=(
                Param("fromTime", s.moment("From."), "Start of the period.", True),
                Param("minimum", s.integer("Minimum.", 1, 100000), "Least citizens to flag (20)."),
            ),
        ),
        Operation(
            "GET",
            "/tree-heads/latest",
            "getLatestTreeHead",
            TAG,
            "The newest signed tree head",
            "GetTreeHead.",
            tree_head,
            "SignedTreeHead",
            errors=(403,),
        ),
        Operation(
            "GET",
            "/inclusion-proofs",
            "getInclusionProof",
            TAG,
            "An inclusion proof",
            "GetInclusionProof of one leaf in the tree of a size.",
            inclusion,
            "InclusionProof",
            params=(
                Param("leafIndex", {**INDEX, "maximum": MAX_SIZE}, "The leaf.", True),
                Param("treeSize", {**size, "minimum": 1}, "The tree size.", True),
            ),
        ),
        Operation(
            "GET",
            "/consistency-proofs",
            "getConsistencyProof",
            TAG,
            "A consistency proof",
            "GetConsistencyProof between two tree sizes.",
            consistency,
            "ConsistencyProof",
            params=(
                Param("firstSize", {**size, "minimum": 1}, "The earlier size.", True),
                Param("secondSize", {**size, "minimum": 1}, "The later size.", True),
            ),
        ),
        Operation(
            "POST",
            "/log-verifications",
            "verifyProcessingLog",
            TAG,
            "Verify the log",
            "Checks the signed head, recomputes every leaf hash and the root from the listed "
            "records, and checks consistency with the head verified before.",
            verification(checker),
            "LogVerification",
            timeout_seconds=LONG_SECONDS,
        ),
    ]
