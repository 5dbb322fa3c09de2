"""ZDO service discovery frames the rig uses: Match_Desc_req (cluster 0x0006) and Match_Desc_rsp (0x8006).

A joining SE device finds the trust centre's Key Establishment server with Match_Desc (profile 0x0109, input
cluster 0x0800) before starting CBKE. ZDO frames travel on profile 0x0000, endpoint 0, NWK-secured only.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.zigbee.reader import Reader, u16le

PROFILE_ZDO = 0x0000
MATCH_DESC_REQ, MATCH_DESC_RSP = 0x0006, 0x8006
SUCCESS = 0x00


@dataclass(frozen=True)
class MatchDescReq:
    tsn: int
    nwk_addr: int
    profile: int
    in_clusters: tuple[int, ...] = ()
    out_clusters: tuple[int, ...] = ()

    def encode(self) -> bytes:
        out = bytes([self.tsn]) + u16le(self.nwk_addr) + u16le(self.profile) + bytes([len(self.in_clusters)])
        out += b"".join(u16le(c) for c in self.in_clusters) + bytes([len(self.out_clusters)])
        return out + b"".join(u16le(c) for c in self.out_clusters)

    @classmethod
    def decode(cls, data: bytes) -> "MatchDescReq":
        r = Reader(data, "ZDO Match_Desc_req")
        tsn, addr, profile = r.u8("tsn"), r.u16("nwk_addr_of_interest"), r.u16("profile_id")
        ins = tuple(r.u16("in_cluster") for _ in range(r.u8("num_in_clusters")))
        outs = tuple(r.u16("out_cluster") for _ in range(r.u8("num_out_clusters")))
        r.end("match_desc_req")
        return cls(tsn, addr, profile, ins, outs)


@dataclass(frozen=True)
class MatchDescRsp:
    tsn: int
    status: int
    nwk_addr: int
    endpoints: tuple[int, ...] = ()

    def encode(self) -> bytes:
        return bytes([self.tsn, self.status]) + u16le(self.nwk_addr) + bytes([len(self.endpoints), *self.endpoints])

    @classmethod
    def decode(cls, data: bytes) -> "MatchDescRsp":
        r = Reader(data, "ZDO Match_Desc_rsp")
        tsn, status, addr = r.u8("tsn"), r.u8("status"), r.u16("nwk_addr_of_interest")
        endpoints = tuple(r.u8("match_list") for _ in range(r.u8("match_length")))
        r.end("match_desc_rsp")
        return cls(tsn, status, addr, endpoints)
