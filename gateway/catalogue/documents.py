"""The operating-information document (« modalités de fonctionnement »), whose one model lives in ``shared``."""

from shared.operating_info import Age, DatedClosure, OpeningSlot, OperatingInfoDocument, ServedCommune

__all__ = ["Age", "DatedClosure", "OpeningSlot", "OperatingInfoDocument", "ServedCommune"]
