#!/usr/bin/env bash
# Installs what tern needs to build, run and test on Debian 12 (as root, or with sudo).
# Quiet and quick when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libboost-dev libboost-system-dev libcpprest-dev prometheus-cpp-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev librdkafka-dev libspdlog-dev libfmt-dev
  libcli11-dev zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev libssl-dev
  etcd-server etcd-client kcat python3 python3-kafka python3-confluent-kafka prometheus
  python3-snappy python3-lz4 python3-zstandard python3-xxhash python3-yaml curl git
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
