# Sourced by course.sh and test.sh: create .venv (once) and install the pinned stack.
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
# requirements.txt is the lock of pyproject.toml's core and every extra (tests/test_dependencies.py
# checks it); `-e .` adds course_lib itself. No extra is named here: the tf extra would pull the CUDA
# build of TensorFlow beside the lock's tensorflow-cpu.
# The stamp names what was installed (the lock, pyproject.toml, this folder): while they are unchanged,
# pip is not asked again (it takes seconds to find everything installed and rebuilds the editable wheel).
stamp=.venv/.course-installed
wanted="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1) $PWD"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  echo "==> .venv has requirements.txt and course_lib (to install again: rm $stamp)"
else
  echo "==> installing requirements.txt and course_lib into .venv"
  rm -f "$stamp"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
  echo "$wanted" > "$stamp"
fi
# The notebooks run on a kernel named after this environment.
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (colorize-course)" >/dev/null
export PATH="$PWD/.venv/bin:$PATH"
# Python may write its bytecode caches (__pycache__/, ignored by git): the notebooks' kernels, the tests'
# workers and the commands they start then compile each module once, not once per process.
unset PYTHONDONTWRITEBYTECODE
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
