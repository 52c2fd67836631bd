#!/usr/bin/env bash
# Are pyproject.toml's floors true? Installs the OLDEST version pyproject allows of every runtime
# dependency (NumPy, SciPy, ..., and the extras tf, widgets and instructor) into a fresh virtualenv
# under a temporary folder, installs course_lib there and runs the library's fast tests with it.
#
#   bash scripts/check_lower_bounds.sh            (PYTHON=python3.11 by default; needs PyPI)
#
# The floors are read from pyproject.toml, never repeated here: raising one there tests the new one.
# On Linux TensorFlow comes as tensorflow-cpu (same version, no CUDA download). The tests chosen
# need no Jupyter kernel and no long training (LOWER_BOUNDS_TESTS to choose others). On 2 shared,
# busy cores: about 3 minutes to install and 3 to test. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || { echo "error: $PYTHON not found; set PYTHON=/path/to/python3.10+" >&2; exit 1; }
start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name==floor for every ">=" in [project] dependencies and the extras the library itself uses (tf,
# widgets, instructor; not the tools of jupyter, test and lint); a requirement without a floor is
# an error (pyproject must promise one).
"$PYTHON" - "$repo/pyproject.toml" >"$work/floors.txt" <<'EOF'
import re, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
extras = project["optional-dependencies"]
for spec in project["dependencies"] + extras["tf"] + extras["widgets"] + extras["instructor"]:
    match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9][0-9A-Za-z.]*)(\s*,.*)?", spec.strip())
    if not match:
        sys.exit(f"pyproject.toml: {spec!r} has no '>=' floor; give every dependency one")
    name, floor = match.group(1), match.group(2)
    if name == "tensorflow" and sys.platform == "linux":
        name = "tensorflow-cpu"  # the same TensorFlow without the CUDA wheels
    print(f"{name}=={floor}")
EOF
echo "==> floors from pyproject.toml:"; sed 's/^/    /' "$work/floors.txt"

"$PYTHON" -m venv "$work/venv"
py=$work/venv/bin/python
"$py" -m pip install --quiet --upgrade pip
# The floors as constraints: pip must find them all compatible with each other and with course_lib.
# pytest is the test runner only (any recent one); the floors decide everything the library imports.
"$py" -m pip install --quiet --no-compile --only-binary=:all: -c "$work/floors.txt" -r "$work/floors.txt" pytest
"$py" -m pip install --quiet --no-deps -e "$repo"
"$py" -m pip check
echo "==> installed:"
"$py" -m pip list --format=freeze 2>/dev/null | grep -iE "^($(cut -d= -f1 "$work/floors.txt" | paste -sd'|'))==" | sed 's/^/    /'
installed=$(date +%s)

# Fast tests: colour, metrics, data, the pipeline, the model, short CPU trainings (both stages, the
# feature cache, resume), inference, classification and hints; nothing that starts a kernel or a
# browser. Left out for time (they add nothing version-specific): a 12 MP photo colorized, and the
# longer training tests that repeat a whole run (reproducibility, schedule, validation loss).
tests=${LOWER_BOUNDS_TESTS:-tests/test_color.py tests/test_metrics.py tests/test_recipes.py tests/test_layout.py
  tests/test_data.py tests/test_pipeline.py tests/test_model.py tests/test_classification.py tests/test_hints.py
  tests/test_inference.py tests/test_colorizer.py tests/test_train.py tests/test_feature_cache.py tests/test_dependencies.py}
left_out="large_rgb_photo or same_arguments_give_the_same_model or stopped_run_resumes or val_loss_is_the_training_loss"
# shellcheck disable=SC2086
(cd "$repo" && COURSE_FAST=1 TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH="$repo" \
  "$py" -m pytest $tests -q -m "not slow and not browser" -k "not ($left_out)" -p no:cacheprovider --durations=5)
end=$(date +%s)
echo "lower bounds: ok (install $((installed - start)) s, tests $((end - installed)) s)"
