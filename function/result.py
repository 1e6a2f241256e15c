"""The handler's result: what it made of each record, as typed values and as the JSON it returns.

Lambda returns :meth:`HandlerResult.to_json`; the local pipeline, the demo and the bench read it
back with :meth:`HandlerResult.from_json`, so this module is the one definition of its shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class OutputSummary:
    """One variant written to the processed bucket."""

    key: str
    bytes: int
    width: int
    height: int
    format: str
    content_type: str


@dataclass(frozen=True)
class SourceSummary:
    """The upload as decoded: stored size, upright dimensions and format."""

    bytes: int
    width: int
    height: int
    format: str


@dataclass(frozen=True)
class ProcessedUpload:
    """An upload whose every variant was written."""

    bucket: str
    key: str
    version_id: str | None
    source: SourceSummary
    outputs: tuple[OutputSummary, ...]
    duration_ms: float
    manifest_key: str | None = None


@dataclass(frozen=True)
class RejectedUpload:
    """A record no retry can fix, with whatever it named and the reason."""

    bucket: str | None
    key: str | None
    version_id: str | None
    reason: str


@dataclass(frozen=True)
class SkippedRecord:
    """A record that needed no work: a stale version, or outputs already current."""

    bucket: str
    key: str
    version_id: str | None
    reason: str


@dataclass(frozen=True)
class DeletedUpload:
    """A deleted upload whose outputs were removed: ``removed`` lists the output keys that no
    longer hold its outputs."""

    bucket: str
    key: str
    version_id: str | None
    removed: tuple[str, ...]


@dataclass
class HandlerResult:
    """Everything one invocation did, in record order within each list.

    ``batch_item_failures`` names the SQS messages (queue mode) whose upload failed transiently:
    Lambda returns them to the queue for another attempt and deletes the rest of the batch.
    """

    processed: list[ProcessedUpload] = field(default_factory=list)
    rejected: list[RejectedUpload] = field(default_factory=list)
    batch_item_failures: list[str] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)
    deleted: list[DeletedUpload] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON-serialisable form Lambda returns; ``batchItemFailures`` is the key the SQS
        event source mapping reads (``ReportBatchItemFailures``)."""
        return {
            "processed": [asdict(entry) for entry in self.processed],
            "rejected": [asdict(entry) for entry in self.rejected],
            "skipped": [asdict(entry) for entry in self.skipped],
            "deleted": [asdict(entry) for entry in self.deleted],
            "batchItemFailures": [
                {"itemIdentifier": message_id} for message_id in self.batch_item_failures
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HandlerResult:
        """Parse :meth:`to_json`'s form back (raises ``KeyError``/``TypeError`` on another
        shape)."""
        processed = [
            ProcessedUpload(
                bucket=entry["bucket"],
                key=entry["key"],
                version_id=entry["version_id"],
                source=SourceSummary(**entry["source"]),
                outputs=tuple(OutputSummary(**output) for output in entry["outputs"]),
                duration_ms=entry["duration_ms"],
                manifest_key=entry.get("manifest_key"),
            )
            for entry in data["processed"]
        ]
        rejected = [RejectedUpload(**entry) for entry in data["rejected"]]
        failures = [item["itemIdentifier"] for item in data.get("batchItemFailures", [])]
        skipped = [SkippedRecord(**entry) for entry in data.get("skipped", [])]
        deleted = [
            DeletedUpload(**{**entry, "removed": tuple(entry["removed"])})
            for entry in data.get("deleted", [])
        ]
        return cls(processed, rejected, failures, skipped, deleted)
