# Role loader: one module per device role, each defining ROLE (a subclass of roles.base.Role).
import gc

ROLES = ("chf", "gpf", "esme", "gsme", "ppmid", "hht", "hcalcs")
COMPILE_GC_BYTES = 8192  # collect this often while a role's modules compile


def load(name, hal):
    """An instance of the role `name` on `hal`; ValueError for a role that does not exist."""
    if name not in ROLES:
        raise ValueError("unknown role %r (expected one of %s)" % (name, ", ".join(ROLES)))
    # MicroPython compiles each module's source on import; collecting often meanwhile keeps the compiler's
    # garbage from lying between the bytecode it keeps, so the heap stays in large pieces (room for a 12 kB frame).
    threshold = getattr(gc, "threshold", None)  # MicroPython only
    if threshold is not None:
        gc.collect()
        threshold(COMPILE_GC_BYTES)
    try:
        module = __import__("firmware.roles." + name, None, None, ["ROLE"])
    finally:
        if threshold is not None:
            threshold(-1)
    return module.ROLE(hal)
