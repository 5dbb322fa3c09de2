"""Packet capture of a run: a pcap of every 802.15.4 frame with its virtual timestamp, and the keys to decrypt it."""
