"""The gateway database's tables (the gateway owns them; no other service reads them)."""

from sqlalchemy import MetaData

from shared.consumer import define_processed_events_table
from shared.outbox import define_outbox_table

metadata = MetaData()
outbox = define_outbox_table(metadata)
processed_events = define_processed_events_table(metadata)

# The catalogue's tables live on the same metadata (imported last: that module imports ``metadata`` from here).
from gateway.catalogue import tables as catalogue_tables  # noqa: E402

__all__ = ["catalogue_tables", "metadata", "outbox", "processed_events"]
from gateway.habilitation import tables as habilitation_tables  # noqa: E402

__all__ += ["habilitation_tables"]
from gateway.accounts import tables as account_tables  # noqa: E402

__all__ += ["account_tables"]
from gateway.submissions import tables as submission_tables  # noqa: E402

__all__ += ["submission_tables"]
from gateway.publications import tables as publication_tables  # noqa: E402

__all__ += ["publication_tables"]
from gateway.integrators import tables as integrator_tables  # noqa: E402

__all__ += ["integrator_tables"]
from gateway.transmission import tables as transmission_tables  # noqa: E402

__all__ += ["transmission_tables"]
from gateway.webhooks import tables as webhook_tables  # noqa: E402

__all__ += ["webhook_tables"]
