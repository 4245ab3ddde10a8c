#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite twice:
# the normal build, then the same tests under AddressSanitizer + UBSan.
# The sanitizer build keeps line tables only (-g1, in CMakePresets.json):
# enough for symbolized reports at half the disk of full debug info.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
jobs=$(nproc)

cmake --preset default
cmake --build --preset default -j"$jobs"
ctest --preset default -j"$jobs"

cmake --preset asan
cmake --build --preset asan -j"$jobs"
ctest --preset asan -j"$jobs"
