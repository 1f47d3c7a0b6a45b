#!/usr/bin/env bash
# Equal-budget bake-off of a service's candidate models: every candidate config trains at the same time, one
# torch thread each (so they share the machine's cores and its other load equally), in SEGMENT-minute
# stretches; after each stretch its weights are exported as <out>/weights/<name>@<minutes>, and at the end
# every snapshot is measured on the service's yardstick (`genstudio eval SERVICE`) into <out>/table.md.
#   scripts/bakeoff.sh pokemon 15 3 configs/pokemon-gan-cpu.yaml configs/pokemon-wide-cpu.yaml
#   scripts/bakeoff.sh makeup 15 3 configs/makeup-cpu.yaml configs/makeup-bilateral-cpu.yaml
# <out> is runs/bakeoff for Pokémon (issue #12's campaign state lives there) and runs/bakeoff-SERVICE otherwise.
set -euo pipefail
SERVICE="$1"; SEGMENT="$2"; SEGMENTS="$3"; shift 3
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.venv/bin"
case "$SERVICE" in
  pokemon) OUT="$ROOT/runs/bakeoff"; SHARED="pokemon pokemon-autoencoder pokemon-features"; BASELINE=pokemon ;;
  makeup) OUT="$ROOT/runs/bakeoff-makeup"; SHARED="face-attributes face-judge makeup-stargan48"; BASELINE=makeup-stargan48 ;;
  *) echo "unknown service $SERVICE (pokemon or makeup)" >&2; exit 2 ;;
esac
mkdir -p "$OUT/weights"
for shared in $SHARED; do   # what the candidates and the yardstick load
  [ -e "$OUT/weights/$shared" ] || ln -s "$ROOT/weights/$shared" "$OUT/weights/$shared"
done
snapshots=()
for ((k = 1; k <= SEGMENTS; k++)); do
  minutes=$((k * SEGMENT))
  pids=()
  for config in "$@"; do
    name="$(basename "$config" -cpu.yaml)"
    family="$("$BIN/python" -c "import sys; from genstudio.training.loop import TrainConfig; print(TrainConfig.from_yaml(sys.argv[1]).family)" "$config")"
    nice -n 10 "$BIN/genstudio" train "$family" --config "$config" --threads 1 --max-minutes "$SEGMENT" \
      --run-dir "$OUT/runs/$name" --export-dir "$OUT/weights/$name@${minutes}min" >>"$OUT/$name.log" 2>&1 &
    pids+=($!)
    snapshots+=("$name@${minutes}min")
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  echo "segment $k of $SEGMENTS done ($minutes min each)"
done
if [ "$SERVICE" = makeup ]; then  # the scene yardstick measures one model at a time
  mkdir -p "$OUT/scene"
  tables=()
  for s in "$BASELINE" "${snapshots[@]}"; do
    tables+=("$OUT/scene/$s.json")
    GENSTUDIO_WEIGHTS="$OUT/weights" nice -n 10 "$BIN/genstudio" eval makeup --weights "$s" --n 100 \
      --json-out "$OUT/scene/$s.json" >>"$OUT/eval.log" 2>&1
  done
  "$BIN/python" "$ROOT/scripts/makeup_yardstick.py" --table "${tables[@]}" | tee "$OUT/table.md"
  exit 0
fi
args=(); for s in "${snapshots[@]}"; do args+=(--weights "$s"); done
GENSTUDIO_WEIGHTS="$OUT/weights" nice -n 10 "$BIN/genstudio" eval "$SERVICE" --weights "$BASELINE" "${args[@]}" \
  --json-out "$OUT/table.json" | tee "$OUT/table.md"
