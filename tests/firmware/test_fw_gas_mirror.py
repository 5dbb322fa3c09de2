# The GSME's mirror on the GPF: the GPF keeps what the GSME reports to it and answers GCS13a from it, encrypted to the
# requester with its own crypto; the GSME's consumption register grows with the gas it lets through.
# Runs under CPython (pytest) and the MicroPython unix port. RTDS and harness cross-checks: test_device_roles_rtds.py.
from firmware.crypto import p256
from firmware.gbcs import gbz, protect
from firmware.roles import gas_mirror
from test_fw_device_roles import NOW, response, role, run, world
from test_fw_gbcs import DEV, SUPPLIER
from test_fw_hal import rmtree, tmpdir

READ = bytes.fromhex("0109" "01" "01" "0702" "000B" "002A00" "0203" "0103" "0003" "0000")  # seq 0x2A


def gcs13a(counter):
    return world().command(counter, gas_mirror.GCS13A, READ, False)


def opened(answer):
    """(ZCL sequence, plaintext records) of a GCS13a response, decrypted as the supplier does."""
    rsp = response(answer)
    [comp] = gbz.parse(rsp.content).components
    assert comp.encrypted and comp.cluster == 0x0702 and comp.command == 0x01 and comp.frame_control == 0x18
    z = p256.ecdh(world().sup_ka, world().dev_ka_pub)
    return comp.seq, protect.open_block(protect.content_key(z, DEV, rsp.counter, SUPPLIER), DEV, comp.payload)


def summation_record(wh):
    return bytes([0, 0, 0, 0x25]) + wh.to_bytes(6, "little")


def test_gpf_serves_gcs13a_from_the_mirror_the_gsme_updates():
    root = tmpdir()
    try:
        gpf, _ = role("gpf", root)
        seq, clear = opened(run(gpf, gcs13a(10)))
        assert seq == 0x2A and clear == bytes.fromhex("020386" "010386" "000386" "000086")  # no mirror yet
        update = gpf.methods()["mirror.update"]
        update({"eui": "00DB1234567890A1", "attrs": {"0": 5, "768": 0, "769": 1, "770": 1000}})
        update({"eui": "00DB1234567890A1", "attrs": {"0": 1234, "nonsense": 1, "769": -1, "770": 1 << 24}})
        update({"eui": "00DB1234567890FF", "attrs": {"0": 99}})  # not the GSME the mirror belongs to
        _, clear = opened(run(gpf, gcs13a(11)))
        assert clear == bytes.fromhex("0203" "00" "22" "E80300" "0103" "00" "22" "010000" "0003" "00" "30" "00") \
            + summation_record(1234)
    finally:
        rmtree(root)


def test_stale_mirror_defect_keeps_the_first_values():
    root = tmpdir()
    try:
        gpf, _ = role("gpf", root, defects=("stale_mirror",))
        update = gpf.methods()["mirror.update"]
        update({"eui": "00DB1234567890A1", "attrs": {"0": 5}})
        update({"eui": "00DB1234567890A1", "attrs": {"0": 1234}})
        assert opened(run(gpf, gcs13a(10)))[1].endswith(summation_record(5))
    finally:
        rmtree(root)


def test_gsme_register_counts_the_gas_it_lets_through():
    root = tmpdir()
    try:
        gsme, _ = role("gsme", root)
        register = gsme.methods()["meter.register"]
        assert register({})["attrs"] == {"0": 0, "768": 0, "769": 1, "770": 1000}
        assert gsme.supply.on(), "precondition: the factory GSME's valve is open"
        gsme.methods()["stim.load"]({"watts": 360})
        gsme.hal.clock.set(NOW + 600 * 1000)  # ten minutes at 360 W
        gsme.on_time(gsme.hal.clock.now_ms())
        assert register({})["attrs"]["0"] == 60
    finally:
        rmtree(root)


def test_gsme_answers_gcs13a_sent_to_it_from_its_own_register():
    root, other = tmpdir(), tmpdir()
    try:
        gsme, _ = role("gsme", root)
        gsme.methods()["stim.load"]({"watts": 360})
        gsme.hal.clock.set(NOW + 600 * 1000)  # ten minutes at 360 W: 60 Wh
        gsme.on_time(gsme.hal.clock.now_ms())
        seq, clear = opened(run(gsme, gcs13a(10)))
        assert seq == 0x2A and clear == bytes.fromhex("0203" "00" "22" "E80300" "0103" "00" "22" "010000" "0003" "00"
                                                      "30" "00") + summation_record(60)
        frozen, _ = role("gsme", other, defects=("gcs13a_register_frozen",))
        assert opened(run(frozen, gcs13a(11)))[1].endswith(summation_record(0))
    finally:
        rmtree(root)
        rmtree(other)
