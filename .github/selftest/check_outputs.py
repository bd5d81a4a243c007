"""Self-test: check the outputs that earlier `uses: ./` steps gave.

Each step's outputs arrive as JSON in an environment variable (`${{ toJSON(steps.X.outputs) }}`
in the workflow, never interpolated into the script). Prints every failed expectation as an
error annotation and exits 1 if there was one.
"""

import json
import os
import re
import sys

failures: list[str] = []


def outputs(variable: str) -> dict[str, str]:
    value = json.loads(os.environ.get(variable) or "{}")
    if not isinstance(value, dict):
        raise SystemExit(f"{variable} is not a JSON object")
    return {str(k): str(v) for k, v in value.items()}


def expect(condition: bool, message: str) -> None:
    if not condition:
        failures.append(message)


def published(label: str, out: dict[str, str], version: str, skipped: str = "false") -> None:
    expect(bool(out.get("dep_id")), f"{label}: dep_id is empty")
    expect(out.get("skipped") == skipped, f"{label}: skipped {out.get('skipped')!r} != {skipped}")
    expect(out.get("version") == version, f"{label}: version {out.get('version')!r} != {version}")
    expect(bool(out.get("version_id")), f"{label}: version_id is empty")
    expect(
        re.fullmatch(r"[0-9a-f]{32}", out.get("package_md5", "")) is not None,
        f"{label}: package_md5 {out.get('package_md5')!r} is not an MD5",
    )
    expect(out.get("etag") == out.get("package_md5"), f"{label}: etag differs from package_md5")
    expect(int(out.get("size") or 0) > 0, f"{label}: size is not positive")
    expect(int(out.get("file_count") or 0) > 0, f"{label}: file_count is not positive")
    expect(
        out.get("package_path", "").startswith("/github/runner_temp/"),
        f"{label}: package_path {out.get('package_path')!r} is not under RUNNER_TEMP",
    )


def check_publish() -> None:
    first, second, third = outputs("FIRST"), outputs("SECOND"), outputs("THIRD")
    dry = outputs("DRY")
    published("first publish", first, "1")
    published("second publish", second, "2")
    published("unchanged publish", third, "2", skipped="true")
    expect(first.get("dep_id") == second.get("dep_id"), "the two publishes gave different dep_id")
    expect(first.get("package_md5") != second.get("package_md5"), "the trees gave the same zip")
    expect(third.get("version_id") == second.get("version_id"), "unchanged: another version id")
    published("token sign-in", outputs("TOKEN_RUN"), "1")
    published("IAM sign-in through OBS", outputs("OBS_RUN"), "1")
    expect(outputs("OBS_RUN").get("etag") == second.get("package_md5"), "OBS: another zip")
    published("keyless sign-in through OBS", outputs("KEYLESS_RUN"), "1")
    expect(outputs("KEYLESS_RUN").get("etag") == second.get("package_md5"), "keyless: another zip")
    expect(
        os.environ.get("KEYLESS_DENIED_OUTCOME") == "failure",
        "keyless without a token gave outcome "
        f"{os.environ.get('KEYLESS_DENIED_OUTCOME')!r}, not failure",
    )
    expect(dry.get("dep_id") == "" and dry.get("version") == "", "the dry run published")
    expect(dry.get("package_md5") == second.get("package_md5"), "the dry run built another zip")
    expect(
        os.environ.get("BAD_OUTCOME") == "failure",
        f"a wrong secret key gave outcome {os.environ.get('BAD_OUTCOME')!r}, not failure",
    )


def check_runtime() -> None:
    published(os.environ.get("RUNTIME", "runtime"), outputs("PUBLISHED"), "1")


def main() -> int:
    {"publish": check_publish, "runtime": check_runtime}[sys.argv[1]]()
    for failure in failures:
        print(f"::error::{failure}")
    if not failures:
        print("all outputs as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
