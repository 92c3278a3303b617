//! The one wire error of Refine: `{code, message, details?}`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// Small error-code enum; clients branch on the code, never on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    NotFound,
    Conflict,
    // A precondition of the request does not hold (no app selected, Idempotency-Key reused): 422.
    PreconditionFailed,
    // The client's version of a resource is out of date (a file's `etag` no longer matches):
    // nothing was written; `details` carries the current version: 412.
    Stale,
    Forbidden,
    Unauthorized,
    PayloadTooLarge,
    // The request (its body) did not arrive in time: retry: 408.
    RequestTimeout,
    UnsupportedMediaType,
    TooManyRequests,
    InsufficientStorage,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// The HTTP status a code maps to.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidInput => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::PreconditionFailed => 422,
            ErrorCode::Stale => 412,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
            ErrorCode::InsufficientStorage => 507,
        }
    }

    /// The exit code of the CLI for this error (stable, documented in the README).
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorCode::InvalidInput => 2,
            ErrorCode::NotFound => 3,
            ErrorCode::Conflict => 4,
            ErrorCode::PreconditionFailed | ErrorCode::Stale => 5,
            ErrorCode::Unauthorized | ErrorCode::Forbidden => 6,
            ErrorCode::PayloadTooLarge | ErrorCode::UnsupportedMediaType => 2,
            ErrorCode::TooManyRequests
            | ErrorCode::RequestTimeout
            | ErrorCode::Unavailable
            | ErrorCode::InsufficientStorage => 7,
            ErrorCode::Internal => 10,
        }
    }

    pub fn from_http_status(status: u16) -> ErrorCode {
        match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            409 => ErrorCode::Conflict,
            408 => ErrorCode::RequestTimeout,
            413 => ErrorCode::PayloadTooLarge,
            412 => ErrorCode::Stale,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::PreconditionFailed,
            429 => ErrorCode::TooManyRequests,
            503 => ErrorCode::Unavailable,
            507 => ErrorCode::InsufficientStorage,
            400..=499 => ErrorCode::InvalidInput,
            _ => ErrorCode::Internal,
        }
    }
}

/// The error body sent on every surface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[specta(type = Option<specta_typescript::Unknown>)]
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: None,
        }
    }
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    pub fn precondition(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PreconditionFailed, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Unauthorized, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    pub fn stale(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Stale, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PayloadTooLarge, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }
    /// An internal error: the detail is for logs only; the wire gets a generic message.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
    pub fn status(&self) -> u16 {
        self.code.http_status()
    }
}
