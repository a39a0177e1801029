//! An upload session of the resumable upload API, kept in the shared state (the endpoints are in
//! `upload`).

use std::collections::HashMap;

/// One upload in progress.
#[derive(Debug, Clone)]
pub(crate) struct UploadSession {
    pub(crate) length: u64,
    pub(crate) file_type: String,
    pub(crate) received: Vec<u8>,
}

/// Sessions by id (`upload:…`).
pub(crate) type Sessions = HashMap<String, UploadSession>;
