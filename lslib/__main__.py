"""``python -m lslib``: see :mod:`lslib.book.cli`."""

from lslib.book.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
