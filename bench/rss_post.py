"""Child of bench_memory.py: one token-authenticated create-version POST of a ready zip.

    python bench/rss_post.py URL PROJECT_ID TOKEN ZIP {streamed|naive}

streamed: the body is huaweicloud.body.JsonWithFile, sent with `requests` as the action
sends it (its SHA-256 computed by streaming too, as signing would). naive: the JSON document
built in memory with the base64 of the whole zip, for comparison. The action's entry point
is imported first, so the process holds what a real run holds.
"""

import base64
import hashlib
import json
import sys
from pathlib import Path

import requests

import fgs_dependency.__main__  # noqa: F401 -- the action's imports, as in the baseline
from fgs_dependency.huaweicloud.body import JsonWithFile


def main() -> None:
    url, project_id, token, zip_name, mode = sys.argv[1:]
    zip_path = Path(zip_name)
    fields = {"depend_type": "zip", "runtime": "Python3.9", "name": f"bench-rss-{mode}"}
    data: object
    if mode == "streamed":
        body = JsonWithFile(fields=fields, file_field="depend_file", file=zip_path)
        body.sha256()
        data = body.reader()
    else:
        document = {**fields, "depend_file": base64.b64encode(zip_path.read_bytes()).decode()}
        data = json.dumps(document).encode()
    reply = requests.post(
        f"{url}/v2/{project_id}/fgs/dependencies/version",
        data=data,
        headers={"X-Auth-Token": token, "Content-Type": "application/json"},
        timeout=300,
    )
    if reply.status_code not in (200, 201):
        sys.exit(f"HTTP {reply.status_code}: {reply.text[:500]}")
    md5 = hashlib.md5()
    with zip_path.open("rb") as source:  # in chunks: a whole read would raise the peak
        while chunk := source.read(1 << 20):
            md5.update(chunk)
    if reply.json()["etag"] != md5.hexdigest():
        sys.exit("the emulator stored other bytes than the zip")


if __name__ == "__main__":
    main()
