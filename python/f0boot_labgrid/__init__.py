"""f0boot for labgrid: F0bootDriver (flash, probe, verify, enter_bootloader) and
F0bootStrategy (off -> bootloader -> flashed -> running). docs/labgrid.md.

An environment file imports it either by name, with this directory's parent on PYTHONPATH:

    imports:
      - f0boot_labgrid

or by path, relative to the environment file (labgrid loads a .py path as a file):

    imports:
      - ../f0boot/python/f0boot_labgrid/__init__.py
"""
if __package__:
    from .driver import EXIT_CODES, F0bootDriver, F0bootError, flash_all  # noqa: F401
    from .strategy import F0bootStrategy, Status  # noqa: F401
else:
    # Loaded by path (labgrid's `imports:` with a .py file): import the package itself once,
    # so the driver classes are registered once whichever way the environment names it.
    import os as _os
    import sys as _sys

    _here = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
    if _here not in _sys.path:
        _sys.path.insert(0, _here)
    import f0boot_labgrid  # noqa: F401,E402
