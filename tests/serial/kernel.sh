#!/bin/sh
# Fetch Debian 12's kernel for the serial rig (tests/serial) into build/cache/kernel:
# `apt-get download linux-image-amd64`'s dependency (the versioned image package) and
# `dpkg-deb -x` of the parts the rig uses (vmlinuz, the USB modules, modules.builtin).
# Installing the kernel package on the host would run its initramfs and bootloader hooks
# (awkward in a container) and leave /boot/vmlinuz-* readable by root only. Run by
# scripts/deps.sh; does nothing when the kernel is already there. Needs no root.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dest=${F0B_KERNEL_DIR:-$root/build/cache/kernel}
[ -f "$dest/.complete" ] && exit 0

pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
    echo "f0boot: cannot resolve linux-image-amd64 (no apt package lists?); as root run" >&2
    echo "    apt-get update" >&2
    echo "then try again." >&2
    exit 1
fi
echo "f0boot: fetching $pkg for the serial test rig into $dest"
tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/deb"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp/deb" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
    echo "f0boot: apt-get download $pkg failed (network?)" >&2
    exit 1
}
dpkg-deb --fsys-tarfile "$tmp"/deb/*.deb | tar -x -C "$tmp" --wildcards \
    './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/usb/*' './lib/modules/*/modules.builtin'
rm -rf "$tmp/deb"
echo "$pkg" > "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
