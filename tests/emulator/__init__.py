"""The Graph emulator: a local server that speaks Microsoft Graph's synchronization API.

See README.md in this directory. `tests.emulator.control.Emulator` starts it for tests;
`python3 -m tests.emulator` runs it from the repository root.
"""
