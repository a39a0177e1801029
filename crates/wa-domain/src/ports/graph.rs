//! Meta's Graph API: sending and media, then account and onboarding calls.

use async_trait::async_trait;

use crate::{
    connection::PhoneNumberInfo,
    credential::SecretString,
    graph::{GraphError, MarkRead, MediaDownload, MediaInfo, MediaUpload, SendReceipt, Sender},
    ids::MessageId,
    message::OutboundMessage,
};

/// Meta's Graph API, as the use cases need it.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait GraphGateway: Send + Sync + 'static {
    /// Sends a message; `callback` goes to Meta as `biz_opaque_callback_data`.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn send(
        &self,
        sender: &Sender,
        message: &OutboundMessage,
        callback: MessageId,
    ) -> Result<SendReceipt, GraphError>;

    /// Marks a customer's message read.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn mark_read(&self, sender: &Sender, read: &MarkRead) -> Result<(), GraphError>;

    /// Reads the business number's details; also proves the token works.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn phone_number_info(&self, sender: &Sender) -> Result<PhoneNumberInfo, GraphError>;

    /// Uploads a media file, returning its media id.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn upload_media(
        &self,
        sender: &Sender,
        upload: &MediaUpload,
    ) -> Result<String, GraphError>;

    /// Looks a media id up.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn media_info(&self, sender: &Sender, media_id: &str) -> Result<MediaInfo, GraphError>;

    /// Downloads a media file.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn download_media(
        &self,
        sender: &Sender,
        media_id: &str,
    ) -> Result<MediaDownload, GraphError>;

    /// Deletes an uploaded media file.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn delete_media(&self, sender: &Sender, media_id: &str) -> Result<(), GraphError>;
}

/// Meta's account and onboarding calls (cloud-api.md §6).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AccountGateway: Send + Sync + 'static {
    /// Exchanges an Embedded Signup code for the business token.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn exchange_code(
        &self,
        code: &SecretString,
    ) -> Result<crate::onboarding::ExchangedToken, GraphError>;

    /// What Meta says about a business token, including the WABAs shared with the app.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn debug_token(
        &self,
        token: &SecretString,
    ) -> Result<crate::onboarding::TokenGrant, GraphError>;

    /// The business numbers of a WABA.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn phone_numbers(
        &self,
        token: &SecretString,
        waba_id: &crate::ids::WabaId,
    ) -> Result<Vec<crate::onboarding::BusinessNumber>, GraphError>;

    /// Subscribes the app to a WABA's webhooks.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn subscribe_app(
        &self,
        token: &SecretString,
        waba_id: &crate::ids::WabaId,
    ) -> Result<(), GraphError>;

    /// Registers the number on the Cloud API with its two-step PIN.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn register_number(&self, sender: &Sender, pin: &SecretString) -> Result<(), GraphError>;

    /// Every message template of a WABA, read into our form.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn message_templates(
        &self,
        token: &SecretString,
        waba_id: &crate::ids::WabaId,
    ) -> Result<Vec<crate::template_catalog::SyncedTemplate>, GraphError>;

    /// Submits a new template for review (`POST /{waba_id}/message_templates`); returns it as
    /// stored from then on (Meta's id and status, usually `PENDING`).
    ///
    /// # Errors
    /// A classified [`GraphError`] (Meta's refusal names the rule in its message).
    async fn create_template(
        &self,
        token: &SecretString,
        waba_id: &crate::ids::WabaId,
        draft: &crate::template_draft::TemplateDraft,
    ) -> Result<crate::template_catalog::SyncedTemplate, GraphError>;

    /// Edits a template (`POST /{template_id}`); returns `current` as changed (back in review).
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn edit_template(
        &self,
        token: &SecretString,
        current: &crate::template_catalog::SyncedTemplate,
        edit: &crate::template_draft::TemplateEdit,
    ) -> Result<crate::template_catalog::SyncedTemplate, GraphError>;

    /// Deletes a template: one language by Meta's id, or every language of the name
    /// (`DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]`).
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn delete_template(
        &self,
        token: &SecretString,
        waba_id: &crate::ids::WabaId,
        name: &str,
        meta_id: Option<String>,
    ) -> Result<(), GraphError>;
}
