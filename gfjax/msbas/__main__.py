"""``python -m gfjax.msbas header.txt`` — see cli.py."""
import sys

from gfjax.msbas.cli import main

if __name__ == "__main__":
    sys.exit(main())
