//! Plain domain types of Refine and the pure rules over them. No I/O lives here.

pub mod activity;
pub mod agents;
pub mod app;
pub mod cache;
pub mod chat;
pub mod diagnostics;
pub mod error;
pub mod event;
pub mod files;
pub mod governance;
pub mod operation;
pub mod performance;
pub mod process;
pub mod quality;
pub mod redact;
pub mod review;
pub mod session;
pub mod settings;
pub mod system;
pub mod terminal;
pub mod transcript;
pub mod upgrade;
pub mod webhooks;
pub mod work;
pub mod workflow;

pub use activity::{Activity, Surface};
pub use app::{App, AppShape, LanguageCount, SuggestedCommands};
pub use error::{ApiError, ErrorCode};
pub use event::Event;
pub use operation::{OperationReceipt, OperationStatus};
pub use settings::{Settings, SettingsLayer, SettingsScope};

/// The version of the wire contract; bumped when an operation changes incompatibly.
pub const API_VERSION: &str = "2.0";
