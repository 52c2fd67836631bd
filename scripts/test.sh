#!/usr/bin/env bash
# Install everything, then run the tests.
#   bash scripts/test.sh           the full suite: library tests, the notebooks under nbval, the browser test;
#                                  each learner notebook runs once (under nbval, or 01, 06, 08 and 09 in the browser
#                                  test), and tests/test_grading.py grades that run's recorded verdicts
#                                  (tests/conftest.py, learner_notebook); on two
#                                  pytest-xdist workers (COURSE_TEST_WORKERS=1: one process), the tests
#                                  grouped by tests/conftest.py's scheduler ("two workers")
#   bash scripts/test.sh --quick   only what needs no training, no kernel and no browser (-m "not slow";
#                                  tests/conftest.py marks the others by reading their code)
# Extra arguments go to pytest (e.g. -m "not browser", --lf to rerun what failed last time).
set -euo pipefail
quick=0
if [[ "${1:-}" == "--quick" ]]; then quick=1; shift; fi
# A relative NCD_DIR means the folder from where this was called, also for the kernels, which run in notebooks/.
if [[ -n "${NCD_DIR:-}" && "$NCD_DIR" != /* ]]; then export NCD_DIR=$PWD/$NCD_DIR; fi
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
export COURSE_FAST=${COURSE_FAST:-1}
if [[ -z "${NCD_DIR:-}" && -d ../shared/ncd ]]; then export NCD_DIR=$PWD/../shared/ncd; fi
if (( quick )); then
  python -m pytest tests -m "not slow" "$@"
else
  workers=${COURSE_TEST_WORKERS:-2}
  if (( workers > 1 )); then
    python -m pytest tests notebooks --nbval-lax -n "$workers" "$@"
  else
    python -m pytest tests notebooks --nbval-lax "$@"
  fi
fi
