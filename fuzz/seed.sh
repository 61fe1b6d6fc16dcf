#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the real captures of tests/fixtures (one file per frame;
# not committed). Tracker inputs are one checkpoint-selector byte, then the frame (see
# `Target::exec_bytes` in tests/fuzz_support/mod.rs). Run from anywhere: fuzz/seed.sh
set -euo pipefail
cd "$(dirname "$0")"
fx=../tests/fixtures
# Received WS frames: `<ts>: <frame>` lines (not the `wss://` connection/sent lines).
ws() { grep -hE '^[0-9]+(\.[0-9]+)?: ' "$@" | sed -E 's/^[0-9.]+: //'; }
# REST bodies: `<url> -> <ts>: <body>` lines.
rest() { grep -hE '^https://.* -> [0-9.]+: ' "$@" | sed -E 's/^.* -> [0-9.]+: //'; }
# seed <target> <prefix-with-selector-byte: 0|1>; frames on stdin.
seed() {
    local dir=corpus/$1
    mkdir -p "$dir"
    awk -v dir="$dir" -v sel="$2" '{
        f = sprintf("%s/seed-%05d", dir, NR)
        if (sel) printf "%c", 48 + NR % 64 > f
        printf "%s", $0 > f
        close(f)
    }'
    echo "$1: $(ls "$dir" | wc -l) inputs"
}
ws "$fx"/binance/*.ws.* | seed parse_binance 0
rest "$fx"/binance/*.http.* | seed parse_binance_rest 0
ws "$fx"/kraken/KRAKEN.ws.* | seed parse_kraken 0
ws "$fx"/poloniex/*.ws.* | seed parse_poloniex 0
# Tracker targets: the captures their checkpoints are replayed from.
ws "$fx"/binance/BINANCE.ws.1.0 | seed tracker_binance 1
ws "$fx"/kraken/KRAKEN.ws.50.0 | seed tracker_kraken 1
ws "$fx"/poloniex/POLONIEX_v3.ws.1.0 | seed tracker_poloniex 1
