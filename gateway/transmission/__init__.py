"""Computerised transmission of availabilities by software partners (arrêté du 31 août 2021, issue 18)."""
