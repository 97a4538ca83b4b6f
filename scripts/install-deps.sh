#!/usr/bin/env bash
# Installs the Debian packages ipcmeter builds, tests and plots with; does nothing when all are present.
set -euo pipefail

# One list, used by both README commands. Everything comes from Debian: no download at
# configure or build time (docs/usage.md, "The two commands"). Open MPI is optional to the
# build (the mpi transport and placement:rank are left out without it) but installed, so the
# tests under mpirun and scripts/netns-hosts.sh run.
packages=(
  g++ cmake ninja-build pkg-config
  libbenchmark-dev libgtest-dev
  libboost-dev libzmq3-dev cppzmq-dev libfmt-dev nlohmann-json3-dev
  libopenmpi-dev openmpi-bin
  python3 python3-matplotlib
)
# --browser (the test command): Debian's Chromium and its WebDriver, in which the tests open
# report.html headless (tests/python/test_browser.py). The main command does not need them.
if [[ "${1:-}" == "--browser" ]]; then
  packages+=(chromium chromium-driver)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
