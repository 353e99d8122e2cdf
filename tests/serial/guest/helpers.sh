# Shell helpers for scenario commands (sourced before each one; `f0b-help` lists them).
# Timeouts here are generous upper bounds on waits for an event, never a measure of speed.

f0b_help() {
    cat <<'H'
f0boot PORT ...        the host's f0boot (/f0b/f0boot), images in /f0b: app.elf app_v2.elf big.img
rawport PORT           115200 8N1 raw, no echo (always before using PORT outside f0boot)
tobl PORT              ask a running example application to enter its bootloader ('B')
appcheck PORT VER [S]  wait (S s, default 120) for three "app vVER ticks=" lines on PORT
waitfor FILE TEXT [S]  wait (S s, default 60) until FILE contains TEXT
waitdev PATH [S]       wait (S s, default 30) until PATH exists
waitgone PATH [S]      wait until PATH no longer exists
ratecheck PORT R E     exit 99 unless PORT set to rate R reads back rate E
byid                   the /dev/serial/by-id links
H
}

rawport() {
    stty -F "$1" 115200 raw -echo -echoe -echok -echoctl -echoke
}

# 'B' reaches the application's USART1 receive interrupt, which re-enters the bootloader
# through the update request. A bootloader already running drops the stray byte (the next
# greeting starts with 0x00, which ends any partial frame).
tobl() {
    rawport "$1" || return 1
    printf B > "$1"
    sleep 0.5
}

waitfor() {
    _n=$(( ${3:-60} * 10 ))
    while [ "$_n" -gt 0 ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        _n=$((_n - 1))
    done
    echo "waitfor: '$2' did not appear in $1"
    return 1
}

waitdev() {
    _n=$(( ${2:-30} * 10 ))
    while [ "$_n" -gt 0 ]; do
        [ -e "$1" ] && return 0
        sleep 0.1
        _n=$((_n - 1))
    done
    echo "waitdev: $1 did not appear"
    return 1
}

waitgone() {
    _n=$(( ${2:-30} * 10 ))
    while [ "$_n" -gt 0 ]; do
        [ -e "$1" ] || return 0
        sleep 0.1
        _n=$((_n - 1))
    done
    echo "waitgone: $1 is still there"
    return 1
}

# The example application prints "app vX.Y.Z ticks=N rx=M" every 100 ms of virtual time; a
# loaded machine runs the boards well below real time (a third of it has been seen), so the
# wait is long. It only runs out when the application does not run.
appcheck() {
    rawport "$1" || return 1
    _f=/tmp/appcheck.$$
    : > "$_f"
    cat "$1" >> "$_f" &
    _pid=$!
    _n=$(( ${3:-120} * 10 ))
    while [ "$_n" -gt 0 ]; do
        [ "$(grep -c "app v$2 ticks=" "$_f")" -ge 3 ] && break
        sleep 0.1
        _n=$((_n - 1))
    done
    kill "$_pid" 2>/dev/null
    wait "$_pid" 2>/dev/null
    grep -a "app v" "$_f" | tail -n 3
    [ "$(grep -c "app v$2 ticks=" "$_f")" -ge 3 ] || { echo "appcheck: no app v$2 on $1"; return 1; }
}

# Exit 99 (the rig is broken) unless PORT, asked for RATE, reads back EXPECT: the kernel's
# answer that a scenario relies on.
ratecheck() {
    stty -F "$1" "$2" 2>/dev/null
    _got=$(stty -F "$1" speed)
    rawport "$1"
    [ "$_got" = "$3" ] || { echo "ratecheck: $1 asked for $2 reads back $_got, not $3"; exit 99; }
}

byid() {
    ls -l /dev/serial/by-id/
}
