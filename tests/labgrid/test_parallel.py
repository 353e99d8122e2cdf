"""All the farm's boards flashed at once through ser2net: f0boot_labgrid.flash_all, one
`f0boot flash PORT... IMAGE`. Run by run_farm.py after test_farm.py, on its farm: the five
good boards succeed, the wrong part (14) and the noisy line (11 or 13) fail on their own, and
the run's exit status is 20 (failed in different ways)."""
import pytest

from f0boot_labgrid import F0bootError, flash_all


def test_flash_all_at_once(env):
    names = sorted(env.config.get_targets())
    drivers = {n: env.get_target(n).get_driver("F0bootDriver") for n in names}
    with pytest.raises(F0bootError) as e:
        flash_all(drivers.values())
    summary, results = e.value.result, {r["port"]: r for r in e.value.events}
    assert e.value.exit_code == 20 and summary["exit"] == 20
    assert summary["boards"] == len(names) == 7
    assert summary["ok"] == 5 and summary["failed"] == 2
    for name, d in drivers.items():
        r = results[d.port_url()]
        if name == "wrongpart":
            assert r["exit"] == 14 and "another part" in r["error"]
        elif name == "noisy":
            assert r["exit"] in (11, 13)
        else:
            assert r["ok"] and r["crc"].startswith("0x"), r
    # The good boards run what was flashed.
    for name in ("board0", "board2", "local0"):
        drivers[name].wait_for_output("app v2.0.0", 30000)
