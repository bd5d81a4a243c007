#!/usr/bin/env bash
# Runs the test suite (the emulator is started by the tests themselves).
source "$(dirname "$0")/venv.sh"
cd "$root"
exec python -m pytest "$@"
