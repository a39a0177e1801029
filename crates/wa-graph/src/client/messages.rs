//! Sending messages and marking them read: `POST /{phone_number_id}/messages`.

use wa_domain::{
    graph::{GraphError, MarkRead, SendReceipt, Sender},
    ids::{Bsuid, MessageId, WaMessageId},
    message::OutboundMessage,
};

use crate::{
    client::{GraphClient, errors},
    convert::outbound::{callback_data, send_body},
    wire::{
        json::Str,
        response::SendResponse,
        send::{MarkReadBody, TypingIndicator},
    },
};

impl GraphClient {
    /// Sends a message; `callback` (our id of the message) goes to Meta as
    /// `biz_opaque_callback_data`, so its statuses can be matched before the wamid is stored.
    ///
    /// # Errors
    /// A classified [`GraphError`]; a 2xx answer without a wamid is `Permanent` (see
    /// [`errors`](crate::client) for why).
    pub async fn send_message(
        &self,
        sender: &Sender,
        message: &OutboundMessage,
        callback: Option<MessageId>,
    ) -> Result<SendReceipt, GraphError> {
        // Built in a block so that nothing but reqwest's pending request lives across the
        // await (see `GraphClient::execute`).
        let sending = {
            let mut buffer = [0; 36];
            let callback = callback.map(|id| callback_data(id, &mut buffer));
            let body = send_body(message, callback)?;
            let url = self.url(
                &[sender.phone_number_id.as_str(), "messages"],
                &sender.token,
            );
            self.execute(
                self.json_request_with(url, &sender.token, |bytes| body.write_json(bytes))?,
            )
        };
        let (status, bytes) = sending.await?;
        receipt(status, &bytes)
    }

    /// Marks a customer's message (and the ones before it) read, optionally showing "typing…".
    ///
    /// # Errors
    /// A classified [`GraphError`] (`131009` for an unknown or too old message).
    pub async fn mark_read(&self, sender: &Sender, read: &MarkRead) -> Result<(), GraphError> {
        let body = MarkReadBody {
            messaging_product: "whatsapp",
            status: "read",
            message_id: read.message_id.as_str(),
            typing_indicator: read
                .typing_indicator
                .then_some(TypingIndicator { kind: "text" }),
        };
        let url = self.url(
            &[sender.phone_number_id.as_str(), "messages"],
            &sender.token,
        );
        let request = self.json_request(url, &sender.token, &body)?;
        self.execute_success(request).await
    }
}

/// Reads the send response: the wamid is required, the rest is kept when present.
fn receipt(status: u16, body: &[u8]) -> Result<SendReceipt, GraphError> {
    const EXPECTED: &str = "a send response with messages[0].id";
    let response = serde_json::from_slice::<SendResponse<'_>>(body)
        .map_err(|_| errors::unexpected_body(status, EXPECTED))?;
    let message = response
        .messages
        .into_iter()
        .next()
        .ok_or_else(|| errors::unexpected_body(status, EXPECTED))?;
    let wamid = message
        .id
        .and_then(|id| WaMessageId::parse(id.into_string()).ok())
        .ok_or_else(|| errors::unexpected_body(status, EXPECTED))?;
    let contact = response.contacts.into_iter().next();
    let (wa_id, user_id) = match contact {
        Some(contact) => (
            contact.wa_id.map(Str::into_string),
            contact
                .user_id
                .and_then(|id| Bsuid::parse(id.into_string()).ok()),
        ),
        None => (None, None),
    };
    Ok(SendReceipt {
        wamid,
        wa_id,
        user_id,
        message_status: message.message_status.map(Str::into_string),
    })
}
