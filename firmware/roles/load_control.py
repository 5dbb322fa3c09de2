# Auxiliary load control on an ESME (BAD 7.5.5): SRV 7.5 Activate Auxiliary Load (ECS47, critical) switches the
# auxiliary load on: the ESME's own ALCS, and each HCALCS in its Device Log through a HAN command (a `han.send`
# event {"to", "device": "hcalcs", "cluster", "command"} its host half puts on the air), BAD 7.5.5.5.2.
#
# Layout (RTDS 7.5_ECS47Activate, checked in tests/firmware/test_fw_load_control.py): set class 1 (data)
# 0-0:94.44.117.1 attribute 2, long-unsigned (30 in the RTDS: the override period in minutes [I]), then action
# class 9 (script table) 0-0:10.0.103.255 method 1, long-unsigned script 0x0111. Response: {null-data, null-data}
# with results set 0, action 0.
# [I] Script 0x0111 is the RTDS's only one; which switch it names is not in the source papers: taken as "the
# auxiliary load", the ALCS and every joined HCALCS. Other scripts are refused as malformed.
# [I] The HAN command is the ZCL On/Off cluster's On (0x0006 / 0x01); the source papers say only "HAN command".
# [I] The override period is recorded; its end (reverting to the ALC calendar) is not emulated.
from firmware.gbcs import dlms
from firmware.gbcs.errors import ParseError

ECS47 = 0x0055
OVERRIDE_PERIOD = (1, b"\x00\x00\x5e\x2c\x75\x01", 2)
ALC_SCRIPTS = (9, b"\x00\x00\x0a\x00\x67\xff", 1)
SCRIPT_ACTIVATE = 0x0111
LONG_UNSIGNED = 0x12
ONOFF_CLUSTER, ON = 0x0006, 0x01
HCALCS_TYPE = 4  # deviceType of an HCALCS in a Device Log entry (BAD Table 11)
DEFECTS = {"hcalcs_not_commanded": "switches its own ALCS on an ECS47 activation but sends its joined HCALCS no "
                                   "HAN command"}


def override_minutes(content):
    """The override period of an ECS47 Activate's DLMS content; ParseError for any other layout."""
    req = dlms.parse_access_request(content)
    if len(req.specs) != 2 or len(req.data) != 2:
        raise ParseError("expected the override period and the script", "ecs47", 0)
    period, script = req.specs[0], req.specs[1]
    if (period[0], period[1], bytes(period[2]), period[3]) != (dlms.SET,) + OVERRIDE_PERIOD \
            or (script[0], script[1], bytes(script[2]), script[3]) != (dlms.ACTION,) + ALC_SCRIPTS:
        raise ParseError("not the auxiliary load override and script", "ecs47", 0)
    if req.data[0][0] != LONG_UNSIGNED or tuple(req.data[1]) != (LONG_UNSIGNED, SCRIPT_ACTIVATE):
        raise ParseError("override period or script is not the activation's", "ecs47", 0)
    return req.data[0][1]


def activate(role, msg):
    """ECS47 on the ESME `role`: the ALCS on, an On command to each HCALCS in its Device Log; the response."""
    role.state["alc_override_min"] = override_minutes(msg.content)
    role.supply.s["alc_on"] = True
    role.save()
    if not role.defect("hcalcs_not_commanded"):
        for entry in role.state["devlog"]:
            if entry.get("type") == HCALCS_TYPE:
                role.hal.emit("han.send", {"to": entry["eui"], "device": "hcalcs", "cluster": ONOFF_CLUSTER,
                                           "command": ON})
    return dlms.build_access_response(dlms.invoke_id(msg.counter), [(dlms.NULL, None), (dlms.NULL, None)],
                                      [(dlms.SET, 0), (dlms.ACTION, 0)])
