//! `whatsapp_messages.claim_lapsed`: the outbox's mark of a claim taken over from a holder that
//! never finished.
//!
//! Every way a claim ends (accepted, failed, rescheduled, given back) clears `claimed_until`, so
//! a message claimed while its `claimed_until` is still set, and past, was held by a process
//! that died or hung mid-send: Meta may have accepted it. The claim sets this column from the
//! old `claimed_until` in the same statement, so the worker can treat that message as in doubt
//! (wait for its status webhook) instead of sending it again at once. Both databases read the
//! old value in `SET` and return the new row, hence a column rather than a computed result.

use sea_orm_migration::prelude::*;

/// Adds `claim_lapsed`, false for every existing row.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum WhatsappMessages {
    Table,
    /// Set by a claim when the previous claim lapsed unfinished.
    ClaimLapsed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(WhatsappMessages::Table)
                    .add_column(
                        ColumnDef::new(WhatsappMessages::ClaimLapsed)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(WhatsappMessages::Table)
                    .drop_column(WhatsappMessages::ClaimLapsed)
                    .to_owned(),
            )
            .await
    }
}
