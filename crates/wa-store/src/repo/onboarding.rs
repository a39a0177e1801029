//! [`SignupRepository`] over `signup_attempts`, [`TemplateRepository`] over
//! `whatsapp_templates` and `template_syncs`, and [`ConnectionDirectory`] over
//! `whatsapp_connections`.

use async_trait::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DeriveIden, QueryResult, Value,
    sea_query::{Expr, ExprTrait, OnConflict, Order, Query},
};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    event::{EventPayload, NewEvent, TemplateStatusChanged},
    ids::{PhoneNumberId, TenantId, WabaId},
    onboarding::{SignupFailure, SignupState, SignupStep},
    ports::{ConnectionDirectory, SignupRepository, StoreError, TemplateRepository},
    template_catalog::{SyncedTemplate, TemplateStatusChange},
};

use crate::{
    convert::timestamp,
    error::{classify, corrupt},
    repo::{begin_write, event_log::append_in, finish, insert_row},
};

#[derive(DeriveIden, Clone, Copy)]
enum SignupAttempts {
    Table,
    TenantId,
    CodeFingerprint,
    Reached,
    WabaId,
    PhoneNumberId,
    BusinessId,
    Failure,
    StartedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WhatsappTemplates {
    Table,
    Id,
    TenantId,
    WabaId,
    MetaId,
    Name,
    Language,
    Category,
    Status,
    Spec,
    Components,
    SyncedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TemplateSyncs {
    Table,
    TenantId,
    SyncedAt,
    Templates,
}

#[derive(DeriveIden, Clone, Copy)]
enum WhatsappConnections {
    Table,
    TenantId,
    WabaId,
    PhoneNumberId,
}

/// Signup progress in the database.
#[derive(Debug, Clone)]
pub struct SqlSignups {
    db: DatabaseConnection,
}

impl SqlSignups {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Synced message templates in the database.
#[derive(Debug, Clone)]
pub struct SqlTemplates {
    db: DatabaseConnection,
}

impl SqlTemplates {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Connections across tenants.
#[derive(Debug, Clone)]
pub struct SqlConnectionDirectory {
    db: DatabaseConnection,
}

impl SqlConnectionDirectory {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn text(
    row: &QueryResult,
    table: &'static str,
    column: &str,
) -> Result<Option<String>, StoreError> {
    row.try_get::<Option<String>>("", column)
        .map_err(|e| corrupt(table, e))
}

fn time_of(
    row: &QueryResult,
    table: &'static str,
    column: &str,
) -> Result<OffsetDateTime, StoreError> {
    row.try_get::<OffsetDateTime>("", column)
        .map_err(|e| corrupt(table, e))
}

fn signup_from_row(row: &QueryResult) -> Result<SignupState, StoreError> {
    const T: &str = "signup_attempts";
    let tenant: Uuid = row.try_get("", "tenant_id").map_err(|e| corrupt(T, e))?;
    let reached = match text(row, T, "reached")? {
        Some(name) => Some(SignupStep::parse(&name).ok_or_else(|| corrupt(T, "unknown step"))?),
        None => None,
    };
    let failure = match text(row, T, "failure")? {
        Some(json) => {
            Some(serde_json::from_str::<SignupFailure>(&json).map_err(|e| corrupt(T, e))?)
        }
        None => None,
    };
    Ok(SignupState {
        tenant_id: TenantId::from_uuid(tenant),
        code_fingerprint: text(row, T, "code_fingerprint")?,
        reached,
        waba_id: text(row, T, "waba_id")?
            .map(WabaId::parse)
            .transpose()
            .map_err(|e| corrupt(T, e))?,
        phone_number_id: text(row, T, "phone_number_id")?
            .map(PhoneNumberId::parse)
            .transpose()
            .map_err(|e| corrupt(T, e))?,
        business_id: text(row, T, "business_id")?,
        failure,
        started_at: time_of(row, T, "started_at")?,
        updated_at: time_of(row, T, "updated_at")?,
    })
}

#[async_trait]
impl SignupRepository for SqlSignups {
    async fn get(&self, tenant: TenantId) -> Result<Option<SignupState>, StoreError> {
        let stmt = Query::select()
            .columns([
                SignupAttempts::TenantId,
                SignupAttempts::CodeFingerprint,
                SignupAttempts::Reached,
                SignupAttempts::WabaId,
                SignupAttempts::PhoneNumberId,
                SignupAttempts::BusinessId,
                SignupAttempts::Failure,
                SignupAttempts::StartedAt,
                SignupAttempts::UpdatedAt,
            ])
            .from(SignupAttempts::Table)
            .and_where(Expr::col(SignupAttempts::TenantId).eq(tenant.as_uuid()))
            .to_owned();
        match self.db.query_one(&stmt).await.map_err(classify)? {
            Some(row) => signup_from_row(&row).map(Some),
            None => Ok(None),
        }
    }

    async fn save(&self, state: &SignupState) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let failure = match &state.failure {
            Some(failure) => {
                Some(serde_json::to_string(failure).map_err(|e| StoreError::Other(Box::new(e)))?)
            }
            None => None,
        };
        let mut stmt = insert_row(
            SignupAttempts::Table,
            vec![
                (
                    SignupAttempts::TenantId,
                    Value::from(state.tenant_id.as_uuid()),
                ),
                (
                    SignupAttempts::CodeFingerprint,
                    state.code_fingerprint.clone().into(),
                ),
                (
                    SignupAttempts::Reached,
                    state.reached.map(|s| s.as_str().to_owned()).into(),
                ),
                (
                    SignupAttempts::WabaId,
                    state.waba_id.as_ref().map(|w| w.as_str().to_owned()).into(),
                ),
                (
                    SignupAttempts::PhoneNumberId,
                    state
                        .phone_number_id
                        .as_ref()
                        .map(|p| p.as_str().to_owned())
                        .into(),
                ),
                (SignupAttempts::BusinessId, state.business_id.clone().into()),
                (SignupAttempts::Failure, failure.into()),
                (
                    SignupAttempts::StartedAt,
                    timestamp::value(backend, state.started_at),
                ),
                (
                    SignupAttempts::UpdatedAt,
                    timestamp::value(backend, state.updated_at),
                ),
            ],
        );
        stmt.on_conflict(
            OnConflict::column(SignupAttempts::TenantId)
                .update_columns([
                    SignupAttempts::CodeFingerprint,
                    SignupAttempts::Reached,
                    SignupAttempts::WabaId,
                    SignupAttempts::PhoneNumberId,
                    SignupAttempts::BusinessId,
                    SignupAttempts::Failure,
                    SignupAttempts::StartedAt,
                    SignupAttempts::UpdatedAt,
                ])
                .to_owned(),
        );
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }
}

const TEMPLATE_COLUMNS: [WhatsappTemplates; 10] = [
    WhatsappTemplates::WabaId,
    WhatsappTemplates::MetaId,
    WhatsappTemplates::Name,
    WhatsappTemplates::Language,
    WhatsappTemplates::Category,
    WhatsappTemplates::Status,
    WhatsappTemplates::Spec,
    WhatsappTemplates::Components,
    WhatsappTemplates::SyncedAt,
    WhatsappTemplates::TenantId,
];

fn template_from_row(row: &QueryResult) -> Result<SyncedTemplate, StoreError> {
    const T: &str = "whatsapp_templates";
    let required =
        |column: &str| text(row, T, column)?.ok_or_else(|| corrupt(T, format!("{column} is null")));
    Ok(SyncedTemplate {
        waba_id: WabaId::parse(required("waba_id")?).map_err(|e| corrupt(T, e))?,
        meta_id: text(row, T, "meta_id")?,
        name: required("name")?,
        language: required("language")?,
        category: text(row, T, "category")?,
        status: required("status")?,
        spec: serde_json::from_str(&required("spec")?).map_err(|e| corrupt(T, e))?,
        components_json: text(row, T, "components")?,
        synced_at: time_of(row, T, "synced_at")?,
    })
}

impl SqlTemplates {
    async fn select(
        &self,
        tenant: TenantId,
        name: Option<&str>,
    ) -> Result<Vec<SyncedTemplate>, StoreError> {
        let mut stmt = Query::select();
        stmt.columns(TEMPLATE_COLUMNS)
            .from(WhatsappTemplates::Table)
            .and_where(Expr::col(WhatsappTemplates::TenantId).eq(tenant.as_uuid()))
            .order_by(WhatsappTemplates::Name, Order::Asc)
            .order_by(WhatsappTemplates::Language, Order::Asc);
        if let Some(name) = name {
            stmt.and_where(Expr::col(WhatsappTemplates::Name).eq(name));
        }
        let rows = self.db.query_all(&stmt).await.map_err(classify)?;
        rows.iter().map(template_from_row).collect()
    }
}

/// The insert of one template, replacing the tenant's template of the same name and language.
fn template_upsert(
    backend: sea_orm::DatabaseBackend,
    tenant: TenantId,
    template: &SyncedTemplate,
) -> Result<sea_orm::sea_query::InsertStatement, StoreError> {
    let spec = serde_json::to_string(&template.spec).map_err(|e| StoreError::Other(Box::new(e)))?;
    let mut insert = insert_row(
        WhatsappTemplates::Table,
        vec![
            (WhatsappTemplates::Id, Value::from(Uuid::now_v7())),
            (WhatsappTemplates::TenantId, tenant.as_uuid().into()),
            (WhatsappTemplates::WabaId, template.waba_id.as_str().into()),
            (WhatsappTemplates::MetaId, template.meta_id.clone().into()),
            (WhatsappTemplates::Name, template.name.clone().into()),
            (
                WhatsappTemplates::Language,
                template.language.clone().into(),
            ),
            (
                WhatsappTemplates::Category,
                template.category.clone().into(),
            ),
            (WhatsappTemplates::Status, template.status.clone().into()),
            (WhatsappTemplates::Spec, spec.into()),
            (
                WhatsappTemplates::Components,
                template.components_json.clone().into(),
            ),
            (
                WhatsappTemplates::SyncedAt,
                timestamp::value(backend, template.synced_at),
            ),
        ],
    );
    // Meta never lists a (name, language) twice; if it did, the last one wins.
    insert.on_conflict(
        OnConflict::columns([
            WhatsappTemplates::TenantId,
            WhatsappTemplates::Name,
            WhatsappTemplates::Language,
        ])
        .update_columns([
            WhatsappTemplates::WabaId,
            WhatsappTemplates::MetaId,
            WhatsappTemplates::Category,
            WhatsappTemplates::Status,
            WhatsappTemplates::Spec,
            WhatsappTemplates::Components,
            WhatsappTemplates::SyncedAt,
        ])
        .to_owned(),
    );
    Ok(insert)
}

#[async_trait]
impl TemplateRepository for SqlTemplates {
    async fn replace_all(
        &self,
        tenant: TenantId,
        templates: &[SyncedTemplate],
    ) -> Result<usize, StoreError> {
        let backend = self.db.get_database_backend();
        let now = templates
            .iter()
            .map(|t| t.synced_at)
            .max()
            .unwrap_or_else(OffsetDateTime::now_utc);
        let txn = begin_write(&self.db).await?;
        let result = async {
            // The marker first: it is the write that takes the locks, and an unknown tenant
            // fails its foreign key (`NotFound`) before anything else is touched.
            let mut marker = insert_row(
                TemplateSyncs::Table,
                vec![
                    (TemplateSyncs::TenantId, Value::from(tenant.as_uuid())),
                    (TemplateSyncs::SyncedAt, timestamp::value(backend, now)),
                    (
                        TemplateSyncs::Templates,
                        i32::try_from(templates.len()).unwrap_or(i32::MAX).into(),
                    ),
                ],
            );
            marker.on_conflict(
                OnConflict::column(TemplateSyncs::TenantId)
                    .update_columns([TemplateSyncs::SyncedAt, TemplateSyncs::Templates])
                    .to_owned(),
            );
            txn.execute(&marker).await.map_err(classify)?;
            let delete = Query::delete()
                .from_table(WhatsappTemplates::Table)
                .and_where(Expr::col(WhatsappTemplates::TenantId).eq(tenant.as_uuid()))
                .to_owned();
            txn.execute(&delete).await.map_err(classify)?;
            for template in templates {
                let insert = template_upsert(backend, tenant, template)?;
                txn.execute(&insert).await.map_err(classify)?;
            }
            Ok(templates.len())
        }
        .await;
        finish(txn, result).await
    }

    async fn find_by_name(
        &self,
        tenant: TenantId,
        name: &str,
    ) -> Result<Vec<SyncedTemplate>, StoreError> {
        self.select(tenant, Some(name)).await
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<SyncedTemplate>, StoreError> {
        self.select(tenant, None).await
    }

    async fn last_synced(&self, tenant: TenantId) -> Result<Option<OffsetDateTime>, StoreError> {
        let stmt = Query::select()
            .column(TemplateSyncs::SyncedAt)
            .from(TemplateSyncs::Table)
            .and_where(Expr::col(TemplateSyncs::TenantId).eq(tenant.as_uuid()))
            .to_owned();
        match self.db.query_one(&stmt).await.map_err(classify)? {
            Some(row) => time_of(&row, "template_syncs", "synced_at").map(Some),
            None => Ok(None),
        }
    }

    async fn set_status(
        &self,
        tenant: TenantId,
        change: &TemplateStatusChange,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let backend = self.db.get_database_backend();
        let mut stmt = Query::update();
        stmt.table(WhatsappTemplates::Table)
            .value(WhatsappTemplates::Status, change.status.clone())
            .value(
                WhatsappTemplates::SyncedAt,
                Expr::val(timestamp::value(backend, at)),
            )
            .and_where(Expr::col(WhatsappTemplates::TenantId).eq(tenant.as_uuid()));
        match (&change.meta_id, &change.name, &change.language) {
            (Some(meta_id), _, _) => {
                stmt.and_where(Expr::col(WhatsappTemplates::MetaId).eq(meta_id.clone()));
            }
            (None, Some(name), Some(language)) => {
                stmt.and_where(Expr::col(WhatsappTemplates::Name).eq(name.clone()))
                    .and_where(Expr::col(WhatsappTemplates::Language).eq(language.clone()));
            }
            _ => return Ok(false),
        }
        stmt.returning(Query::returning().columns([
            WhatsappTemplates::MetaId,
            WhatsappTemplates::Name,
            WhatsappTemplates::Language,
        ]));
        // The status and its `template.status` events commit together.
        let txn = begin_write(&self.db).await?;
        let result = async {
            let rows = txn.query_all(&stmt).await.map_err(classify)?;
            let events = rows
                .iter()
                .map(|row| {
                    let bad = |e: sea_orm::DbErr| corrupt("whatsapp_templates", e);
                    Ok(NewEvent::new(
                        at,
                        EventPayload::TemplateStatus(TemplateStatusChanged {
                            template_id: row.try_get("", "meta_id").map_err(bad)?,
                            name: row.try_get("", "name").map_err(bad)?,
                            language: row.try_get("", "language").map_err(bad)?,
                            status: change.status.clone(),
                            reason: None,
                        }),
                    ))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let matched = !events.is_empty();
            append_in(&txn, tenant, events).await?;
            Ok(matched)
        }
        .await;
        finish(txn, result).await
    }

    async fn upsert(&self, tenant: TenantId, template: &SyncedTemplate) -> Result<(), StoreError> {
        let insert = template_upsert(self.db.get_database_backend(), tenant, template)?;
        // The template and its `template.status` event (created or back in review) commit
        // together.
        let txn = begin_write(&self.db).await?;
        let result = async {
            txn.execute(&insert).await.map_err(classify)?;
            let event = NewEvent::new(
                template.synced_at,
                EventPayload::TemplateStatus(TemplateStatusChanged {
                    template_id: template.meta_id.clone(),
                    name: template.name.clone(),
                    language: template.language.clone(),
                    status: template.status.clone(),
                    reason: None,
                }),
            );
            append_in(&txn, tenant, vec![event]).await?;
            Ok(())
        }
        .await;
        finish(txn, result).await
    }

    async fn remove(
        &self,
        tenant: TenantId,
        name: &str,
        meta_id: Option<String>,
    ) -> Result<usize, StoreError> {
        let mut stmt = Query::delete();
        stmt.from_table(WhatsappTemplates::Table)
            .and_where(Expr::col(WhatsappTemplates::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(WhatsappTemplates::Name).eq(name));
        if let Some(id) = meta_id {
            stmt.and_where(Expr::col(WhatsappTemplates::MetaId).eq(id));
        }
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        Ok(usize::try_from(result.rows_affected()).unwrap_or(usize::MAX))
    }
}

#[async_trait]
impl ConnectionDirectory for SqlConnectionDirectory {
    async fn connected_numbers(
        &self,
        after: Option<PhoneNumberId>,
        limit: u32,
    ) -> Result<Vec<(TenantId, PhoneNumberId)>, StoreError> {
        let mut stmt = Query::select();
        stmt.columns([
            WhatsappConnections::TenantId,
            WhatsappConnections::PhoneNumberId,
        ])
        .from(WhatsappConnections::Table)
        .order_by(WhatsappConnections::PhoneNumberId, Order::Asc)
        .limit(u64::from(limit));
        if let Some(after) = after {
            stmt.and_where(Expr::col(WhatsappConnections::PhoneNumberId).gt(after.as_str()));
        }
        let rows = self.db.query_all(&stmt).await.map_err(classify)?;
        let bad = |e: sea_orm::DbErr| corrupt("whatsapp_connections", e);
        rows.iter()
            .map(|row| {
                let tenant = row.try_get::<Uuid>("", "tenant_id").map_err(bad)?;
                let number = row.try_get::<String>("", "phone_number_id").map_err(bad)?;
                let number =
                    PhoneNumberId::parse(number).map_err(|e| corrupt("whatsapp_connections", e))?;
                Ok((TenantId::from_uuid(tenant), number))
            })
            .collect()
    }

    async fn tenant_for_waba(&self, waba_id: &WabaId) -> Result<Option<TenantId>, StoreError> {
        let stmt = Query::select()
            .column(WhatsappConnections::TenantId)
            .from(WhatsappConnections::Table)
            .and_where(Expr::col(WhatsappConnections::WabaId).eq(waba_id.as_str()))
            .order_by(WhatsappConnections::TenantId, Order::Asc)
            .limit(1)
            .to_owned();
        match self.db.query_one(&stmt).await.map_err(classify)? {
            Some(row) => row
                .try_get::<Uuid>("", "tenant_id")
                .map(|id| Some(TenantId::from_uuid(id)))
                .map_err(|e| corrupt("whatsapp_connections", e)),
            None => Ok(None),
        }
    }
}
