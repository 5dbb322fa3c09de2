# Role loader: one module per device role, each defining ROLE (a subclass of roles.base.Role).
ROLES = ("chf", "gpf", "esme", "gsme", "ppmid", "hht")


def load(name, hal):
    """An instance of the role `name` on `hal`; ValueError for a role that does not exist."""
    if name not in ROLES:
        raise ValueError("unknown role %r (expected one of %s)" % (name, ", ".join(ROLES)))
    module = __import__("firmware.roles." + name, None, None, ["ROLE"])
    return module.ROLE(hal)
