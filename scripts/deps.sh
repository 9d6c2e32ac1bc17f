#!/usr/bin/env bash
# Installs the Debian 12 packages attnc builds with, skipping what is present.
set -euo pipefail
pkgs=(build-essential cmake ninja-build llvm-19-dev clang-19 libclang-rt-19-dev
      re2c lemon libpng-dev libopenblas-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}"
