"""A real S3-compatible server on 127.0.0.1 for tests: moto's server mode.

moto stands in for the store an operator runs (any S3 service, Ceph RGW,
Garage); it keeps objects in memory and is no production store. Each server
runs in its own process group, is waited for with a deadline and is always
stopped when its context ends.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tests.support.servers import free_port, stop_group, wait_for_port

MOTO_SERVER = str(Path(sys.executable).with_name("moto_server"))
BUCKET = "ondas-test-media"
ACCESS_KEY = "ondas-test-key"
SECRET_KEY = "ondas-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """The ONDAS_S3_* variables for this server and the test bucket."""
        return {
            "ONDAS_S3_ENDPOINT_URL": self.endpoint,
            "ONDAS_S3_BUCKET": BUCKET,
            "ONDAS_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "ONDAS_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "ONDAS_S3_REGION": REGION,
        }

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=BUCKET)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@contextmanager
def moto_s3_server(log: Path) -> Iterator[S3Server]:
    """moto_server on a free port with an empty test bucket; stopped after."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = S3Server(proc=proc, port=port)
    try:
        # moto imports much on a busy machine: give it time, within bounds.
        wait_for_port(port, proc, timeout=90)
        server.client().create_bucket(Bucket=BUCKET)
        yield server
    finally:
        stop_group(proc, timeout=10)
