#!/usr/bin/env bash
# The GPU check: does the course's GPU path run, and how fast? About 8-12 minutes on one GPU.
#
#   bash scripts/gpu_check.sh            (uses .venv/bin/python if present, else python3; PYTHON=... to choose)
#
# 0. refuses to run (exit 1) when nvidia-smi lists a GPU that TensorFlow does not see (tensorflow-cpu,
#    as setup_env.sh installs, or CUDA libraries missing): that GPU would go untested;
# 1. trains each decoder for 2 epochs with the gpu recipe (1 epoch of stage 1 on the feature cache that
#    fits, 1 epoch of stage 2 fine-tuning), with a local VGG19-notop file saved from a random VGG19
#    standing in for the ImageNet weights (no download needed); the seed decoder with op determinism on,
#    the unet without;
# 2. kills one run (kill -9) after its first checkpoint (epoch 2: the gpu recipe checkpoints every 2
#    epochs) and resumes it; fails unless the state the run left says it was killed before it finished,
#    and the resumed run did every epoch;
# 3. mixed precision against float32 (--mixed-precision off) at the SAME batch size: the time per step
#    of each stage's last epoch (the first pays for tracing);
# 4. runs notebook 04 in fast mode;
# 5. runs benchmarks/bench_training.py;
# 6. prints one summary table. Figures go to benchmarks/README.md by hand, with the GPU's name.
#
# Without a GPU (nvidia-smi absent or listing none) it prints "no GPU: skipped" and exits 0.
# GPU_CHECK_ON_CPU=1 runs it on a CPU anyway, on 8 images per split and without the benchmark: that
# tests this script, not the GPU. Data: $NCD_DIR, ../shared/ncd, else the generated sample set (said in
# the table). tests/test_gpu_check.py sources this file (nothing runs then) and tests its functions.
set -uo pipefail

#: GPUs that nvidia-smi lists; 0 when it is missing or fails (no driver).
nvidia_smi_gpus() {
  local listing
  listing=$(nvidia-smi -L 2>/dev/null) || { echo 0; return; }
  grep -c '^GPU [0-9]' <<<"$listing"
}

#: GPUs that TensorFlow sees in $PYTHON; empty when TensorFlow cannot be imported.
tensorflow_gpus() {
  "$PYTHON" -c "import tensorflow as tf; print(len(tf.config.list_physical_devices('GPU')))" 2>/dev/null | tail -1
}

#: "run", "skip" or "error: ..." for TensorFlow's and nvidia-smi's GPU counts.
preflight_verdict() {
  local tf_gpus=$1 smi_gpus=$2
  if [[ -z "$tf_gpus" ]]; then
    echo "error: $PYTHON cannot import TensorFlow; install requirements.txt (with tensorflow[and-cuda]) first"
  elif [[ "$tf_gpus" == 0 && "$smi_gpus" -gt 0 ]]; then
    echo "error: nvidia-smi lists $smi_gpus GPU(s) but TensorFlow in $PYTHON sees none, so the GPU would go" \
         "untested. Install the GPU build (pip install 'tensorflow[and-cuda]==<requirements.txt's version>'" \
         "in place of tensorflow-cpu) and check that its CUDA libraries load"
  elif [[ "$tf_gpus" == 0 ]]; then
    echo skip
  else
    echo run
  fi
}

#: The epochs a run folder's checkpoints/state.json says are done; empty when there is none.
epochs_done() {
  grep -o '"epochs_done": [0-9]*' "$1/checkpoints/state.json" 2>/dev/null | grep -o '[0-9]*$'
}

#: "ok|..." or "FAILED|..." for a kill-and-resume: epochs done at the kill, whether the process was
#: still running when it was killed (yes/no), epochs done after the resume, epochs of the whole plan.
kill_verdict() {
  local killed_at=$1 alive=$2 done_at=$3 total=$4
  if [[ -z "$killed_at" || "$killed_at" -lt 1 ]]; then
    echo "FAILED|no epoch was checkpointed before the kill"
  elif [[ "$alive" != yes || "$killed_at" -ge "$total" ]]; then
    echo "FAILED|the run finished ($killed_at of $total epochs) before the kill: nothing was resumed"
  elif [[ "$done_at" != "$total" ]]; then
    echo "FAILED|killed after epoch $killed_at of $total, but the resume ended at ${done_at:-no state}"
  else
    echo "ok|killed after epoch $killed_at of $total, resumed to $total of $total"
  fi
}

#: Start a run (train arguments "$@", --out OUT), kill -9 it once an epoch is checkpointed, resume it.
#: Prints kill_verdict's line; the logs are OUT.first.log and OUT.resume.log.
kill_and_resume() {
  local out=$1 total=$2 pid alive=no killed_at done_at
  shift 2
  "$PYTHON" -m course_lib train "$@" --out "$out" >"$out.first.log" 2>&1 &
  pid=$!
  for _ in $(seq 6000); do  # at most 20 minutes
    [[ -n "$(epochs_done "$out")" && "$(epochs_done "$out")" -ge 1 ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -0 "$pid" 2>/dev/null && alive=yes
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  killed_at=$(epochs_done "$out")
  "$PYTHON" -m course_lib train "$@" --out "$out" --resume >"$out.resume.log" 2>&1
  done_at=$(epochs_done "$out")
  kill_verdict "$killed_at" "$alive" "$done_at" "$total"
}

#: Milliseconds per step of the N-th epoch line (1-based) of a Keras log (verbose=2:
#: "12/12 - 3s - 250ms/step - loss: ..."); empty when there is no such line.
epoch_step_ms() {
  grep -E '^[0-9]+/[0-9]+ - ' "$1" | sed -n "${2}p" \
    | grep -oE '[0-9.]+(us|ms|s)/step' | awk -F'/' '{
        v = $1; unit = v; sub(/[0-9.]+/, "", unit); sub(/(us|ms|s)$/, "", v)
        printf "%.1f\n", v * (unit == "s" ? 1000 : unit == "us" ? 0.001 : 1) }'
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
  PYTHON=${PYTHON:-$( [[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3 )}
  export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2} PYTHONUNBUFFERED=1

  local gpu smi verdict
  gpu=$(tensorflow_gpus)
  smi=$(nvidia_smi_gpus)
  verdict=$(preflight_verdict "$gpu" "$smi")
  case $verdict in
    error:*) echo "$verdict" >&2; exit 1 ;;
    skip) if [[ "${GPU_CHECK_ON_CPU:-}" != 1 ]]; then echo "no GPU: skipped"; exit 0; fi ;;
  esac
  quick=()
  if [[ "$gpu" == "0" ]]; then
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
  echo "GPU: $name ($gpu visible to TensorFlow, $smi to nvidia-smi); data: $data_note"

  # A stand-in for the ImageNet weights: same file format, random values.
  weights=$work/vgg19_notop.weights.h5
  "$PYTHON" - "$weights" <<'EOF'
import sys, keras
keras.utils.set_random_seed(0)
keras.applications.VGG19(include_top=False, weights=None, input_shape=(224, 224, 3)).save_weights(sys.argv[1])
EOF
  gpu_recipe=(--recipe gpu --weights "$weights" --data "$data" "${quick[@]}")

  train() {  # label, extra args...: one gpu-recipe run; records time and per-epoch figures
    local label=$1; shift
    local out=$work/$label start end status
    start=$(date +%s.%N)
    "$PYTHON" -m course_lib train "${gpu_recipe[@]}" --out "$out" --epochs 1 --fine-tune-epochs 1 "$@" \
        >"$work/$label.log" 2>&1
    status=$?
    end=$(date +%s.%N)
    if [[ $status -eq 0 ]]; then
      row "train $label (gpu recipe, 1+1 epochs)" "ok" "$(awk "BEGIN { printf \"%.0f s total; \", $end - $start }")$(grep -o 'best val PSNR [0-9.]* dB' "$work/$label.log")"
    else
      row "train $label (gpu recipe, 1+1 epochs)" "FAILED" "$(grep -E 'Error|error' "$work/$label.log" | tail -1 | cut -c1-150)"
    fi
    grep -oE 'stage 1: frozen encoder.*' "$work/$label.log" | sed "s/^/    $label: /"  # tqdm's \r may precede it
    grep -E '^[0-9]+/[0-9]+ - ' "$work/$label.log" | sed "s/^/    $label: /"
  }

  echo "== 1. each decoder, 2 epochs"
  train unet
  train seed-deterministic --decoder seed --deterministic

  echo "== 2. kill after the first checkpoint, then resume"
  local result
  result=$(kill_and_resume "$work/resume" 4 "${gpu_recipe[@]}" --epochs 3 --fine-tune-epochs 1)
  row "kill -9 after an epoch, resume" "${result%%|*}" "${result#*|}"

  echo "== 3. mixed precision against float32, same batch size"
  local batch mixed float32 status=ok
  batch=$("$PYTHON" -c "from course_lib.recipes import RECIPES; print(RECIPES['gpu'].batch_size)")
  for precision in on off; do
    "$PYTHON" -m course_lib train "${gpu_recipe[@]}" --out "$work/precision-$precision" --mixed-precision "$precision" \
        --batch-size "$batch" --epochs 2 --fine-tune-epochs 2 >"$work/precision-$precision.log" 2>&1 || status=FAILED
  done
  local figures=""
  for epoch in 2 4; do  # the last epoch of each stage
    mixed=$(epoch_step_ms "$work/precision-on.log" $epoch)
    float32=$(epoch_step_ms "$work/precision-off.log" $epoch)
    [[ -n "$mixed" && -n "$float32" ]] || status=FAILED
    figures+="stage $(( epoch / 2 )): ${mixed:-?} against ${float32:-?} ms/step; "
  done
  if [[ $status == ok ]]; then
    row "mixed precision / float32, batch $batch" "ok" "${figures}"
  else
    row "mixed precision / float32, batch $batch" "FAILED" \
        "$(cat "$work"/precision-*.log | grep -E 'Error|error' | tail -1 | cut -c1-150)"
  fi

  echo "== 4. notebook 04 in fast mode"
  local start
  start=$(date +%s)
  if COURSE_FAST=1 NCD_DIR=$data "$PYTHON" -m course_lib run-notebooks --fast --only 04 >"$work/nb04.log" 2>&1; then
    row "notebook 04, fast mode" "ok" "$(( $(date +%s) - start )) s"
  else
    row "notebook 04, fast mode" "FAILED" "$(tail -1 "$work/nb04.log" | cut -c1-150)"
  fi

  echo "== 5. bench_training.py"
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
}

# Sourced (by tests/test_gpu_check.py): define the functions only.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
