"""One test case per target of the labgrid environment (--lg-env): a board that fails is
reported on its own and does not stop the others."""
from labgrid.config import Config


def pytest_generate_tests(metafunc):
    if "board_name" in metafunc.fixturenames:
        path = metafunc.config.option.lg_env
        names = sorted(Config(path).get_targets()) if path else []
        metafunc.parametrize("board_name", names)
