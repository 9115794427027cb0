"""The notifier: e-mails generated passwords, receipts and moderation decisions over SMTP."""

__version__ = "0.1.0"
