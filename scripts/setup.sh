#!/usr/bin/env bash
# Installs what leadscore needs on Debian (you are root): OpenBLAS and LAPACKE; OpenSSL's
# libcrypto (SHA-256 of training files); SQLite and zlib for the scoring service.
# Idempotent: installs only what is missing, so it is safe to run again.
set -euo pipefail
need=()
for pkg in libopenblas-dev liblapacke-dev libssl-dev pkg-config libsqlite3-dev zlib1g-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:/opt/swift/bin:$PATH"
command -v swift >/dev/null || { echo "setup: swift not found (expected on PATH or under /opt/swift)" >&2; exit 1; }
