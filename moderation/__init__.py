"""The moderation service: the Caf moderators' review queue of operating-information submissions."""

__version__ = "0.1.0"
