# Version of the board firmware, reported in the board link hello and checked after a deploy.
FIRMWARE_VERSION = "0.1.0"
