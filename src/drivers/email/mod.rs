//! The email driver: compose (`OutgoingEmail`, `build_*`), then send through
//! the transport `TIDINGS_MAIL_URL` names (`Mailer`). Addresses appear in
//! logs and attempt details only masked.
mod address;
mod compose;
mod mail_url;
mod mailer;
mod mailto;
mod outgoing;
mod sendmail;
mod smtp_pool;

pub use address::{mask_address, mask_addresses_in};
pub use compose::{
    build_alert, build_confirmation, build_notification, build_unsubscribed, recipients,
    AlertRequest, ConfirmationRequest, NotificationRequest,
};
pub use mail_url::{MailUrl, SmtpSecurity, DEFAULT_SENDMAIL};
pub use mailer::Mailer;
pub use mailto::MailtoError;
pub use outgoing::{ComposeError, OutgoingEmail};
