#!/usr/bin/env bash
# Runs the action end to end against the local FunctionGraph emulator: builds a sample
# `pip install --target`-style tree, publishes it and attaches it to the function `api`,
# re-runs unchanged (skipped, nothing to attach), publishes a change (version 2, attached in
# place of version 1, which keep-versions: 1 keeps as it is under 15 minutes old), then builds
# from a requirements file for Python3.12 with uv, from a wheelhouse it serves itself on
# 127.0.0.1 (no network), and shows the outputs and summary of each run.
# shellcheck source=venv.sh
source "$(dirname "$0")/venv.sh"
cd "$root" || exit 1
demo="$(mktemp -d)"
trap 'kill "$emulator_pid" "$index_pid" 2>/dev/null; rm -rf "$demo"' EXIT
index_pid=""

# A realistic tree: the pure-Python packages this project's venv already holds. Their
# compiled speed-ups (*.so) are left out: built for this Python, not the function's Python3.9,
# the action would refuse them.
site="$(python -c 'import requests, pathlib; print(pathlib.Path(requests.__file__).parents[1])')"
mkdir -p "$demo/workspace/build" "$demo/runner_temp" "$demo/file_commands"
for pkg in requests idna urllib3 charset_normalizer; do
    cp -r "$site/$pkg" "$demo/workspace/build/"
done

PYTHONPATH=tests python -m fgs_emulator --port 0 --function api:Python3.9 \
    >"$demo/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 50); do grep -q listening "$demo/emulator.log" && break; sleep 0.1; done
url="$(sed -n 's/^fgs-emulator listening on //p' "$demo/emulator.log")"
[ -n "$url" ] || { echo "the emulator did not start:"; cat "$demo/emulator.log"; exit 1; }
echo "FunctionGraph emulator at $url"

# The output file holds `name<<ghadelimiter_<uuid>` blocks (github-actions.md); the runner
# turns each into `steps.<id>.outputs.<name>`. Shown as `name = value`, as later steps see them.
show_outputs() {
    python - "$1" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
i = 0
while i < len(lines):
    if "<<" in lines[i]:
        name, delimiter = lines[i].split("<<", 1)
        end = lines.index(delimiter, i + 1)
        print(f"{name} = " + "\n".join(lines[i + 1 : end]))
        i = end
    elif "=" in lines[i]:
        print(" = ".join(lines[i].split("=", 1)))
    i += 1
PY
}

publish() {
    : >"$demo/file_commands/output" ; : >"$demo/file_commands/summary"
    env -i PATH="$PATH" HOME="$demo" GITHUB_ACTIONS=true \
        GITHUB_WORKSPACE="$demo/workspace" RUNNER_TEMP="$demo/runner_temp" \
        GITHUB_OUTPUT="$demo/file_commands/output" GITHUB_STEP_SUMMARY="$demo/file_commands/summary" \
        "INPUT_NAME=demo-requests" "INPUT_RUNTIME=python3.9" "INPUT_PATH=build" \
        "INPUT_EXCLUDE=__pycache__/
*.so" "INPUT_DESCRIPTION=requests and friends" \
        "INPUT_REGION=cn-north-4" "INPUT_PROJECT-ID=0123456789abcdef0123456789abcdef" \
        "INPUT_ACCESS-KEY=DEMOACCESSKEY0000001" \
        "INPUT_SECRET-KEY=demo-secret-key-0000000000000000000000" \
        "INPUT_ENDPOINT=$url" "INPUT_OBS-ENDPOINT=$url" "INPUT_DRY-RUN=" "INPUT_TIMEOUT=" \
        "INPUT_SECURITY-TOKEN=" "INPUT_FUNCTIONS=api" "INPUT_KEEP-VERSIONS=1" \
        "$@" python -m fgs_dependency
    echo "--- exit code $?; the step's outputs, as the runner reads them from GITHUB_OUTPUT:"
    show_outputs "$demo/file_commands/output"
    echo "--- the job summary (GITHUB_STEP_SUMMARY, Markdown):"
    cat "$demo/file_commands/summary"
}

echo "=== First publish: version 1, attached to the function 'api'"
publish
echo "=== The same tree again (a re-run): nothing new is published"
publish
echo "=== A file changed: version 2, attached to 'api' in place of version 1 (kept: recent)"
echo "# changed for the demo" >>"$demo/workspace/build/requests/__version__.py"
publish

echo "=== From a requirements file: uv installs the wheels for Python3.12 on x86_64-manylinux2014"
echo "    (the index is a wheelhouse made and served here: wheels for several Pythons and platforms)"
python tests/wheelhouse.py "$demo/wheelhouse" >"$demo/index.log" 2>&1 &
index_pid=$!
for _ in $(seq 50); do grep -q "index at" "$demo/index.log" && break; sleep 0.1; done
index="$(sed -n 's/^wheelhouse index at //p' "$demo/index.log")"
[ -n "$index" ] || { echo "the wheelhouse index did not start:"; cat "$demo/index.log"; exit 1; }
printf 'tinyext==1.0\n' >"$demo/workspace/requirements.txt"
# Only what uv installed is packaged ('path' left empty), under another name: no function.
publish "INPUT_NAME=demo-wheels" "INPUT_RUNTIME=Python3.12" "INPUT_PATH=" "INPUT_EXCLUDE=" \
    "INPUT_REQUIREMENTS=requirements.txt" "INPUT_INDEX-URL=$index" \
    "INPUT_FUNCTIONS=" "INPUT_KEEP-VERSIONS=" "INPUT_DESCRIPTION=from requirements.txt"
