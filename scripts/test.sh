#!/usr/bin/env bash
# Runs the test suite (the emulator is started by the tests themselves).
# shellcheck source=venv.sh
source "$(dirname "$0")/venv.sh"
# The container test (tests/test_container.py) builds and runs the image with podman; if this
# install fails, that test fails and says so, and the others still run.
if ! command -v podman >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        podman runc debootstrap; } >/dev/null || echo "test.sh: could not install podman" >&2
fi
cd "$root" || exit 1
exec python -m pytest "$@"
