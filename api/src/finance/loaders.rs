//! DataLoaders of finance.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::invoice_line;
use sea_orm::{DatabaseConnection, DbErr};

use super::invoices;
use crate::{by_key_loader, grouped_loader};

by_key_loader!(AccountById, account, Id, id);
by_key_loader!(EntryById, journal_entry, Id, id);
by_key_loader!(InvoiceById, invoice, Id, id);
by_key_loader!(ItemById, inventory_item, Id, id);
grouped_loader!(LinesByEntry, journal_line, EntryId, entry_id, LineNo);

/// The lines of each invoice, in order: the same statement a page of invoices reads them with.
pub struct LinesByInvoice(pub DatabaseConnection);

impl Loader<String> for LinesByInvoice {
    type Value = Vec<invoice_line::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        invoices::lines_of_page(&self.0, ids).await.map_err(Arc::new)
    }
}
