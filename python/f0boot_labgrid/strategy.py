"""F0bootStrategy: a labgrid strategy that takes an f0boot board through
off -> bootloader -> flashed -> running with F0bootDriver."""
import enum

import attr

from labgrid.factory import target_factory
from labgrid.step import step
from labgrid.strategy.common import Strategy, StrategyError

from .driver import F0bootError


class Status(enum.Enum):
    unknown = 0
    off = 1          # powered off (with a power driver), or simply left alone
    bootloader = 2   # the bootloader answers (probe)
    flashed = 3      # the image is written, verified and committed; still in the bootloader
    running = 4      # the image's application runs and has printed `expect`


_opt_str = attr.validators.optional(attr.validators.instance_of(str))


@target_factory.reg_driver
@attr.s(eq=False)
class F0bootStrategy(Strategy):
    """Bring a board to a state: strategy.transition("running") flashes the image and
    proves the application came up.

    Args (from the environment file):
        image (str): key of the environment's images (default: the driver's image)
        expect (str): text the application prints once it runs (f0boot --expect)
        expect_timeout (int): ms to wait for it
        skip_unchanged (bool): send only the pages that differ (f0boot --skip-unchanged)

    Bindings: an F0bootDriver; optionally a PowerProtocol driver (then "off" switches the
    board off and "bootloader" powers it up while f0boot greets, catching the boot window;
    without one the running application is asked to enter its bootloader) and a
    ConsoleProtocol driver on the same port (released while f0boot works, active again in
    "running").
    """
    bindings = {
        "f0boot": "F0bootDriver",
        "power": {"PowerProtocol", None},
        "console": {"ConsoleProtocol", None},
    }

    image = attr.ib(default=None, validator=_opt_str)
    expect = attr.ib(default=None, validator=_opt_str)
    expect_timeout = attr.ib(default=10000, validator=attr.validators.instance_of(int))
    skip_unchanged = attr.ib(default=False, validator=attr.validators.instance_of(bool))
    status = attr.ib(default=Status.unknown)

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.last_result = None

    def _off(self):
        if self.console:
            self.target.deactivate(self.console)
        if self.power:
            self.target.activate(self.power)
            self.power.off()

    def _bootloader(self):
        self.target.activate(self.f0boot)
        if self.console:
            self.target.deactivate(self.console)
        if self.power:
            if self.status != Status.off:
                self._off()
            self.last_result = self.f0boot.enter_bootloader(power_on=self.power.on)
        else:
            self.last_result = self.f0boot.enter_bootloader()

    def _flashed(self):
        if self.status != Status.bootloader:
            self._bootloader()
        self.last_result = self.f0boot.flash(self.image, no_boot=True,
                                             skip_unchanged=self.skip_unchanged)

    def _running(self):
        if self.status == Status.flashed:
            try:
                self.last_result = self.f0boot.boot(expect=self.expect,
                                                    expect_timeout=self.expect_timeout)
            except F0bootError as e:
                # The bootloader's idle timeout came first and started the application:
                # what counts is that it runs.
                if e.exit_code != 11 or not self.expect:
                    raise
                self.f0boot.wait_for_output(self.expect, self.expect_timeout)
        else:
            if self.status != Status.bootloader:
                self._bootloader()
            self.last_result = self.f0boot.flash(self.image, expect=self.expect,
                                                 expect_timeout=self.expect_timeout,
                                                 skip_unchanged=self.skip_unchanged)
        if self.console:
            self.target.activate(self.console)

    @step(args=["status"])
    def transition(self, status, *, step):  # pylint: disable=redefined-outer-name
        if not isinstance(status, Status):
            status = Status[status]
        if status == Status.unknown:
            raise StrategyError(f"can not transition to {status}")
        if status == self.status:
            step.skip("nothing to do")
            return
        actions = {Status.off: self._off, Status.bootloader: self._bootloader,
                   Status.flashed: self._flashed, Status.running: self._running}
        try:
            actions[status]()
        except Exception:
            self.status = Status.unknown
            raise
        self.status = status

    @step(args=["status"])
    def force(self, status, *, step):  # pylint: disable=redefined-outer-name,unused-argument
        if not isinstance(status, Status):
            status = Status[status]
        self.status = status
