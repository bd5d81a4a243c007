#!/usr/bin/env bash
# Static checks: lint, format and types.
source "$(dirname "$0")/venv.sh"
cd "$root"
ruff check .
ruff format --check .
mypy
