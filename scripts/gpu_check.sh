#!/usr/bin/env bash
# The GPU check: does the course's GPU path run, and how fast? About 5-8 minutes on one GPU.
#
#   bash scripts/gpu_check.sh            (uses .venv/bin/python if present, else python3; PYTHON=... to choose)
#
# 1. trains each decoder for 2 epochs with the gpu recipe (1 epoch of stage 1 on cached features, 1 epoch
#    of stage 2 fine-tuning), with a local VGG19-notop file saved from a random VGG19 standing in for the
#    ImageNet weights (no download needed); the seed decoder with op determinism on, the unet without;
# 2. kills one run after its first epoch and resumes it;
# 3. runs notebook 04 in fast mode;
# 4. runs benchmarks/bench_training.py (float32 and mixed precision);
# 5. prints one summary table. Figures go to benchmarks/README.md by hand, with the GPU's name.
#
# Without a GPU it prints "no GPU: skipped" and exits 0. GPU_CHECK_ON_CPU=1 runs it on a CPU anyway, on 8
# images per split and without the benchmark: that tests this script, not the GPU. Data: $NCD_DIR, ../shared/ncd, else the
# generated sample set (said in the table).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$( [[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3 )}
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2} PYTHONUNBUFFERED=1

gpu=$("$PYTHON" -c "import tensorflow as tf; g = tf.config.list_physical_devices('GPU'); print(len(g))" 2>/dev/null | tail -1)
if [[ -z "$gpu" ]]; then
  echo "error: $PYTHON cannot import TensorFlow; install requirements.txt (with tensorflow[and-cuda]) first" >&2
  exit 1
fi
quick=()
if [[ "$gpu" == "0" ]]; then
  if [[ "${GPU_CHECK_ON_CPU:-}" != 1 ]]; then
    echo "no GPU: skipped"
    exit 0
  fi
  quick=(--max-images-per-split 8)
  echo "GPU_CHECK_ON_CPU=1: testing this script on a CPU (8 images per split, no benchmark)"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=()
row() { results+=("$(printf '| %-42s | %-10s | %s |' "$1" "$2" "$3")"); }

name=$("$PYTHON" -c "import tensorflow as tf; d = tf.config.list_physical_devices('GPU'); print(tf.config.experimental.get_device_details(d[0]).get('device_name', d[0].name) if d else 'CPU')" 2>/dev/null | tail -1)
data=${NCD_DIR:-../shared/ncd}
if [[ ! -d "$data" ]]; then
  data=$work/sample
  "$PYTHON" -m course_lib sample --dest "$data" >/dev/null && data_note="generated sample set" || data_note="no data"
else
  data_note="NCD at $data"
fi
echo "GPU: $name ($gpu visible); data: $data_note"

# A stand-in for the ImageNet weights: same file format, random values.
weights=$work/vgg19_notop.weights.h5
"$PYTHON" - "$weights" <<'EOF'
import sys, keras
keras.utils.set_random_seed(0)
keras.applications.VGG19(include_top=False, weights=None, input_shape=(224, 224, 3)).save_weights(sys.argv[1])
EOF

train() {  # label, extra args...: one gpu-recipe run; records time and per-epoch figures
  local label=$1; shift
  local out=$work/$label start end status
  start=$(date +%s.%N)
  "$PYTHON" -m course_lib train --recipe gpu --weights "$weights" --data "$data" --out "$out" \
      --epochs 1 --fine-tune-epochs 1 "${quick[@]}" "$@" >"$work/$label.log" 2>&1
  status=$?
  end=$(date +%s.%N)
  if [[ $status -eq 0 ]]; then
    row "train $label (gpu recipe, 1+1 epochs)" "ok" "$(awk "BEGIN { printf \"%.0f s total; \", $end - $start }")$(grep -o 'best val PSNR [0-9.]* dB' "$work/$label.log")"
  else
    row "train $label (gpu recipe, 1+1 epochs)" "FAILED" "$(grep -E 'Error|error' "$work/$label.log" | tail -1 | cut -c1-150)"
  fi
  grep -E '^[0-9]+/[0-9]+ - ' "$work/$label.log" | sed "s/^/    $label: /"
}

echo "== 1. each decoder, 2 epochs"
train unet
train seed-deterministic --decoder seed --deterministic

echo "== 2. kill after the first epoch, then resume"
out=$work/resume
"$PYTHON" -m course_lib train --recipe gpu --weights "$weights" --data "$data" --out "$out" \
    --epochs 2 --fine-tune-epochs 1 "${quick[@]}" >"$work/resume1.log" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [[ -f $out/checkpoints/state.json ]] && grep -q '"epochs_done": [1-9]' "$out/checkpoints/state.json" && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.5
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
killed_at=$(grep -o '"epochs_done": [0-9]*' "$out/checkpoints/state.json" 2>/dev/null | grep -o '[0-9]*$')
"$PYTHON" -m course_lib train --recipe gpu --weights "$weights" --data "$data" --out "$out" \
    --epochs 2 --fine-tune-epochs 1 "${quick[@]}" --resume >"$work/resume2.log" 2>&1
done_at=$(grep -o '"epochs_done": [0-9]*' "$out/checkpoints/state.json" 2>/dev/null | grep -o '[0-9]*$')
if [[ "$done_at" == "3" ]]; then row "kill after epoch ${killed_at:-?}, resume" "ok" "3 of 3 epochs done"
else row "kill after epoch ${killed_at:-?}, resume" "FAILED" "$(tail -1 "$work/resume2.log" | cut -c1-150)"; fi

echo "== 3. notebook 04 in fast mode"
start=$(date +%s)
if COURSE_FAST=1 NCD_DIR=$data "$PYTHON" -m course_lib run-notebooks --fast --only 04 >"$work/nb04.log" 2>&1; then
  row "notebook 04, fast mode" "ok" "$(( $(date +%s) - start )) s"
else
  row "notebook 04, fast mode" "FAILED" "$(tail -1 "$work/nb04.log" | cut -c1-150)"
fi

echo "== 4. bench_training.py"
if ((${#quick[@]})); then
  row "bench_training.py" "skipped" "GPU_CHECK_ON_CPU"
elif "$PYTHON" benchmarks/bench_training.py --data "$data" --decoder unet --image-size 224 >"$work/bench.log" 2>&1; then
  row "bench_training.py --decoder unet --image-size 224" "ok" "$(tail -1 "$work/bench.log")"
  sed 's/^/    /' "$work/bench.log" | grep -E '\|' || tail -20 "$work/bench.log"
else
  row "bench_training.py" "FAILED" "$(tail -1 "$work/bench.log" | cut -c1-150)"
fi

echo
echo "GPU check on $name ($data_note)"
printf '| %-42s | %-10s | %s |\n' "check" "result" "figures"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..44})" "$(printf -- '-%.0s' {1..12})" "---"
printf '%s\n' "${results[@]}"
grep -h -iE 'UnimplementedError|determinis.*not' "$work"/*.log | sort -u | sed 's/^/op failure: /' | head -5
! printf '%s\n' "${results[@]}" | grep -q FAILED
