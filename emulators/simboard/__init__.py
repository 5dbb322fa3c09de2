"""Code that runs inside a simulated board's MicroPython unix-port process (the REPL shim and flash VFS).

The host side that starts and supervises these processes is `rig.boards.sim`.
"""
