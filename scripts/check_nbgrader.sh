#!/usr/bin/env bash
# nbgrader for real (tests/test_nbgrader.py): install nbgrader in a virtualenv of its own, then
# export notebook 01, run nbgrader's generate_assignment, autograde and export on three learners,
# and check that nbgrader's scores equal `python -m course_lib grade --class`'s.
# The virtualenv sees the course's environment (Jupyter, NumPy...) through a .pth file, so pip adds
# only what nbgrader needs beyond it, and never touches the course's own environment.
# Usage: bash scripts/check_nbgrader.sh   (NBGRADER_VENV: where the virtualenv goes, kept for next time)
set -euo pipefail
cd "$(dirname "$0")/.."
NBGRADER_VERSION=0.9.6
venv=${NBGRADER_VENV:-/tmp/colorize-course-nbgrader}
if [[ -x .venv/bin/python ]]; then python=.venv/bin/python; else python=$(command -v python); fi
start=$(date +%s)
if [[ ! -x "$venv/bin/nbgrader" ]]; then
  echo "==> installing nbgrader $NBGRADER_VERSION in $venv (beside the course's environment, not into it)"
  "$python" -m venv "$venv"
  course_site=$("$python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
  venv_site=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
  echo "import site; site.addsitedir('$course_site')" > "$venv_site/_colorize_course_env.pth"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "nbgrader==$NBGRADER_VERSION"
fi
NBGRADER_BIN="$venv/bin" COURSE_FAST=1 "$python" -m pytest tests/test_nbgrader.py -p no:cacheprovider -q -rs
echo "nbgrader check finished in $(( $(date +%s) - start )) s"
