"""bench.project: every measured run of the project's handler does the whole job."""

import io

from PIL import Image

from bench.project import PROCESSED_BUCKET, ProjectHandler
from function.manifest import manifest_key


def jpeg(size: tuple[int, int] = (320, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize(size).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_every_run_renders_and_writes_every_variant_again(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "PROCESSED_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    handler = ProjectHandler(jpeg(), "bench/photo.jpg")
    try:
        writes: list[str] = []
        handler._module.STORAGE._client.meta.events.register(
            "before-parameter-build.s3.PutObject",
            lambda params, **_: writes.append(params["Key"]),
        )
        first = handler.process()
        second = handler.process()
        assert [o.name for o in first] == [o.name for o in second]
        assert len(first) == 5
        # Both runs wrote the five variants and then the manifest: nothing was skipped.
        variants = sorted(o.name for o in first)
        assert sorted(k for k in writes if k in variants) == sorted(variants * 2)
        assert writes.count(manifest_key("bench/photo.jpg")) == 2
        listed = handler._s3.list_objects_v2(Bucket=PROCESSED_BUCKET)["Contents"]
        assert sorted(item["Key"] for item in listed) == variants
    finally:
        handler.close()
