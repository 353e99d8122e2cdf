#!/bin/sh
# mdev helper: keep /dev/serial/by-id/ as udev's 60-serial.rules would, for USB serial ports:
#   usb-<ID_SERIAL>-if<bInterfaceNumber>-port<port_number> -> ../../ttyUSBn
# where ID_SERIAL is manufacturer_product_serial from the USB device's string descriptors,
# whitespace replaced by '_' and characters outside [A-Za-z0-9#+-.:=@_] replaced by '_'.
# mdev runs it with MDEV=ttyUSBn and ACTION=add|remove.
dir=/dev/serial/by-id
mkdir -p "$dir"
clean() { printf '%s' "$1" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' \
    -e 's/[[:space:]]\+/_/g' -e 's/[^A-Za-z0-9#+.:=@_-]/_/g'; }
if [ "$ACTION" = remove ]; then
    for l in "$dir"/*; do
        [ -L "$l" ] && [ "$(readlink "$l")" = "../../$MDEV" ] && rm -f "$l"
    done
    exit 0
fi
port=/sys/class/tty/$MDEV/device          # the usb-serial port (ttyUSBn)
intf=$(readlink -f "$port/..")           # the USB interface (1-1:1.0)
usb=$(readlink -f "$intf/..")            # the USB device (1-1)
[ -r "$usb/idVendor" ] || exit 0
vendor=$(cat "$usb/manufacturer" 2>/dev/null || cat "$usb/idVendor")
model=$(cat "$usb/product" 2>/dev/null || cat "$usb/idProduct")
serial=$(cat "$usb/serial" 2>/dev/null)
id="$(clean "$vendor")_$(clean "$model")"
[ -n "$serial" ] && id="${id}_$(clean "$serial")"
ifnum=$(cat "$intf/bInterfaceNumber")
pnum=$(cat "$port/port_number" 2>/dev/null || echo 0)
ln -sfn "../../$MDEV" "$dir/usb-$id-if$ifnum-port$pnum"
