# Deployed as the board's /main.py (the firmware package lives in /lib/firmware).
from firmware.app import main

main()
