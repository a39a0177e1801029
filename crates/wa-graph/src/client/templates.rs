//! Template management on [`GraphClient`]: create (`POST /{waba_id}/message_templates`), edit
//! (`POST /{template_id}`) and delete (`DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]`).

use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;
use wa_domain::{
    graph::GraphError,
    ids::WabaId,
    template_draft::{TemplateDraft, TemplateEdit},
};

use crate::{
    client::{GraphClient, errors},
    wire::template::{CreatedTemplate, components, create_body},
};

/// Meta's answer to a creation: the template's id, status and category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateCreated {
    /// Meta's id.
    pub id: String,
    /// Usually `PENDING`; `APPROVED` when Meta decided at once.
    pub status: String,
    /// The category Meta filed it under.
    pub category: Option<String>,
}

impl GraphClient {
    /// Submits a template for review.
    ///
    /// # Errors
    /// A classified [`GraphError`]; Meta's refusal names the rule in its message.
    pub async fn create_template(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
        draft: &TemplateDraft,
    ) -> Result<(TemplateCreated, String), GraphError> {
        let body = create_body(draft);
        let url = self.url_with(&[waba_id.as_str(), "message_templates"], &[], Some(token))?;
        let request = self.json_request(url, token, &body)?;
        let (status, answer) = self.execute(request).await?;
        let created = serde_json::from_slice::<CreatedTemplate<'_>>(&answer)
            .ok()
            .and_then(|created| {
                Some(TemplateCreated {
                    id: created.id?.into_string(),
                    status: created
                        .status
                        .map_or_else(|| "PENDING".to_owned(), |s| s.into_string()),
                    category: created.category.map(|c| c.into_string()),
                })
            })
            .ok_or_else(|| errors::unexpected_body(status, "a created template's id"))?;
        Ok((created, body["components"].to_string()))
    }

    /// Edits a template's components or category; returns the components JSON sent, if any.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    pub async fn edit_template(
        &self,
        token: &SecretString,
        template_id: &str,
        edit: &TemplateEdit,
    ) -> Result<Option<String>, GraphError> {
        let mut body = serde_json::Map::new();
        if let Some(category) = edit.category {
            body.insert("category".into(), Value::from(category.meta_name()));
        }
        let components_json = edit.components.as_ref().map(|list| {
            body.insert(
                "parameter_format".into(),
                Value::from(edit.parameter_format.meta_name()),
            );
            let json = components(list, edit.parameter_format);
            let text = json.to_string();
            body.insert("components".into(), json);
            text
        });
        let url = self.url_with(&[template_id], &[], Some(token))?;
        let request = self.json_request(url, token, &Value::Object(body))?;
        self.execute_success(request).await?;
        Ok(components_json)
    }

    /// Deletes a template by name (every language), or one language by Meta's id.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    pub async fn delete_template(
        &self,
        token: &SecretString,
        waba_id: &WabaId,
        name: &str,
        template_id: Option<&str>,
    ) -> Result<(), GraphError> {
        let mut query = vec![("name", name)];
        if let Some(id) = template_id {
            query.push(("hsm_id", id));
        }
        let url = self.url_with(
            &[waba_id.as_str(), "message_templates"],
            &query,
            Some(token),
        )?;
        self.execute_success(self.request(Method::DELETE, url, token))
            .await
    }
}
