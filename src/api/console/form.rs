//! A posted console form: urlencoded pairs, read with a size cap.
use actix_web::{web, HttpRequest};

use crate::api::body;
use crate::error::ApiError;

/// Console forms are small; a message body pasted into the routes page is
/// the largest.
const MAX_FORM_BODY: usize = 256 * 1024;

pub struct Form(Vec<(String, String)>);

impl Form {
    /// None when the body is too large.
    pub async fn read(req: &HttpRequest, payload: web::Payload) -> Option<Form> {
        let bytes = body::read(req, payload, MAX_FORM_BODY, || {
            ApiError::bad_body("too large")
        })
        .await
        .ok()?;
        Some(Form(
            url::form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    /// The first value of `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
