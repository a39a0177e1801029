//! Media: upload (multipart), lookup, download and delete (cloud-api.md §7).

use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use wa_domain::{
    error_class::ErrorClass,
    graph::{GraphError, MediaDownload, MediaInfo, MediaUpload, Sender},
};

use crate::{
    client::{GraphClient, errors},
    wire::{
        json::Str,
        response::{Created, MediaInfoResponse},
    },
};

impl GraphClient {
    /// Uploads a file for the business number; the returned id can be sent for 30 days.
    ///
    /// # Errors
    /// A classified [`GraphError`]; an invalid MIME type is `Permanent`.
    pub async fn upload_media(
        &self,
        sender: &Sender,
        upload: &MediaUpload,
    ) -> Result<String, GraphError> {
        let part = Part::bytes(upload.bytes.clone())
            .file_name(upload.filename.clone())
            .mime_str(&upload.mime_type)
            .map_err(|_| {
                GraphError::transport(ErrorClass::Permanent, "the MIME type is not valid", None)
            })?;
        let form = Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", upload.mime_type.clone())
            .part("file", part);
        let url = self.url_with(
            &[sender.phone_number_id.as_str(), "media"],
            &[],
            Some(&sender.token),
        )?;
        let request = self
            .request(Method::POST, url, &sender.token)
            .timeout(self.inner.timeouts.media)
            .multipart(form);
        let (status, body) = self.execute(request).await?;
        serde_json::from_slice::<Created<'_>>(&body)
            .ok()
            .and_then(|created| created.id)
            .map(Str::into_string)
            .ok_or_else(|| errors::unexpected_body(status, "{\"id\": <media id>}"))
    }

    /// Looks a media id up: its download URL (valid 5 minutes), type, hash and size.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    pub async fn media_info(
        &self,
        sender: &Sender,
        media_id: &str,
    ) -> Result<MediaInfo, GraphError> {
        let url = self.url_with(
            &[media_id],
            &[("phone_number_id", sender.phone_number_id.as_str())],
            Some(&sender.token),
        )?;
        let (status, body) = self
            .execute(self.request(Method::GET, url, &sender.token))
            .await?;
        let info = serde_json::from_slice::<MediaInfoResponse<'_>>(&body)
            .map_err(|_| errors::unexpected_body(status, "media details"))?;
        let url = info
            .url
            .map(Str::into_string)
            .ok_or_else(|| errors::unexpected_body(status, "media details with a url"))?;
        Ok(MediaInfo {
            id: info
                .id
                .map_or_else(|| media_id.to_owned(), Str::into_string),
            url,
            mime_type: info.mime_type.map(Str::into_string),
            sha256: info.sha256.map(Str::into_string),
            file_size: info.file_size.and_then(|size| u64::try_from(size.0).ok()),
        })
    }

    /// Downloads a media file: looks up its URL, then fetches it with the bearer token. Meta's
    /// URLs expire after 5 minutes, so a 404 gets one fresh lookup and one more try.
    ///
    /// # Errors
    /// A classified [`GraphError`]; a file still missing after the fresh lookup is `Permanent`,
    /// a URL pointing outside Meta's media hosts is `Permanent` (the token is not sent there),
    /// a file over the configured size limit is `Permanent`.
    pub async fn download_media(
        &self,
        sender: &Sender,
        media_id: &str,
    ) -> Result<MediaDownload, GraphError> {
        let info = self.media_info(sender, media_id).await?;
        match self.fetch_media(sender, &info.url).await? {
            Fetched::File(download) => Ok(download),
            Fetched::NotFound => {
                let fresh = self.media_info(sender, media_id).await?;
                match self.fetch_media(sender, &fresh.url).await? {
                    Fetched::File(download) => Ok(download),
                    Fetched::NotFound => Err(GraphError::transport(
                        ErrorClass::Permanent,
                        "the media file was not found, even at a freshly looked-up URL",
                        Some(404),
                    )),
                }
            }
        }
    }

    /// Deletes an uploaded media file.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    pub async fn delete_media(&self, sender: &Sender, media_id: &str) -> Result<(), GraphError> {
        let url = self.url_with(
            &[media_id],
            &[("phone_number_id", sender.phone_number_id.as_str())],
            Some(&sender.token),
        )?;
        self.execute_success(self.request(Method::DELETE, url, &sender.token))
            .await
    }

    /// Whether the bearer token may be sent to `url`: the base URL's own origin (a simulator or
    /// a test server), or HTTPS on one of the configured media hosts.
    fn media_url_allowed(&self, url: &url::Url) -> bool {
        if url.origin() == self.inner.origin {
            return true;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        url.scheme() == "https"
            && self.inner.media_hosts.iter().any(|allowed| {
                host == allowed
                    || host
                        .strip_suffix(allowed.as_str())
                        .is_some_and(|prefix| prefix.ends_with('.'))
            })
    }

    async fn fetch_media(&self, sender: &Sender, url: &str) -> Result<Fetched, GraphError> {
        let url = url::Url::parse(url)
            .ok()
            .filter(|url| self.media_url_allowed(url))
            .ok_or_else(|| {
                GraphError::transport(
                    ErrorClass::Permanent,
                    "the media URL is not on one of Meta's media hosts",
                    None,
                )
            })?;
        let mut response = self
            .request(Method::GET, url, &sender.token)
            .timeout(self.inner.timeouts.media)
            .send()
            .await
            .map_err(errors::transport)?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(Fetched::NotFound);
        }
        let limit = self.inner.max_media_bytes;
        let too_large = || {
            GraphError::transport(
                ErrorClass::Permanent,
                format!("the media file is over the {limit}-byte limit"),
                Some(status.as_u16()),
            )
        };
        if !status.is_success() {
            let body = response.bytes().await.map_err(errors::transport)?;
            return Err(errors::from_response(status.as_u16(), &body));
        }
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let mime_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let mut bytes = Vec::with_capacity(
            response
                .content_length()
                .map_or(0, |length| length as usize),
        );
        while let Some(chunk) = response.chunk().await.map_err(errors::transport)? {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::File(MediaDownload { bytes, mime_type }))
    }
}

enum Fetched {
    File(MediaDownload),
    NotFound,
}
