"""The part of a backup that is in the S3 bucket: listed, never copied.

Objects in an S3-compatible store are backed up by the store (versioning,
replication, its own snapshot tools), not by ``ondas backup``, which would
have to download every object to a local disk sized for the whole bucket.
What the backup does keep is ``s3_manifest.json``: every object of the
bucket with its size and ETag, and for each audio row in the bucket its
SHA-256 (verified when the bytes were stored), so a restore into an instance
pointed at that bucket, or at a copy of it, can be checked against it.
``backup.json`` says how many objects were listed and that they were not
copied; so does ``ondas backup``'s last line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings

from ondas.catalog.models import AudioFile
from ondas.core.media import S3, storage_for

S3_MANIFEST = "s3_manifest.json"


class S3BackupError(Exception):
    """Rows name the bucket but no bucket is configured."""


def s3_manifest_write(work: Path) -> dict[str, Any] | None:
    """Write ``s3_manifest.json`` in ``work``; None when there is no bucket."""
    in_bucket = AudioFile.objects.filter(storage=S3)
    if S3 not in settings.STORAGES:
        if in_bucket.exists():
            raise S3BackupError(
                "audio rows name the S3 bucket, but no bucket is configured "
                "(ONDAS_S3_*): cannot list what they point at."
            )
        return None
    storage = storage_for(S3)
    client = storage.connection.meta.client  # type: ignore[attr-defined]
    bucket = str(storage.bucket_name)  # type: ignore[attr-defined]
    objects = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            objects.append(
                {"key": item["Key"], "size": item["Size"], "etag": item["ETag"]}
            )
    audio = [
        {"id": pk, "key": name, "size": size, "sha256": sha256}
        for pk, name, size, sha256 in in_bucket.order_by("pk").values_list(
            "pk", "file", "size", "sha256"
        )
    ]
    (work / S3_MANIFEST).write_text(
        json.dumps({"bucket": bucket, "objects": objects, "audio": audio}, indent=1)
        + "\n"
    )
    return {
        "bucket": bucket,
        "manifest": S3_MANIFEST,
        "objects": len(objects),
        "bytes": sum(int(o["size"]) for o in objects),
        "audio_rows": len(audio),
        "copied": False,
    }
