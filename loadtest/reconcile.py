"""What the processed bucket should hold for a set of uploads, and how it differs. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from function.manifest import manifest_key
from function.variant_spec import VariantSpec


@dataclass(frozen=True)
class Reconciliation:
    """Uploads against outputs: every upload with all of its outputs (its variants and its
    manifest), nothing else."""

    uploads: int
    expected_outputs: int
    found_outputs: int
    incomplete: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    empty: tuple[str, ...]

    @property
    def exact(self) -> bool:
        """Whether every upload has its complete outputs and nothing is missing or extra."""
        return self.uploads > 0 and not (
            self.incomplete or self.missing or self.extra or self.empty
        )


def reconcile(
    upload_keys: Iterable[str], outputs: Mapping[str, int], variants: Sequence[VariantSpec]
) -> Reconciliation:
    """Compare the upload keys with ``outputs`` (processed key -> size in bytes): each upload's
    variants and manifest."""
    uploads = sorted(set(upload_keys))
    expected = {
        key: {spec.output_key(key) for spec in variants} | {manifest_key(key)} for key in uploads
    }
    wanted = set().union(*expected.values()) if expected else set()
    found = set(outputs)
    return Reconciliation(
        uploads=len(uploads),
        expected_outputs=len(wanted),
        found_outputs=len(found),
        incomplete=tuple(key for key in uploads if not expected[key] <= found),
        missing=tuple(sorted(wanted - found)),
        extra=tuple(sorted(found - wanted)),
        empty=tuple(sorted(key for key in found & wanted if outputs[key] <= 0)),
    )
