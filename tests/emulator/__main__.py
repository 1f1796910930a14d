"""`/usr/bin/python3 -m tests.emulator [options]` from the repository root."""

from tests.emulator.graph_emulator import main

if __name__ == "__main__":
    raise SystemExit(main())
