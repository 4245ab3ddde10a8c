#!/usr/bin/env bash
# Installs what is missing, builds shimmy, and runs its main job (`shimmy
# serve`, in the foreground until Ctrl-C). Extra
# arguments go to shimmy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake --preset default >/dev/null
cmake --build --preset default -j"$(nproc)" --target shimmy
if [ $# -eq 0 ]; then set -- serve; fi
exec ./build/src/app/shimmy "$@"
