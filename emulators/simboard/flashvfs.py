# A board's flash filesystem on the simulated bench: a host directory mounted at '/'.
# Runs under MicroPython (unix port). A user VFS wrapping VfsPosix: a VfsPosix subclass breaks imports of
# sub-packages in this build, and VfsPosix(root).rename loses its first argument. The unix VfsPosix already
# raises Linux errno values; the wrapper adds the size field that boards report from ilistdir (mpremote
# `fs ls` reads it).
import vfs


class FlashVfs:
    """Delegates to VfsPosix; ilistdir yields (name, type, inode, size) like a board's flash."""

    def __init__(self, root):
        self.root = root.rstrip("/")
        self.fs = vfs.VfsPosix(root)
        self.host = vfs.VfsPosix()

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def ilistdir(self, path):
        base = path if path.endswith("/") else path + "/"
        for entry in self.fs.ilistdir(path):
            name, kind, ino = entry[0], entry[1], entry[2]
            size = 0
            if kind == 0x8000:
                size = self.fs.stat(base + name)[6]
            yield (name, kind, ino, size)

    def open(self, path, mode):
        return self.fs.open(path, mode)

    def stat(self, path):
        return self.fs.stat(path)

    def statvfs(self, path):
        return self.fs.statvfs(path)

    def chdir(self, path):
        return self.fs.chdir(path)

    def getcwd(self):
        return self.fs.getcwd()

    def mkdir(self, path):
        return self.fs.mkdir(path)

    def rmdir(self, path):
        return self.fs.rmdir(path)

    def remove(self, path):
        return self.fs.remove(path)

    def rename(self, old, new):
        # VfsPosix(root).rename builds both host paths in one buffer, so the old path is lost: use host paths
        return self.host.rename(self._host_path(old), self._host_path(new))

    def _host_path(self, path):
        return self.root + (path if path.startswith("/") else "/" + path)


def mount(root):
    """Replace the root filesystem with `root` (a host directory) and chdir to it."""
    import os

    vfs.umount("/")
    vfs.mount(FlashVfs(root), "/")
    os.chdir("/")
