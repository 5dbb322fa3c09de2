# The REPL of a simulated board. Runs under the MicroPython unix port:
#   micropython -X heapsize=2M shim.py FLASHDIR MODE CTLFD GENERATION
# MODE is "power" (power-on: boot.py, main.py, friendly REPL), "soft" (friendly soft reset: prints nothing
# before boot.py, main.py, then the friendly REPL) or "softraw" (raw-REPL soft reset: boot.py, then raw REPL).
# stdin/stdout are a pty slave with ISIG set, so a 0x03 from the host arrives as KeyboardInterrupt, as a
# board's UART IRQ does. A soft reset exits the process (code 3: friendly, 4: raw); the host restarts a fresh
# interpreter, so RAM state really is lost. On the control pipe CTLFD the shim writes "U<GENERATION>\n" once it
# can take a ^C (the host holds input until then) and "R<GENERATION>\n" before a soft reset.
# Friendly, raw and raw-paste modes follow MicroPython's pyexec.
import sys

import flashvfs

EXIT_SOFT = 3
EXIT_SOFT_RAW = 4
PASTE_WINDOW = 1024
RAW_BANNER = "raw REPL; CTRL-B to exit\n"

stdin = sys.stdin.buffer
out = sys.stdout
control = None
generation = 0


def write(text):
    out.write(text)


def soft_reset(code):
    """Tell the host to hold input, say so on the console, and end this interpreter."""
    try:
        control.write(b"R%d\n" % generation)
        write("\nMPY: soft reboot\n")
    finally:
        sys.exit(code)


class Board:
    """The REPL state of one interpreter lifetime (globals survive between commands, as on a board)."""

    def __init__(self, mode):
        self.mode = mode
        self.raw = mode == "softraw"
        self.globals = {"__name__": "__main__"}
        self.line = bytearray()
        self.cont = []

    def read_byte(self):
        """One input byte; a Ctrl-C (delivered as SIGINT) reads as 0x03."""
        try:
            b = stdin.read(1)
        except KeyboardInterrupt:
            return 3
        if not b:
            sys.exit(0)
        return b[0]

    def run_code(self, code):
        try:
            exec(code, self.globals)
        except SystemExit:
            pass
        except BaseException as e:  # noqa: every user error is reported, as pyexec does
            sys.print_exception(e, out)

    def run_file(self, name):
        try:
            f = open(name)
        except OSError:
            return
        try:
            src = f.read()
        finally:
            f.close()
        try:
            code = compile(src, name, "exec")
        except SyntaxError as e:
            sys.print_exception(e, out)
            return
        self.run_code(code)

    def banner(self):
        impl = sys.implementation
        write("MicroPython v%d.%d.%d on simboard; unix port (heap-capped) with %s\n"
              % (impl.version[0], impl.version[1], impl.version[2], sys.platform))
        write('Type "help()" for more information.\n')

    def boot(self):
        self.run_file("boot.py")
        if not self.raw:
            self.run_file("main.py")
            self.banner()
            write(">>> ")
        else:
            write(RAW_BANNER + ">")

    # ---- friendly REPL
    def friendly_byte(self, c):
        if c == 1 and not self.line:
            self.raw = True
            write("\n" + RAW_BANNER + ">")
        elif c == 2 and not self.line:
            write("\n")
            self.banner()
            write(">>> ")
        elif c == 3:
            self.line = bytearray()
            self.cont = []
            write("\n>>> ")
        elif c == 4 and not self.line:
            soft_reset(EXIT_SOFT)
        elif c in (8, 127):
            if self.line:
                self.line = self.line[:-1]
                write("\b \b")
        elif c == 13:
            write("\n")
            self.friendly_line(bytes(self.line).decode())
            self.line = bytearray()
        elif c >= 32 or c == 9:
            self.line.append(c)
            write(chr(c))

    def friendly_line(self, text):
        if self.cont or text.rstrip().endswith(":"):
            if text.strip() or not self.cont:
                self.cont.append(text)
                write("... ")
                return
            text = "\n".join(self.cont) + "\n"
            self.cont = []
        if text.strip():
            try:
                code = compile(text, "<stdin>", "single")
            except SyntaxError as e:
                sys.print_exception(e, out)
            else:
                self.run_code(code)
        write(">>> ")

    # ---- raw REPL
    def raw_byte(self, c):
        if c == 1:
            self.line = bytearray()
            write("\n" + RAW_BANNER + ">")
        elif c == 2:
            self.raw = False
            self.line = bytearray()
            write("\n")
            self.banner()
            write(">>> ")
        elif c == 3:
            self.line = bytearray()
        elif c == 4:
            write("OK")
            if not self.line:
                soft_reset(EXIT_SOFT_RAW)
            self.raw_exec(bytes(self.line))
        elif c == 5 and not self.line:
            self.raw_paste()
        else:
            self.line.append(c)

    def raw_paste(self):
        if self.read_byte() != 65 or self.read_byte() != 1:
            self.line = bytearray()
            return
        # window size, u16 little-endian (neither byte may be 0x0A: the tty cooks it to CRLF)
        sys.stdout.buffer.write(b"R\x01" + bytes((PASTE_WINDOW & 0xFF, PASTE_WINDOW >> 8)))
        data = bytearray()
        room = PASTE_WINDOW
        while True:
            c = self.read_byte()
            if c == 4:
                break
            if c == 3:
                write("\x04")
                self.line = bytearray()
                return
            data.append(c)
            room -= 1
            if room == 0:
                room = PASTE_WINDOW
                write("\x01")
        write("\x04")
        self.raw_exec(bytes(data))

    def raw_exec(self, src):
        self.line = bytearray()
        try:
            code = compile(src.decode(), "<stdin>", "exec")
        except BaseException as e:  # noqa: a syntax or decode error goes to the error channel
            write("\x04")
            sys.print_exception(e, out)
            write("\x04>")
            return
        err = None
        try:
            exec(code, self.globals)
        except SystemExit:
            pass
        except BaseException as e:  # noqa: reported on the error channel, as pyexec does
            err = e
        write("\x04")
        if err is not None:
            sys.print_exception(err, out)
        write("\x04>")

    def loop(self):
        while True:
            try:
                c = self.read_byte()
                if self.raw:
                    self.raw_byte(c)
                else:
                    self.friendly_byte(c)
            except KeyboardInterrupt:
                # a Ctrl-C landed while the shim itself was busy: treat it as the byte
                if self.raw:
                    self.line = bytearray()
                else:
                    self.friendly_byte(3)


def main():
    global control, generation
    root, mode = sys.argv[1], sys.argv[2]
    control = open(int(sys.argv[3]), "wb")
    generation = int(sys.argv[4])
    flashvfs.mount(root)
    sys.path[:] = ["", ".frozen", "/lib"]
    board = Board(mode)
    try:
        control.write(b"U%d\n" % generation)
        board.boot()
    except KeyboardInterrupt:
        write("\n>>> " if not board.raw else "")
    board.loop()


main()
