//! API errors and their Zaqar wire form: `{"title": .., "description": ..}`
//! with `description` omitted when there is none.
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A 4xx with an exact Zaqar title and optional description.
    #[error("{title}: {description:?}")]
    Client {
        status: StatusCode,
        title: &'static str,
        description: Option<String>,
    },
    /// 405 with the methods the resource does allow (falcon adds OPTIONS,
    /// which every resource answers).
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    /// 401: no usable credential; says how to authenticate.
    #[error("unauthorized: {description}")]
    Unauthorized { description: &'static str },
    /// 429: a rate limit was hit; `retry_after` is in whole seconds.
    #[error("too many requests: {description}")]
    TooManyRequests {
        description: &'static str,
        retry_after: u64,
    },
    /// Anything we did not expect: logged with its whole cause chain, answered
    /// with an opaque 500 so internals never leak to clients.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    fn client(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        ApiError::Client {
            status,
            title,
            description: Some(description.into()),
        }
    }

    /// 400 "Invalid API request": a validation failure.
    pub fn invalid(description: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, "Invalid API request", description)
    }

    /// 400 "Invalid request body": unparsable or wrongly typed JSON.
    pub fn bad_body(description: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, "Invalid request body", description)
    }

    /// 400 with a title of its own ("Missing header value", "Invalid parameter", ...).
    pub fn bad_request(title: &'static str, description: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, title, description)
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        Self::client(StatusCode::NOT_FOUND, "Not found", description)
    }

    /// The bare `{"title": "404 Not Found"}` falcon answers for unknown routes
    /// and failed signatures.
    pub fn plain_not_found() -> Self {
        ApiError::Client {
            status: StatusCode::NOT_FOUND,
            title: "404 Not Found",
            description: None,
        }
    }

    pub fn forbidden(title: &'static str, description: impl Into<String>) -> Self {
        Self::client(StatusCode::FORBIDDEN, title, description)
    }

    pub fn conflict(description: impl Into<String>) -> Self {
        Self::client(StatusCode::CONFLICT, "Resource conflict", description)
    }

    /// 415 with falcon's default title, which Zaqar keeps.
    pub fn unsupported_media_type(description: impl Into<String>) -> Self {
        Self::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "415 Unsupported Media Type",
            description,
        )
    }

    pub fn not_acceptable() -> Self {
        Self::client(
            StatusCode::NOT_ACCEPTABLE,
            "Media type not acceptable",
            "Endpoint only serves `application/json`; specify client-side media type support with the \"Accept\" header.",
        )
    }

    pub fn unavailable(description: impl Into<String>) -> Self {
        Self::client(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service temporarily unavailable",
            description,
        )
    }
}

/// Walks the whole `source()` chain so a log line shows why, not just what.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut current = err.source();
    while let Some(cause) = current {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        current = cause.source();
    }
    out
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Client { status, .. } => *status,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Client {
                status,
                title,
                description,
            } => {
                let body = match description {
                    Some(d) => json!({"title": title, "description": d}),
                    None => json!({"title": title}),
                };
                HttpResponse::build(*status).json(body)
            }
            ApiError::MethodNotAllowed { allow } => HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, format!("{allow}, OPTIONS")))
                .json(json!({"title": "405 Method Not Allowed"})),
            ApiError::Unauthorized { description } => HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"tidings\""))
                .json(json!({"title": "Unauthorized", "description": description})),
            ApiError::TooManyRequests {
                description,
                retry_after,
            } => HttpResponse::TooManyRequests()
                .insert_header((header::RETRY_AFTER, retry_after.to_string()))
                .json(json!({"title": "Too many requests", "description": description})),
            ApiError::Unexpected(err) => {
                tracing::error!(error = %format!("{err:#}"), "unexpected error");
                HttpResponse::InternalServerError().json(json!({
                    "title": "Internal server error",
                    "description": "The server could not complete the request. Please try again later."
                }))
            }
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::Unexpected(anyhow::Error::new(err).context("database"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
