//! Template management use cases against mocks: Meta's rules refuse before any port is used,
//! a created or edited template is stored as Meta answered, a delete needs a known template.

use crate::{
    connection::ConnectionHealth,
    credential::SecretString,
    ids::{TenantId, WabaId},
    template_catalog::{SyncedTemplate, TemplateSpec},
    template_draft::{DraftComponent, Example, ParameterFormat, TemplateCategory, TemplateDraft},
    usecase::test_support::{Mocks, NOW},
};

use super::*;

fn draft(name: &str) -> TemplateDraft {
    TemplateDraft {
        name: name.into(),
        language: "en_US".into(),
        category: TemplateCategory::Utility,
        parameter_format: ParameterFormat::Positional,
        components: vec![DraftComponent::Body {
            text: "Hi {{1}}, thanks.".into(),
            examples: vec![Example {
                name: None,
                value: "Ada".into(),
            }],
        }],
    }
}

fn stored(tenant: TenantId, meta_id: &str) -> SyncedTemplate {
    SyncedTemplate {
        waba_id: crate::usecase::test_support::connection(tenant, ConnectionHealth::Active).waba_id,
        meta_id: Some(meta_id.into()),
        name: "thanks".into(),
        language: "en_US".into(),
        category: Some("UTILITY".into()),
        status: "PENDING".into(),
        spec: TemplateSpec::default(),
        components_json: Some("[]".into()),
        synced_at: NOW - time::Duration::hours(1),
    }
}

fn connected(mut mocks: Mocks, tenant: TenantId) -> Mocks {
    mocks = mocks.with_connection(tenant, ConnectionHealth::Active);
    mocks
        .vault
        .expect_get()
        .returning(|_, _| Ok(SecretString::from("token")));
    mocks
}

#[tokio::test]
async fn a_draft_breaking_metas_rules_uses_no_port() {
    let ports = Mocks::default().into_ports();
    let error = create_template(&ports, TenantId::generate(), &draft("Bad Name"))
        .await
        .unwrap_err();
    match error {
        TemplateAdminError::Invalid(invalid) => assert_eq!(invalid.field, "name"),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn a_created_template_is_stored_as_meta_answered() {
    let tenant = TenantId::generate();
    let mut mocks = connected(Mocks::default(), tenant);
    mocks
        .account
        .expect_create_template()
        .withf(|_, waba: &WabaId, draft| !waba.as_str().is_empty() && draft.name == "thanks")
        .returning(move |_, _, _| Ok(stored(tenant, "777")));
    mocks
        .templates
        .expect_upsert()
        .withf(move |id, template| {
            *id == tenant && template.meta_id.as_deref() == Some("777") && template.synced_at == NOW
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let created = create_template(&mocks.into_ports(), tenant, &draft("thanks"))
        .await
        .unwrap();
    assert_eq!(created.status, "PENDING");
}

#[tokio::test]
async fn deleting_an_unknown_template_asks_meta_nothing() {
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default();
    mocks
        .templates
        .expect_find_by_name()
        .returning(|_, _| Ok(Vec::new()));
    let error = delete_template(&mocks.into_ports(), tenant, "nope", None)
        .await
        .unwrap_err();
    assert!(matches!(error, TemplateAdminError::UnknownTemplate(_)));
}

#[tokio::test]
async fn a_delete_removes_at_meta_then_from_the_catalogue() {
    let tenant = TenantId::generate();
    let mut mocks = connected(Mocks::default(), tenant);
    mocks
        .templates
        .expect_find_by_name()
        .returning(move |_, _| Ok(vec![stored(tenant, "777")]));
    mocks
        .account
        .expect_delete_template()
        .withf(|_, _, name, id| name == "thanks" && id.as_deref() == Some("777"))
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    mocks
        .templates
        .expect_remove()
        .withf(|_, name, id| name == "thanks" && id.as_deref() == Some("777"))
        .times(1)
        .returning(|_, _, _| Ok(1));
    let removed = delete_template(&mocks.into_ports(), tenant, "thanks", Some("777".into()))
        .await
        .unwrap();
    assert_eq!(removed, 1);
}
