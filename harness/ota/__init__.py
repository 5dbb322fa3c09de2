"""GB OTA firmware: the image format (image.py) and the firmware an emulated board runs from an image (emulated.py)."""
