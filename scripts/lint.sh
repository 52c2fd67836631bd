#!/usr/bin/env bash
# Lint: ruff's small rule set (pyproject.toml, [tool.ruff]) and course_lib's layers (.importlinter,
# checked by import-linter's lint-imports; imports inside functions count too). Both tools are
# pinned in requirements.txt, so by default this installs the stack into .venv (scripts/setup_env.sh).
# LINT_VENV=/path/to/venv uses that virtualenv instead: it needs only ruff and import-linter.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -n "${LINT_VENV:-}" ]]; then
  export PATH="$LINT_VENV/bin:$PATH"
else
  source scripts/setup_env.sh
fi
# The notebooks' jupytext sources are linted; their .ipynb and solutions/ are generated from them.
echo "==> ruff check"
ruff check --no-cache course_lib tests scripts benchmarks notebooks
echo "==> lint-imports (.importlinter: course_lib's layers)"
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" lint-imports --no-cache
