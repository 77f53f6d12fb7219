//! DataLoaders of finance.

use crate::{by_key_loader, grouped_loader};

by_key_loader!(AccountById, account, Id, id);
by_key_loader!(EntryById, journal_entry, Id, id);
by_key_loader!(InvoiceById, invoice, Id, id);
by_key_loader!(ItemById, inventory_item, Id, id);
grouped_loader!(LinesByEntry, journal_line, EntryId, entry_id, LineNo);
grouped_loader!(LinesByInvoice, invoice_line, InvoiceId, invoice_id, LineNo);
