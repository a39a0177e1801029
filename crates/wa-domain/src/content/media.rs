//! Media messages (image, video, audio, document, sticker) and where their file comes from.
//!
//! Meta takes a file either as the id of an upload (`id`) or as a URL it fetches (`link`),
//! exactly one of the two. Meta's reference allows `http` links; we accept only `https`, so
//! a file never travels in clear text and a typo'd scheme is caught before the queue.

use serde::{Deserialize, Serialize};

use crate::validation::{ValidationError, Violation, optional_bounded_text};

/// Meta's limit on a media caption (image, video, document).
pub const MAX_CAPTION: usize = 1024;
/// Longest document file name we accept. Meta documents none; this is the common file-system
/// limit, so a name that no device could save is refused early.
pub const MAX_FILENAME: usize = 255;
/// Longest media id we accept. Meta's ids are numeric strings of about 16 digits.
const MAX_MEDIA_ID: usize = 256;
/// Longest URL we accept: the limit Meta sets on template URL buttons, applied to every link.
const MAX_URL: usize = 2000;

/// The id of a file uploaded to Meta (`POST /{phone_number_id}/media`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaId(String);

impl MediaId {
    /// Checks a media id: printable ASCII without spaces, at most 256 characters.
    ///
    /// # Errors
    /// [`Violation::Empty`], [`Violation::TooLong`] or [`Violation::Format`] on `id`.
    pub fn parse(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::new("id", Violation::Empty));
        }
        let actual = value.chars().count();
        if actual > MAX_MEDIA_ID {
            return Err(ValidationError::new(
                "id",
                Violation::TooLong {
                    max: MAX_MEDIA_ID,
                    actual,
                },
            ));
        }
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValidationError::new(
                "id",
                Violation::Format {
                    expected: "a media id: printable ASCII without spaces",
                },
            ));
        }
        Ok(Self(value))
    }

    /// The id as Meta spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MediaId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<MediaId> for String {
    fn from(value: MediaId) -> Self {
        value.0
    }
}

/// An absolute `https` URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HttpsUrl(String);

impl HttpsUrl {
    /// Checks that a URL is `https://host…`, without whitespace, at most 2000 characters.
    ///
    /// # Errors
    /// [`Violation::Empty`], [`Violation::TooLong`] or [`Violation::Format`] on `url`.
    pub fn parse(value: impl Into<String>) -> Result<Self, ValidationError> {
        const EXPECTED: &str = "an absolute https:// URL without spaces";
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::new("url", Violation::Empty));
        }
        let actual = value.chars().count();
        if actual > MAX_URL {
            return Err(ValidationError::new(
                "url",
                Violation::TooLong {
                    max: MAX_URL,
                    actual,
                },
            ));
        }
        let has_scheme = value
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
        let host = value
            .get(8..)
            .and_then(|rest| rest.split(['/', '?', '#']).next())
            .unwrap_or("");
        let clean = !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if !(has_scheme && clean && !host.is_empty()) {
            return Err(ValidationError::new(
                "url",
                Violation::Format { expected: EXPECTED },
            ));
        }
        Ok(Self(value))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HttpsUrl {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<HttpsUrl> for String {
    fn from(value: HttpsUrl) -> Self {
        value.0
    }
}

/// Where Meta gets a file: an upload's id, or an https link it fetches (and caches 10 minutes).
///
/// Serialised as `{"id": "…"}` or `{"link": "https://…"}`, the way Meta's media object looks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaSource {
    /// An uploaded file.
    Id(MediaId),
    /// A file Meta downloads.
    Link(HttpsUrl),
}

impl MediaSource {
    /// A file uploaded to Meta.
    ///
    /// # Errors
    /// As [`MediaId::parse`], on `id`.
    pub fn id(value: impl Into<String>) -> Result<Self, ValidationError> {
        MediaId::parse(value).map(Self::Id)
    }

    /// A file Meta fetches from an https URL.
    ///
    /// # Errors
    /// As [`HttpsUrl::parse`], reported on `link`.
    pub fn link(value: impl Into<String>) -> Result<Self, ValidationError> {
        HttpsUrl::parse(value)
            .map(Self::Link)
            .map_err(|e| ValidationError::new("link", e.violation().clone()))
    }

    /// Builds a source from Meta's two exclusive fields.
    ///
    /// # Errors
    /// [`Violation::Conflict`] (with an empty field, so the caller's prefix names the object)
    /// unless exactly one is given; else the error of [`Self::id`] or [`Self::link`].
    pub fn from_parts(id: Option<String>, link: Option<String>) -> Result<Self, ValidationError> {
        match (id, link) {
            (Some(id), None) => Self::id(id),
            (None, Some(link)) => Self::link(link),
            _ => Err(ValidationError::new(
                "",
                Violation::Conflict(
                    "exactly one of `id` (an uploaded media id) or `link` (an https URL) is required",
                ),
            )),
        }
    }

    /// The media id, when the file was uploaded.
    pub fn media_id(&self) -> Option<&MediaId> {
        match self {
            Self::Id(id) => Some(id),
            Self::Link(_) => None,
        }
    }

    /// The link, when Meta fetches the file.
    pub fn url(&self) -> Option<&HttpsUrl> {
        match self {
            Self::Link(url) => Some(url),
            Self::Id(_) => None,
        }
    }

    fn id_part(&self) -> Option<String> {
        self.media_id().map(|id| id.as_str().to_owned())
    }

    fn link_part(&self) -> Option<String> {
        self.url().map(|url| url.as_str().to_owned())
    }
}

/// Meta's media object as our canonical JSON: `id` xor `link`, plus the optional text fields.
#[derive(Serialize, Deserialize)]
struct MediaFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filename: Option<String>,
}

impl MediaFields {
    fn new(source: &MediaSource, caption: Option<&str>, filename: Option<&str>) -> Self {
        Self {
            id: source.id_part(),
            link: source.link_part(),
            caption: caption.map(str::to_owned),
            filename: filename.map(str::to_owned),
        }
    }

    /// Rejects a field this media type does not carry, rather than dropping it silently.
    fn refuse(value: Option<&String>, field: &'static str) -> Result<(), ValidationError> {
        match value {
            Some(_) => Err(ValidationError::new(
                field,
                Violation::Conflict("not allowed on this media type"),
            )),
            None => Ok(()),
        }
    }
}

fn check_caption(value: Option<String>) -> Result<Option<String>, ValidationError> {
    optional_bounded_text("caption", value, MAX_CAPTION)
}

/// An image (JPEG or PNG, at most 5 MB), with an optional caption of up to 1024 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MediaFields", into = "MediaFields")]
pub struct Image {
    source: MediaSource,
    caption: Option<String>,
}

impl Image {
    /// Checks the caption.
    ///
    /// # Errors
    /// `image.caption` empty or longer than 1024 characters.
    pub fn new(source: MediaSource, caption: Option<String>) -> Result<Self, ValidationError> {
        let caption = check_caption(caption).map_err(|e| e.within("image"))?;
        Ok(Self { source, caption })
    }

    /// The file.
    pub fn source(&self) -> &MediaSource {
        &self.source
    }

    /// The caption.
    pub fn caption(&self) -> Option<&str> {
        self.caption.as_deref()
    }
}

impl TryFrom<MediaFields> for Image {
    type Error = ValidationError;
    fn try_from(fields: MediaFields) -> Result<Self, Self::Error> {
        MediaFields::refuse(fields.filename.as_ref(), "image.filename")?;
        let source =
            MediaSource::from_parts(fields.id, fields.link).map_err(|e| e.within("image"))?;
        Self::new(source, fields.caption)
    }
}

impl From<Image> for MediaFields {
    fn from(value: Image) -> Self {
        Self::new(&value.source, value.caption.as_deref(), None)
    }
}

/// A video (MP4 or 3GPP, at most 16 MB), with an optional caption of up to 1024 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MediaFields", into = "MediaFields")]
pub struct Video {
    source: MediaSource,
    caption: Option<String>,
}

impl Video {
    /// Checks the caption.
    ///
    /// # Errors
    /// `video.caption` empty or longer than 1024 characters.
    pub fn new(source: MediaSource, caption: Option<String>) -> Result<Self, ValidationError> {
        let caption = check_caption(caption).map_err(|e| e.within("video"))?;
        Ok(Self { source, caption })
    }

    /// The file.
    pub fn source(&self) -> &MediaSource {
        &self.source
    }

    /// The caption.
    pub fn caption(&self) -> Option<&str> {
        self.caption.as_deref()
    }
}

impl TryFrom<MediaFields> for Video {
    type Error = ValidationError;
    fn try_from(fields: MediaFields) -> Result<Self, Self::Error> {
        MediaFields::refuse(fields.filename.as_ref(), "video.filename")?;
        let source =
            MediaSource::from_parts(fields.id, fields.link).map_err(|e| e.within("video"))?;
        Self::new(source, fields.caption)
    }
}

impl From<Video> for MediaFields {
    fn from(value: Video) -> Self {
        Self::new(&value.source, value.caption.as_deref(), None)
    }
}

/// An audio file (AAC, AMR, MP3, M4A or OGG/Opus, at most 16 MB). Meta takes no caption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MediaFields", into = "MediaFields")]
pub struct Audio {
    source: MediaSource,
}

impl Audio {
    /// An audio message from its file.
    pub fn new(source: MediaSource) -> Self {
        Self { source }
    }

    /// The file.
    pub fn source(&self) -> &MediaSource {
        &self.source
    }
}

impl TryFrom<MediaFields> for Audio {
    type Error = ValidationError;
    fn try_from(fields: MediaFields) -> Result<Self, Self::Error> {
        MediaFields::refuse(fields.caption.as_ref(), "audio.caption")?;
        MediaFields::refuse(fields.filename.as_ref(), "audio.filename")?;
        MediaSource::from_parts(fields.id, fields.link)
            .map(Self::new)
            .map_err(|e| e.within("audio"))
    }
}

impl From<Audio> for MediaFields {
    fn from(value: Audio) -> Self {
        Self::new(&value.source, None, None)
    }
}

/// A document (at most 100 MB), with an optional caption and the file name shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MediaFields", into = "MediaFields")]
pub struct Document {
    source: MediaSource,
    caption: Option<String>,
    filename: Option<String>,
}

impl Document {
    /// Checks the caption and the file name.
    ///
    /// # Errors
    /// `document.caption` empty or longer than 1024 characters; `document.filename` empty,
    /// longer than 255 characters, or containing a path separator or control character.
    pub fn new(
        source: MediaSource,
        caption: Option<String>,
        filename: Option<String>,
    ) -> Result<Self, ValidationError> {
        let caption = check_caption(caption).map_err(|e| e.within("document"))?;
        let filename = filename
            .map(|name| check_filename(name).map_err(|e| e.within("document")))
            .transpose()?;
        Ok(Self {
            source,
            caption,
            filename,
        })
    }

    /// The file.
    pub fn source(&self) -> &MediaSource {
        &self.source
    }

    /// The caption.
    pub fn caption(&self) -> Option<&str> {
        self.caption.as_deref()
    }

    /// The file name the user sees.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }
}

/// Checks a document file name: 1 to 255 characters, no path separator, no control character.
pub(super) fn check_filename(name: String) -> Result<String, ValidationError> {
    let name = crate::validation::bounded_text("filename", name, MAX_FILENAME)?;
    if name
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return Err(ValidationError::new(
            "filename",
            Violation::Format {
                expected: "a file name without path separators or control characters",
            },
        ));
    }
    Ok(name)
}

impl TryFrom<MediaFields> for Document {
    type Error = ValidationError;
    fn try_from(fields: MediaFields) -> Result<Self, Self::Error> {
        let source =
            MediaSource::from_parts(fields.id, fields.link).map_err(|e| e.within("document"))?;
        Self::new(source, fields.caption, fields.filename)
    }
}

impl From<Document> for MediaFields {
    fn from(value: Document) -> Self {
        Self::new(
            &value.source,
            value.caption.as_deref(),
            value.filename.as_deref(),
        )
    }
}

/// A WebP sticker (static at most 100 KB, animated at most 500 KB). Meta takes no caption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MediaFields", into = "MediaFields")]
pub struct Sticker {
    source: MediaSource,
}

impl Sticker {
    /// A sticker message from its file.
    pub fn new(source: MediaSource) -> Self {
        Self { source }
    }

    /// The file.
    pub fn source(&self) -> &MediaSource {
        &self.source
    }
}

impl TryFrom<MediaFields> for Sticker {
    type Error = ValidationError;
    fn try_from(fields: MediaFields) -> Result<Self, Self::Error> {
        MediaFields::refuse(fields.caption.as_ref(), "sticker.caption")?;
        MediaFields::refuse(fields.filename.as_ref(), "sticker.filename")?;
        MediaSource::from_parts(fields.id, fields.link)
            .map(Self::new)
            .map_err(|e| e.within("sticker"))
    }
}

impl From<Sticker> for MediaFields {
    fn from(value: Sticker) -> Self {
        Self::new(&value.source, None, None)
    }
}

#[cfg(test)]
mod tests;
