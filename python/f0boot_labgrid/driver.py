"""F0bootDriver: a labgrid driver that flashes, probes and verifies an STM32F0 board through
its f0boot bootloader, by running the f0boot tool on the board's serial port.

It binds to a SerialPort (RawSerialPort, USBSerialPort: a port on this host) or a
NetworkSerialPort (an exporter's ser2net, raw TCP or RFC 2217) and hands f0boot the port as
f0boot names it (/dev/..., socket://HOST:PORT, rfc2217://HOST:PORT). Every answer comes from
f0boot's --json stream; every failure is an F0bootError carrying f0boot's exit code.
"""
import contextlib
import json
import logging
import shutil
import subprocess
import time

import attr
import serial

from labgrid.binding import BindingState
from labgrid.driver.common import Driver
from labgrid.driver.exception import ExecutionError
from labgrid.factory import target_factory
from labgrid.resource import SerialPort
from labgrid.step import step
from labgrid.util.proxy import proxymanager

# f0boot's exit codes (README "Exit codes", `f0boot --help`).
EXIT_CODES = {
    0: "success", 1: "internal error", 2: "usage", 3: "input unreadable",
    4: "input malformed", 5: "lint refused", 6: "output unwritable", 7: "container damaged",
    10: "port won't open", 11: "no bootloader answered", 12: "protocol version",
    13: "transfer failed after retries", 14: "device refused the image",
    15: "read-back check failed", 16: "the application did not print the expected text",
    20: "boards failed in different ways",
    130: "interrupted",
}

_opt = attr.validators.optional
_int = attr.validators.instance_of(int)
_str = attr.validators.instance_of(str)


@attr.s(eq=False)
class F0bootError(ExecutionError):
    """f0boot failed: exit_code is its exit status (EXIT_CODES names it), result its JSON
    result object (with "error"), events the JSON events before it."""
    exit_code = attr.ib(default=None)
    result = attr.ib(default=None)
    events = attr.ib(default=None)

    def __str__(self):
        return self.msg


@target_factory.reg_driver
@attr.s(eq=False)
class F0bootDriver(Driver):
    """Flash, verify and probe a board through its f0boot bootloader.

    Args (all optional, from the environment file):
        f0boot (str): the f0boot executable; default: the environment's `tools: f0boot:`,
            else `f0boot` on PATH
        image (str): key in the environment's `images:` flashed when flash() gets no image
        baud (int): line rate to greet at; default the resource's speed (115200)
        fast_baud (int): switch to this rate for the transfer (0: stay)
        timeout (int): answer timeout per request, ms (f0boot --timeout)
        retries (int): attempts without progress before giving up (f0boot --retries)
        wait (int): how long to keep greeting for the bootloader, ms (f0boot --wait)
        part (str): part to pack an ELF/HEX image for (f0boot --part)
        expect_timeout (int): how long to wait for the application's text, ms
        reset (str): f0boot --reset, the DTR/RTS sequence of boards wired to NRST/BOOT0
        app_baud (int): f0boot --app-baud, the application's rate for the entry request
    """
    bindings = {"port": {"SerialPort", "NetworkSerialPort"}}

    f0boot = attr.ib(default=None, validator=_opt(_str))
    image = attr.ib(default=None, validator=_opt(_str))
    baud = attr.ib(default=None, validator=_opt(_int))
    fast_baud = attr.ib(default=0, validator=_int)
    timeout = attr.ib(default=1000, validator=_int)
    retries = attr.ib(default=5, validator=_int)
    wait = attr.ib(default=3000, validator=_int)
    part = attr.ib(default=None, validator=_opt(_str))
    expect_timeout = attr.ib(default=10000, validator=_int)
    reset = attr.ib(default=None, validator=_opt(_str))
    app_baud = attr.ib(default=None, validator=_opt(_int))

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.logger = logging.getLogger(f"{self}({self.target})")
        self._tool = None
        self.last_events = []

    def on_activate(self):
        tool = self.f0boot or self.target.env and self.target.env.config.get_tool("f0boot")
        self._tool = shutil.which(tool or "f0boot") or tool
        if not self._tool:
            raise ExecutionError("f0boot not found: put it on PATH or name it in the "
                                 "environment (tools: f0boot: /path/to/f0boot)")

    def on_deactivate(self):
        pass

    # ---- the port, as f0boot names it ----------------------------------------------------

    def port_url(self):
        """The PORT argument f0boot gets: the device path of a local SerialPort, or
        socket://HOST:PORT (raw) / rfc2217://HOST:PORT for a NetworkSerialPort (through
        labgrid's proxy when the exporter is only reachable through SSH)."""
        if isinstance(self.port, SerialPort):
            return self.port.port
        host, port = proxymanager.get_host_and_port(self.port)
        if self.port.protocol == "raw":
            return f"socket://{host}:{port}"
        if self.port.protocol == "rfc2217":
            return f"rfc2217://{host}:{port}"
        raise ExecutionError(f"NetworkSerialPort protocol {self.port.protocol!r}: f0boot "
                             "speaks raw and rfc2217")

    def _baud(self):
        return self.baud or getattr(self.port, "speed", None) or 115200

    @contextlib.contextmanager
    def _port_free(self):
        """Other active drivers on the same port (a SerialDriver console) let go of it while
        f0boot holds it: a serial port has one owner (f0boot opens it exclusively; ser2net
        serves one client)."""
        held = [d for d in self.target.drivers
                if d is not self and getattr(d, "port", None) is self.port
                and d.state is BindingState.active]
        for d in held:
            self.target.deactivate(d)
        try:
            yield
        finally:
            for d in held:
                self.target.activate(d)

    # ---- running f0boot ------------------------------------------------------------------

    def _common_args(self, wait=None):
        """The options every device command takes: the line, timeouts, the way in."""
        args = ["--baud", str(self._baud()), "--timeout", str(self.timeout),
                "--wait", str(self.wait if wait is None else wait)]
        if self.reset:
            args += ["--reset", self.reset]
        if self.app_baud:
            args += ["--app-baud", str(self.app_baud)]
        return args

    def _expect_args(self, expect, expect_timeout):
        if not expect:
            return []
        tmo = self.expect_timeout if expect_timeout is None else expect_timeout
        return ["--expect", expect, "--expect-timeout", str(tmo)]

    def run(self, command, *args, wait=None):
        """Run `f0boot COMMAND PORT ARGS... --json` on this board and return its result
        object; the events before it are in self.last_events. Raises F0bootError with
        f0boot's exit code when it fails."""
        cmd = ([self._tool, command, self.port_url()] + list(args) + self._common_args(wait)
               + ["--json"])
        self.logger.debug("running %s", " ".join(cmd))
        with self._port_free():
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
            except subprocess.TimeoutExpired as e:
                raise F0bootError(f"f0boot {command} on {self.port_url()} did not end within "
                                  "an hour", exit_code=None) from e
        objs = []
        for line in p.stdout.splitlines():
            try:
                objs.append(json.loads(line))
            except ValueError:
                continue
        result = next((o for o in reversed(objs) if o.get("event") == "result"
                       or "event" not in o), None)
        self.last_events = [o for o in objs if o is not result]
        if p.returncode != 0 or not result or not result.get("ok"):
            code = p.returncode if p.returncode != 0 else 1
            why = (result or {}).get("error") or p.stderr.strip().splitlines()[-1:] or ["?"]
            why = why if isinstance(why, str) else why[0]
            raise F0bootError(f"f0boot {command} on {self.port_url()}: exit {code} "
                              f"({EXIT_CODES.get(code, 'unknown')}): {why}",
                              stdout=p.stdout.splitlines(), stderr=p.stderr.splitlines(),
                              exit_code=code, result=result, events=self.last_events)
        return result

    def _image(self, image):
        if image is None:
            if not self.image:
                raise ExecutionError("no image: pass one, or set the driver's image to a key "
                                     "of the environment's images")
            image = self.image
        try:
            return self.target.env.config.get_image_path(image)
        except (KeyError, AttributeError):
            return image

    # ---- what a test calls ---------------------------------------------------------------

    @Driver.check_active
    @step(args=["image"])
    def flash(self, image=None, *, expect=None, expect_timeout=None, fast_baud=None,
              skip_unchanged=False, no_boot=False):
        """Write image (a path, or a key of the environment's images; default the driver's
        image) through the bootloader, verify it by read-back CRC, commit it and start it.
        A board whose application runs is asked into its bootloader by f0boot itself.
        expect: text the application must print once started (f0boot --expect; exit 16
        when it does not). Returns f0boot's result object (bytes, written, ms, baud, crc,
        retries, entry, ...)."""
        args = [self._image(image)]
        fb = self.fast_baud if fast_baud is None else fast_baud
        if fb:
            args += ["--fast-baud", str(fb)]
        if self.part:
            args += ["--part", self.part]
        args += ["--retries", str(self.retries)]
        if skip_unchanged:
            args.append("--skip-unchanged")
        if no_boot:
            args.append("--no-boot")
        return self.run("flash", *args, *self._expect_args(expect, expect_timeout))

    @Driver.check_active
    @step()
    def probe(self, wait=None):
        """What the bootloader reports (f0boot probe: versions, chip, part, flash, app_state,
        stay_reason, the committed application's version and CRC). A board whose
        application runs is asked into its bootloader first, and stays there until the
        idle timeout."""
        return self.run("probe", wait=wait)

    @Driver.check_active
    @step(args=["image"])
    def verify(self, image=None):
        """Check that the board holds image, writing nothing (f0boot verify: the boot record
        against the image's header, then the CRC of every page). The board stays in its
        bootloader. Returns f0boot's result; raises F0bootError (exit 15, naming the first
        page that differs) when the board holds something else."""
        return self.run("verify", self._image(image))

    @Driver.check_active
    @step()
    def boot(self, expect=None, expect_timeout=None):
        """Start the committed application (f0boot boot); with expect, succeed only once it
        prints that text (f0boot --expect; exit 16 when it does not). Returns f0boot's
        result object."""
        return self.run("boot", *self._expect_args(expect, expect_timeout))

    @Driver.check_active
    @step()
    def enter_bootloader(self, power_on=None):
        """Get the board into its bootloader and return what it reports (probe). f0boot does
        the asking: a board already in its bootloader answers at once, a running application
        is sent the request sequence (docs/protocol.md), then the driver's reset sequence
        runs (option reset), then f0boot greets until wait has passed. With power_on (a
        callable: the rig's power switch, labgrid's PowerProtocol.on), f0boot is already
        greeting when the board powers up and catches its boot window. The bootloader
        serves until its idle timeout (5 s by default) after the last frame: make the next
        f0boot call within it."""
        return self._enter_bootloader(power_on)

    def _enter_bootloader(self, power_on=None):
        # No labgrid steps in here: flash_all() runs it for several boards at once, and
        # labgrid's step log is not made for threads.
        if power_on is not None:
            return self._probe_during(power_on)
        return self.run("probe")

    def _probe_during(self, power_on):
        cmd = [self._tool, "probe", self.port_url(), "--json"] + self._common_args()
        with self._port_free():
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(0.2)     # f0boot has the port and greets before the power comes
            power_on()
            out, err = p.communicate(timeout=3600)
        result = json.loads(out.splitlines()[-1]) if out.strip() else {}
        if p.returncode != 0:
            raise F0bootError(f"f0boot probe on {self.port_url()} while powering up: exit "
                              f"{p.returncode}: {result.get('error') or err.strip()}",
                              exit_code=p.returncode, result=result)
        return result

    # ---- the port itself ----------------------------------------------------------------

    def _open(self, timeout):
        url = self.port_url()
        if url.startswith("rfc2217://"):
            url += f"?ign_set_control&timeout={max(timeout, 1.0)}"
        s = serial.serial_for_url(url, do_not_open=True, baudrate=self._baud(), timeout=0.1)
        s.dtr = False       # boards wire DTR/RTS to NRST/BOOT0: opening must not reset
        s.rts = False
        s.open()
        return s

    @Driver.check_active
    @step(args=["text"])
    def wait_for_output(self, text, timeout_ms=None):
        """Read the board's UART until the running application prints text (no f0boot
        involved); returns what was read. Raises F0bootError (exit code 16) when it does
        not appear within timeout_ms."""
        want = text.encode() if isinstance(text, str) else text
        tmo = (self.expect_timeout if timeout_ms is None else timeout_ms) / 1000.0
        data = b""
        with self._port_free():
            s = self._open(tmo)
            try:
                end = time.monotonic() + tmo
                while want not in data and time.monotonic() < end:
                    data += s.read(4096)
            finally:
                s.close()
        if want not in data:
            raise F0bootError(f"{self.port_url()}: the application did not print {text!r} "
                              f"within {tmo:.1f} s (it printed {data[-200:]!r})",
                              exit_code=16)
        return data.decode(errors="replace")


def flash_all(drivers, image=None, *, enter_bootloader=True, check=True):
    """Flash several boards at once with one `f0boot flash PORT... IMAGE --json` (each
    board in a process of its own: a slow or dead board holds up nobody).

    drivers: F0bootDriver objects (active), one per board. image: as for flash(), else the
    first driver's. The answer timeout, retries, wait, reset, app_baud and part come from
    the first driver; fast_baud is used only when every driver has the same. f0boot asks
    each board whose application runs into its bootloader itself; enter_bootloader: do that
    for every board first, all at once (a board that cannot be asked is left to the flash,
    which then reports it).

    Returns (results, summary): results maps each board's port (driver.port_url()) to its
    JSON result, summary is f0boot's summary object (boards, ok, failed, exit, failures).
    With check, a run where any board failed raises F0bootError whose exit_code is the
    run's exit status (the failures' shared code, or 20), result the summary and events
    the per-board results.
    """
    import threading

    drivers = list(drivers)
    if not drivers:
        raise ValueError("flash_all needs at least one driver")
    first = drivers[0]
    if enter_bootloader:
        def enter(d):
            try:
                d._enter_bootloader()  # pylint: disable=protected-access
            except F0bootError:
                pass
        threads = [threading.Thread(target=enter, args=(d,)) for d in drivers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    cmd = [first._tool, "flash"] + [d.port_url() for d in drivers] + [first._image(image)]
    cmd += first._common_args() + ["--retries", str(first.retries), "--json"]
    if first.part:
        cmd += ["--part", first.part]
    rates = {d.fast_baud for d in drivers}
    if len(rates) == 1 and first.fast_baud:
        cmd += ["--fast-baud", str(first.fast_baud)]
    with contextlib.ExitStack() as stack:
        for d in drivers:
            stack.enter_context(d._port_free())
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    objs = []
    for line in p.stdout.splitlines():
        try:
            objs.append(json.loads(line))
        except ValueError:
            continue
    results = {o["port"]: o for o in objs if o.get("event") == "result" and "port" in o}
    summary = next((o for o in objs if o.get("event") == "summary"), None)
    if summary is None:
        raise F0bootError(f"f0boot flash on {len(drivers)} boards ended without a summary "
                          f"(exit {p.returncode}): {p.stderr.strip()[-500:]}",
                          exit_code=p.returncode, stderr=p.stderr.splitlines())
    if check and p.returncode != 0:
        bad = ", ".join(f"{port}: exit {f['exit']}" for port, f in summary["failures"].items())
        raise F0bootError(f"f0boot flash: {summary['failed']} of {summary['boards']} boards "
                          f"failed (exit {p.returncode}: "
                          f"{EXIT_CODES.get(p.returncode, 'unknown')}): {bad}",
                          exit_code=p.returncode, result=summary, events=list(results.values()),
                          stdout=p.stdout.splitlines(), stderr=p.stderr.splitlines())
    return results, summary
