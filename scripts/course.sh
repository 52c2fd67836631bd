#!/usr/bin/env bash
# The course's main job: install everything, find or fetch the data, and execute every
# notebook headlessly, top to bottom. Then start JupyterLab yourself (see README).
# Pass-through: COURSE_FAST=1 for the quick settings, NCD_DIR=... for your NCD copy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
python -m course_lib run-notebooks "$@"
echo
echo "Done. Open the course with:  .venv/bin/jupyter lab notebooks/"
