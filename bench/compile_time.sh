#!/usr/bin/env bash
# compile_time.sh - how long attnc takes from parse to object for one variant.
#
#   bench/compile_time.sh [ATTNC] [RUNS]
#
# Compiles a one-variant file (causal attention, std.masks) to an x86 object
# RUNS times (default 11) with `attnc FILE -o x.o --emit obj` and prints the
# median wall time and the mean CPU time (user + system) per compile. On a
# shared machine the CPU time is the steadier figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
attnc=${1:-$root/build/compiler/attnc}
runs=${2:-11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'import std.masks;\n\nattention causal_attention() {\n    mask = causal;\n}\n' >"$work/one.attn"
"$attnc" "$work/one.attn" -o "$work/x.o" --emit obj # warm the page cache
walls=()
cpu0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    "$attnc" "$work/one.attn" -o "$work/x.o" --emit obj
    walls+=($(( ($(date +%s%N) - t0) / 1000 )))
done
cpu1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
tick=$(getconf CLK_TCK)
median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
awk -v m="$median" -v c0="$cpu0" -v c1="$cpu1" -v t="$tick" -v n="$runs" 'BEGIN {
    printf "one variant, parse -> object: median wall %.1f ms, mean CPU %.1f ms (%d runs)\n",
           m / 1000, (c1 - c0) * 1000 / t / n, n }'
