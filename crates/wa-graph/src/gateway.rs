//! [`GraphClient`] as `wa-domain`'s [`GraphGateway`] port.

use async_trait::async_trait;
use wa_domain::{
    connection::PhoneNumberInfo,
    graph::{GraphError, MarkRead, MediaDownload, MediaInfo, MediaUpload, SendReceipt, Sender},
    ids::MessageId,
    message::OutboundMessage,
    ports::GraphGateway,
};

use crate::client::GraphClient;

#[async_trait]
impl GraphGateway for GraphClient {
    async fn send(
        &self,
        sender: &Sender,
        message: &OutboundMessage,
        callback: MessageId,
    ) -> Result<SendReceipt, GraphError> {
        self.send_message(sender, message, Some(callback)).await
    }

    async fn mark_read(&self, sender: &Sender, read: &MarkRead) -> Result<(), GraphError> {
        GraphClient::mark_read(self, sender, read).await
    }

    async fn phone_number_info(&self, sender: &Sender) -> Result<PhoneNumberInfo, GraphError> {
        GraphClient::phone_number_info(self, sender).await
    }

    async fn upload_media(
        &self,
        sender: &Sender,
        upload: &MediaUpload,
    ) -> Result<String, GraphError> {
        GraphClient::upload_media(self, sender, upload).await
    }

    async fn media_info(&self, sender: &Sender, media_id: &str) -> Result<MediaInfo, GraphError> {
        GraphClient::media_info(self, sender, media_id).await
    }

    async fn download_media(
        &self,
        sender: &Sender,
        media_id: &str,
    ) -> Result<MediaDownload, GraphError> {
        GraphClient::download_media(self, sender, media_id).await
    }

    async fn delete_media(&self, sender: &Sender, media_id: &str) -> Result<(), GraphError> {
        GraphClient::delete_media(self, sender, media_id).await
    }
}
