"""S3 reads and writes for the handler (the only module that talks to S3).

Reads that find the object or its version gone (or archived) raise
:class:`SourceUnavailableError` (permanent); every other S3 or network error propagates
unchanged (transient).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlencode

from botocore.exceptions import ClientError

from function.convergence import CurrentObject
from function.errors import PermanentError
from function.settings import DEFAULT_CACHE_CONTROL

# The error codes meaning this object (or version) will never be readable, with the reason the
# rejection gives. A HEAD response has no body, so its code is the bare HTTP status: only "404"
# says "gone" there; any other status (400 for an expired token, 403 for a missing grant)
# names no cause and raises for a retry. On GET, "InvalidObjectState" (403) is an object in an
# archive storage class: only a restore (hours, outside any retry window) makes it readable, so
# it is rejected and can be reprocessed once restored. "InvalidArgument" is not kept: the HEAD
# before the GET has already accepted the same bucket, key and version, so it names no property
# of the object and raises like any unexplained error (the failure queue keeps the event).
GONE_REASONS = {
    "404": "source object not found",
    "NoSuchKey": "source object not found",
    "NoSuchVersion": "source object version not found",
    "InvalidObjectState": "source object is archived: restore it before it can be read",
}
# Codes of a missing object on HEAD (bare status) and GET, for lookups where absence is an answer.
ABSENT_CODES = frozenset({"404", "NoSuchKey"})
# S3 caps all user metadata of an object at 2 KB; a longer encoded key is linked by its hash.
MAX_METADATA_VALUE = 1024


class SourceUnavailableError(PermanentError):
    """The uploaded object (or the version the event named) is gone or can never be read."""


def source_metadata(bucket: str, key: str, version_id: str | None) -> dict[str, str]:
    """Object metadata linking an output to its source. S3 metadata must be ASCII, so the key is
    percent-encoded (UTF-8); an encoded key too long for metadata is given as its SHA-256."""
    encoded_key = quote(key, safe="/")
    metadata = {"source-bucket": bucket, "source-version-id": version_id or "null"}
    if len(encoded_key) <= MAX_METADATA_VALUE:
        metadata["source-key"] = encoded_key
    else:
        metadata["source-key-sha256"] = hashlib.sha256(key.encode()).hexdigest()
    return metadata


def names_source(metadata: Mapping[str, str], bucket: str, key: str) -> bool:
    """Whether output metadata (see :func:`source_metadata`) names ``bucket``/``key`` as its
    source, whichever version."""
    expected = source_metadata(bucket, key, None)
    return all(
        metadata.get(name) == value
        for name, value in expected.items()
        if name != "source-version-id"
    )


def metadata_source(metadata: Mapping[str, str]) -> tuple[str, str] | None:
    """The ``(bucket, key)`` an output's metadata names (the key decoded), or ``None`` when it
    names none or gives only the key's hash."""
    bucket, encoded_key = metadata.get("source-bucket"), metadata.get("source-key")
    if not bucket or encoded_key is None:
        return None
    return bucket, unquote(encoded_key)


def tag_set(tags: Mapping[str, str]) -> str:
    """Object tags as the URL-encoded query string ``PutObject`` takes."""
    return urlencode(sorted(tags.items()))


class Storage:
    """Reads uploads and writes outputs through one boto3 S3 client; every output is written with
    ``cache_control`` as its ``Cache-Control`` header."""

    def __init__(self, client: Any, cache_control: str = DEFAULT_CACHE_CONTROL) -> None:
        self._client = client
        self.cache_control = cache_control

    @property
    def client(self) -> Any:
        """The boto3 S3 client (the local load test counts its requests)."""
        return self._client

    def object_size(self, bucket: str, key: str, version_id: str | None) -> int:
        """Size in bytes of the object, from a HEAD request (nothing is downloaded)."""
        response = self._call("head_object", bucket, key, version_id)
        return int(response["ContentLength"])

    def download(self, bucket: str, key: str, version_id: str | None, max_bytes: int) -> bytes:
        """The object's bytes, reading at most ``max_bytes + 1`` so a body larger than its HEAD
        said cannot exhaust memory (the caller compares the length)."""
        response = self._call("get_object", bucket, key, version_id)
        with response["Body"] as body:
            return body.read(max_bytes + 1)

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str,
        metadata: dict[str, str],
        *,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Write one output with its content type, cache policy, source metadata and tags."""
        extra = {"Tagging": tag_set(tags)} if tags else {}
        self._client.put_object(
            Bucket=bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=self.cache_control,
            Metadata=metadata,
            **extra,
        )

    def current_object(self, bucket: str, key: str) -> CurrentObject | None:
        """The current version of ``key`` (HEAD without a version id), or ``None`` when the key
        does not exist (404: deleted, or never created); other errors propagate."""
        try:
            head = self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in ABSENT_CODES:
                return None
            raise
        return CurrentObject(
            head.get("VersionId"),
            head.get("ETag"),
            head.get("LastModified"),
            head.get("ContentLength"),
        )

    def output_metadata(self, bucket: str, key: str) -> dict[str, str] | None:
        """The user metadata of an output (HEAD), or ``None`` when there is no such object."""
        try:
            head = self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in ABSENT_CODES:
                return None
            raise
        return dict(head.get("Metadata", {}))

    def read_small(self, bucket: str, key: str, max_bytes: int) -> bytes | None:
        """The bytes of a small object (a manifest), at most ``max_bytes + 1`` of them, or
        ``None`` when there is no such object."""
        try:
            response = self._client.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in ABSENT_CODES:
                return None
            raise
        with response["Body"] as body:
            return body.read(max_bytes + 1)

    def delete(self, bucket: str, key: str) -> None:
        """Delete ``key`` (in a versioned bucket: a delete marker over its current version)."""
        self._client.delete_object(Bucket=bucket, Key=key)

    def _call(self, operation: str, bucket: str, key: str, version_id: str | None) -> Any:
        kwargs = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            return getattr(self._client, operation)(**kwargs)
        except ClientError as exc:
            code = _code(exc)
            if code in GONE_REASONS:
                raise SourceUnavailableError(f"{GONE_REASONS[code]} ({code})") from exc
            raise


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
