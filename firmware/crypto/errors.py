"""The typed error raised for malformed key material or crypto input."""


class CryptoInputError(ValueError):
    """Key, point, signature or parameter bytes are malformed; ``field`` names which one."""

    def __init__(self, message, field=None):
        self.field = field
        super().__init__((field + ": " + message) if field else message)
