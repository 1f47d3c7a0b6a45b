#!/usr/bin/env bash
# Equal-budget bake-off for Random Pokémon (issue #12): every candidate config trains at the same time, one
# torch thread each (so they share the machine's cores and its other load equally), in SEGMENT-minute
# stretches; after each stretch its weights are exported as runs/bakeoff/weights/<name>@<minutes>, and at the
# end every snapshot is measured on the yardstick (`genstudio eval pokemon`) into runs/bakeoff/table.md.
#   scripts/pokemon_bakeoff.sh 15 3 configs/pokemon-gan-cpu.yaml configs/pokemon-wide-cpu.yaml
set -euo pipefail
SEGMENT="$1"; SEGMENTS="$2"; shift 2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.venv/bin"
OUT="$ROOT/runs/bakeoff"
mkdir -p "$OUT/weights"
for shared in pokemon pokemon-autoencoder pokemon-features; do   # what the candidates and the yardstick load
  [ -e "$OUT/weights/$shared" ] || ln -s "$ROOT/weights/$shared" "$OUT/weights/$shared"
done
snapshots=()
for ((k = 1; k <= SEGMENTS; k++)); do
  minutes=$((k * SEGMENT))
  pids=()
  for config in "$@"; do
    name="$(basename "$config" -cpu.yaml)"
    family="$("$BIN/python" -c "import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))['family'])" "$config")"
    nice -n 10 "$BIN/genstudio" train "$family" --config "$config" --threads 1 --max-minutes "$SEGMENT" \
      --run-dir "$OUT/runs/$name" --export-dir "$OUT/weights/$name@${minutes}min" >>"$OUT/$name.log" 2>&1 &
    pids+=($!)
    snapshots+=("$name@${minutes}min")
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  echo "segment $k of $SEGMENTS done ($minutes min each)"
done
args=(); for s in "${snapshots[@]}"; do args+=(--weights "$s"); done
GENSTUDIO_WEIGHTS="$OUT/weights" nice -n 10 "$BIN/genstudio" eval pokemon --weights pokemon "${args[@]}" \
  --json-out "$OUT/table.json" | tee "$OUT/table.md"
