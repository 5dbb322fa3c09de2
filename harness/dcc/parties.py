"""Remote parties the DCC core acts for: role, EUI and the keystore holding their keys."""
from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from harness.dcc.errors import MissingKey
from harness.gbcs.keystore import KeyStore
from harness.smki.roles import DEFAULT_PARTIES, Role


@dataclass(frozen=True)
class RemoteParty:
    """A remote party (supplier, network operator, ACB, recovery, transitional CoS, ...)."""

    name: str
    role: Role
    eui: bytes

    def private_key(self, keys: KeyStore, usage: str, prepayment: bool = False) -> ec.EllipticCurvePrivateKey:
        """This party's private DS or KA key; MissingKey when the keystore lacks it."""
        key = keys.private_key(self.eui, usage, prepayment)
        if key is None:
            kind = ("pp-" if prepayment else "") + usage
            raise MissingKey(f"keystore has no {kind} private key for {self.name} {self.eui.hex().upper()}")
        return key


def default_parties() -> list[RemoteParty]:
    """The bench's remote parties with the RTDS EUIs (see ``harness.smki.roles``)."""
    return [RemoteParty(name, role, bytes.fromhex(eui)) for name, (role, eui, _, _) in DEFAULT_PARTIES.items()]
