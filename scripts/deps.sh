#!/bin/sh
# Install the Debian 12 packages f0boot needs, and only those that are missing.
# Run by `make demo` and `make test` before anything else; safe to run again.
set -eu

PKGS="build-essential cmake pkg-config python3
gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
libserialport-dev zlib1g-dev libelf-dev libcmocka-dev libunicorn-dev libssl-dev
srecord stm32flash
clang libclang-rt-14-dev clang-format clang-tidy cppcheck"
# clang builds the fuzz targets (tests/fuzz) and the lint's second compiler build; libFuzzer's
# runtime is libclang-rt-14-dev, only a Recommends of clang in Debian 12 (so not installed by
# --no-install-recommends below). clang-format, clang-tidy and cppcheck: `make lint`.
# Many boards (tests/labgrid, python/f0boot_labgrid, the virtual farm scripts/farm.py): labgrid
# 0.4.1 with its pytest plugin, and ser2net 4.3 serving the virtual boards as a rig's exporter would.
PKGS="$PKGS python3-labgrid python3-pytest python3-serial python3-yaml ser2net"

missing=""
# The real-serial-path rig (tests/serial), with a Debian kernel that tests/serial/kernel.sh
# fetches into build/cache/kernel (below).
PKGS="$PKGS qemu-system-x86 busybox-static cpio"
for p in $PKGS; do
    # dpkg-query reports "install ok installed" only for a fully installed package.
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

# The rig's kernel: apt-get download + dpkg-deb -x into build/cache/kernel (no root needed;
# does nothing once it is there). Runs after the packages, whichever way this script ends.
# Without it (offline, say) everything else still builds and tests; the serial_qemu test
# then fails and says why.
kernel() {
    "$(dirname "$0")/../tests/serial/kernel.sh" ||
        echo "f0boot: warning: no kernel for the serial test rig; serial_qemu will fail" >&2
}

if [ -z "$missing" ]; then
    kernel
    exit 0
fi

echo "f0boot: installing missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo"
    else
        echo "f0boot: these packages are missing and I am not root:$missing" >&2
        echo "f0boot: run this once, then try again:" >&2
        echo "    sudo apt-get install -y$missing" >&2
        exit 1
    fi
else
    SUDO=""
fi

export DEBIAN_FRONTEND=noninteractive
# A fresh debootstrap root has empty package lists; refresh them once.
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
kernel
