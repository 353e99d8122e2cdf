"""The labgrid tests' farm on scripts/farm.py (the virtual farm of issue 15), with the same
interface as farm_local.Farm (start(), stop(), env_file): farm.py runs the boards behind
ser2net; the boards on a local serial port (protocol "local") are started by farm_local,
since farm.py serves every board through ser2net. run_farm.py uses this one when
scripts/farm.py is in the tree.
"""
import os
import random
import subprocess
import sys

import yaml

from farm_local import Farm, FarmError, preflash, target_drivers, write_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FARM_PY = os.path.join(ROOT, "scripts", "farm.py")


def available():
    return os.path.exists(FARM_PY)


class FarmPy:
    def __init__(self, build, tmp, boards, image, expect, python_dir):
        self.build = build
        self.tmp = tmp
        self.image = image
        self.expect = expect
        self.python_dir = python_dir
        self.net = [b for b in boards if b.protocol != "local"]
        self.local = Farm(build, os.path.join(tmp, "local"),
                          [b for b in boards if b.protocol == "local"], image, expect,
                          python_dir)
        self.dir = os.path.join(tmp, "farm")
        self.env_file = os.path.join(tmp, "farm-lg.yaml")
        self.up = False

    def _farm(self, *args):
        return subprocess.run([sys.executable, FARM_PY] + list(args), capture_output=True,
                              text=True, timeout=300)

    def _up_args(self, base):
        args = ["up", str(len(self.net)), "--dir", self.dir, "--host-build", self.build,
                "--port-base", str(base)]
        rfc = [str(i) for i, b in enumerate(self.net) if b.protocol == "rfc2217"]
        if rfc:
            args += ["--rfc2217", ",".join(rfc)]
        for i, b in enumerate(self.net):
            if b.sim_args:
                args += ["--sim-args", "%d=%s" % (i, " ".join(b.sim_args))]
            if b.part:
                args += ["--part", "%d=%s" % (i, b.part)]
        return args

    def start(self):
        os.makedirs(self.local.tmp, exist_ok=True)
        if self.local.boards:
            self.local.start()
        for _ in range(5):      # a port base whose ports another program took: another
            p = self._farm(*self._up_args(random.randrange(30000, 60000, 100)))
            if p.returncode != 4 or "is taken" not in p.stderr:
                break
        if p.returncode != 0:
            raise FarmError("scripts/farm.py up: exit %d: %s" % (p.returncode, p.stderr))
        self.up = True
        with open(os.path.join(self.dir, "farm.yaml")) as f:
            farm_env = yaml.safe_load(f)
        with open(os.path.join(self.dir, "ports.txt")) as f:
            ports = [line.strip() for line in f if line.strip()]
        targets = {}
        for i, b in enumerate(self.net):
            t = farm_env["targets"]["board%d" % i]
            targets[b.name] = {"resources": t["resources"],
                               "drivers": target_drivers(b, self.expect)}
            if b.preflash:
                preflash(self.build, ports[i])
        for b in self.local.boards:
            targets[b.name] = {"resources": {"RawSerialPort": {"port": b.tty, "speed": 115200}},
                               "drivers": target_drivers(b, self.expect)}
        write_env(self.env_file, targets, self.image, self.build, self.python_dir)

    def stop(self):
        if self.up:
            self._farm("down", "--dir", self.dir)
            self.up = False
        self.local.stop()
