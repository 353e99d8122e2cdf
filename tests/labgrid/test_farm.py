"""Flash every board of a labgrid environment with f0boot and check it: the test a rig owner
copies (docs/labgrid.md). Run:

    pytest --lg-env farm.yaml tests/labgrid/test_farm.py

Each target of the environment is one test case (conftest.py), so a board that fails is
reported as failed and the others still run.
"""


def test_flash_and_check(env, board_name):
    target = env.get_target(board_name)
    strategy = target.get_driver("F0bootStrategy")
    f0 = target.get_driver("F0bootDriver")

    # Into the bootloader (the running application is asked), flashed, verified by
    # read-back CRC, committed, started, and the application printed what it should.
    strategy.transition("running")
    result = strategy.last_result
    assert result["ok"] and result["crc"].startswith("0x")
    if f0.fast_baud:
        assert result["baud"] == f0.fast_baud, "the transfer did not run at the fast rate"

    # Back into the bootloader without a button: the board holds exactly this image.
    info = f0.enter_bootloader()
    assert info["app_state"] == "valid" and info["stay_reason"] == "request"
    assert f0.verify()["ok"]

    # And it starts again.
    f0.boot(expect=strategy.expect)
    console = target.get_driver("ConsoleProtocol", activate=False) \
        if any(type(d).__name__ == "SerialDriver" for d in target.drivers) else None
    if console is not None:
        target.activate(console)
        console.expect(strategy.expect, timeout=30)
