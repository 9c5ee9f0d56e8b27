"""``python -m lslib``: see :mod:`lslib.cli`."""

from lslib.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
