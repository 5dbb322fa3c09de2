"""Identities for a bench's emulated devices: GBCS keys from a bench SMKI, ZSE certificates from the bench CA,
install codes, and the parts each board receives in its /config.json.

The boards get raw keys (32-octet private scalars, 65-octet public points): firmware never parses X.509.
The DCC core reads the same SMKI directory through its keystore, so both sides use one set of keys minted
for this run, never the harness's own crypto on the device side.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from harness.gbcs.keystore import DirectoryKeyStore
from harness.smki.cpl import manufacturer_key, signer_id
from harness.smki.mint import ca_chain_certificate, mint
from harness.smki.roles import DEFAULT_DEVICES, DEFAULT_PARTIES
from harness.zse import install_code as ic
from harness.zse.ke import Credentials
from harness.zse.bench_ca import BenchCA

HAN_ROLES = ("chf", "gpf", "esme", "gsme", "ppmid", "hht", "hcalcs")
DEVICE_EUIS = dict(DEFAULT_DEVICES, hht="00DB1234567890A6")
CBKE_SUITE = 2
METERS = ("esme", "gsme")
MAX_TOPUP = 100_00        # pennies: the meters' MaximumCreditThreshold (largest single top-up)
CREDIT_LIMIT = 250_00     # pennies: the meters' MaximumMeterBalance
# The meters' factory prepayment values (pennies) until the supplier sets them (SRV 2.1): low credit below £3,
# emergency credit of £5 offered below £1.
PREPAYMENT = {"low_credit_threshold": 300, "ec_threshold": 100, "ec_limit": 500}
ACB = bytes.fromhex(DEFAULT_PARTIES["acb"][1])
SUPPLIER = bytes.fromhex(DEFAULT_PARTIES["supplier"][1])
NETWORK_OPERATOR = bytes.fromhex(DEFAULT_PARTIES["network_operator"][1])
TRANSITIONAL_COS = bytes.fromhex(DEFAULT_PARTIES["transitional_cos"][1])
# OTA identity of each emulated device model: (manufacturer code, image type = model, hardware version)
BENCH_MANUFACTURER = 0x1234
DEVICE_MODELS = {"esme": (BENCH_MANUFACTURER, 0x0001, 0x0010), "gsme": (BENCH_MANUFACTURER, 0x0002, 0x0010),
                 "chf": (BENCH_MANUFACTURER, 0x0003, 0x0010), "ppmid": (BENCH_MANUFACTURER, 0x0004, 0x0010)}
# Trust anchors per device role (BAD 7.7 Table 11), as (party, with KA key).
TRUST_ANCHORS = {
    "chf": ("acb", "recovery", "wan_provider"),
    "gpf": ("acb", "recovery", "supplier", "network_operator", "transitional_cos"),
    "esme": ("acb", "recovery", "supplier", "network_operator", "transitional_cos"),
    "gsme": ("acb", "recovery", "supplier", "transitional_cos"),
    "ppmid": ("acb", "recovery"),
    # Root, Recovery, Supplier DS, ACB KA, TCoS DS [I: the supplier's KA key comes with its entry, unused]
    "hcalcs": ("acb", "recovery", "supplier", "transitional_cos"),
    "hht": ("acb",),
}


# Message codes a device runs only with a valid KRP signature (critical, BAD 7.8.4): ECS70 and GCS28 Set Clock
# (SRV 8.1.1 / 6.11), the CS04AC unjoin (SRV 8.8.1) [I: CS04AC taken as critical in every variant], ECS46c ALCS
# calendar (SRV 6.14.2) and ECS47 Activate Auxiliary Load (SRV 7.5).
CRITICAL_CODES = (0x0062, 0x007F, 0x000F, 0x0054, 0x0055)


def install_code_link_key(code: bytes) -> bytes:
    """The preconfigured link key of a 6/8/12/16-octet install code (AES-MMO of code || CRC-16/X-25)."""
    return ic.link_key(ic.append_crc(code))


def raw_private(key) -> str:
    return key.private_numbers().private_value.to_bytes(32, "big").hex().upper()


def raw_public(key) -> str:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint).hex().upper()


@dataclass(frozen=True)
class HanIdentity:
    """One device's HAN identity: EUI-64, 16-octet install code, CBKE credentials."""

    role: str
    eui: bytes
    install_code: bytes
    cbke: Credentials

    @property
    def eui_int(self) -> int:
        return int.from_bytes(self.eui, "big")

    @property
    def link_key(self) -> bytes:
        """The install-code-derived preconfigured link key (AES-MMO of code || CRC)."""
        return install_code_link_key(self.install_code)


class Provisioning:
    """Mint a bench SMKI under `workdir/smki` for the devices `euis` (role -> EUI-64 hex) and CBKE credentials
    from the bench CA (deterministic per seed)."""

    def __init__(self, workdir: Path, euis: dict[str, str] | None = None, seed: str = "gb-han-rig"):
        self.euis = {role: eui.upper() for role, eui in (euis or DEVICE_EUIS).items()}
        self.smki_dir = Path(workdir) / "smki"
        mint(self.smki_dir, devices=self.euis)
        manufacturer_key(self.smki_dir, BENCH_MANUFACTURER)  # minted now: boards are brought up in parallel
        self.keystore = DirectoryKeyStore(self.smki_dir)
        self.seed = seed
        self.ca = BenchCA(CBKE_SUITE, seed=seed)
        self._han: dict[str, HanIdentity] = {}

    def install_code(self, role: str) -> bytes:
        return hashlib.sha256(f"{self.seed}|install-code|{role}".encode()).digest()[:16]

    def han(self, role: str) -> HanIdentity:
        """The HAN identity of an emulated role (issued once, then cached)."""
        if role not in self._han:
            eui = bytes.fromhex(self.euis[role])
            issued = self.ca.issue(eui)
            cbke = Credentials(CBKE_SUITE, issued.cert_bytes, issued.private_key, self.ca.public_key)
            self._han[role] = HanIdentity(role, eui, self.install_code(role), cbke)
        return self._han[role]

    def gbcs_config(self, role: str) -> dict:
        """The board's "gbcs" config section: own raw KA/DS keys and its trust anchors' public keys."""
        eui = bytes.fromhex(self.euis[role])
        parties = {}
        for name in TRUST_ANCHORS[role]:
            _, party_eui, has_ka, _ = DEFAULT_PARTIES[name]
            peui = bytes.fromhex(party_eui)
            ds = self.keystore.public_key(peui, "ds")
            ka = self.keystore.public_key(peui, "ka") if has_ka else None
            parties[party_eui] = {"ds": raw_public(ds) if ds else None, "ka": raw_public(ka) if ka else None}
        return {
            "eui": eui.hex().upper(),
            "ka_private": raw_private(self.keystore.private_key(eui, "ka")),
            "ds_private": raw_private(self.keystore.private_key(eui, "ds")),
            "acb": ACB.hex().upper(),
            "parties": parties,
            "critical_codes": list(CRITICAL_CODES),
            # the supplier whose certificate fills the supplier cells (its alerts go there), None without the cell
            "supplier": SUPPLIER.hex().upper() if "supplier" in TRUST_ANCHORS[role] else None,
            # the party that replaces the supplier cells on a change of supplier (CS02b), and the Root trust anchor
            # the certificates it brings are validated under
            "transitional_cos": TRANSITIONAL_COS.hex().upper() if "transitional_cos" in TRUST_ANCHORS[role] else None,
            "root": raw_public(ca_chain_certificate(self.smki_dir, "root").public_key()),
        }

    def utrn_config(self) -> dict:
        """A meter's "utrn" config section: its supplier, the supplier's prepayment KA public key, credit limits."""
        pp = self.keystore.public_key(SUPPLIER, "ka", prepayment=True)
        return {"supplier": SUPPLIER.hex().upper(), "supplier_pp": raw_public(pp),
                "max_topup": MAX_TOPUP, "credit_limit": CREDIT_LIMIT}

    def ota_config(self, role: str) -> dict:
        """A device's "ota" config section: its model and the bench manufacturer's image-signing public key."""
        manufacturer, model, hardware = DEVICE_MODELS[role]
        key = manufacturer_key(self.smki_dir, manufacturer)
        return {"manufacturer": manufacturer, "image_type": model, "hardware": hardware,
                "signer": signer_id(manufacturer).hex().upper(), "signer_public": raw_public(key.public_key()),
                # the receipt alert's recipient: the supplier, or the ACB for a device holding no supplier cell (PPMID)
                "supplier": (SUPPLIER if "supplier" in TRUST_ANCHORS[role] else ACB).hex().upper()}

    def board_config(self, role: str, defects: tuple[str, ...] = ()) -> dict:
        """Extra /config.json fields for an emulated role's board."""
        config = {"gbcs": self.gbcs_config(role), "defects": list(defects)}
        if role in DEVICE_MODELS:
            config["ota"] = self.ota_config(role)
        if role in METERS:
            config["utrn"] = self.utrn_config()
            config["prepayment"] = dict(PREPAYMENT)
        return config
