#!/usr/bin/env bash
# The main job: installs what is missing (scripts/deps.sh), builds attnc
# (Release) into build/, then runs the embedded default: Gemma-2's local
# attention (sliding window + logit soft-capping, stdlib/std/variants.attn)
# JIT-compiled for this CPU on random inputs, compared against the reference
# interpreter (--check) and timed (--bench). Usage: scripts/main.sh (from anywhere)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$root/build" attnc
echo "== attnc run: gemma2_local, B=1 H=8 Q=KV=1024 D=64, window 256, f32"
"$root/build/compiler/attnc" run "$root/stdlib/std/variants.attn" --variant gemma2_local \
  --shape 1,8,1024,1024,64 --set w=256 --check --bench 5
