#!/usr/bin/env bash
# Install everything, then run the library tests, the notebooks under nbval and the
# browser test. Extra arguments go to pytest (e.g. -m "not browser").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
export COURSE_FAST=${COURSE_FAST:-1}
if [[ -z "${NCD_DIR:-}" && -d ../shared/ncd ]]; then export NCD_DIR=$PWD/../shared/ncd; fi
python -m pytest tests notebooks --nbval-lax -p no:cacheprovider "$@"
