#!/usr/bin/env bash
# Regenerates the image's hash-pinned lock files from pyproject.toml with uv (PyPI `uv`):
#   requirements.lock        [project] dependencies, resolved for the image (Python 3.13, Linux)
#   requirements-build.lock  [build-system] requires, to build the project's wheel in the image
# Run after changing pyproject's dependencies: bash scripts/lock.sh
set -euo pipefail
cd "$(dirname "$0")/.."
uv="${UV:-uv}"
command -v "$uv" >/dev/null || { echo "needs uv: python3 -m pip install uv" >&2; exit 1; }
common=(--python-version 3.13 --python-platform linux --generate-hashes --quiet
    --custom-compile-command "bash scripts/lock.sh")

# PyGithub (and with it cryptography, PyNaCl, PyJWT, cffi) is left out: actions-toolkit needs it
# only for actions_toolkit.github, which the action never imports (see the Dockerfile).
printf 'pygithub\n' | "$uv" pip compile pyproject.toml "${common[@]}" --excludes - \
    -o requirements.lock

python3 - <<'PY' | "$uv" pip compile - "${common[@]}" -o requirements-build.lock
import tomllib
print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")
PY
