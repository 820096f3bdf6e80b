//! Sending e-mail: SMTP in production, `.eml` files in a folder in zero-setup mode.
//!
//! The file mailer names each file after the notification, so a retried send rewrites the same
//! file: exactly one e-mail per notification. SMTP cannot promise that (a crash between the
//! server's 250 and our "sent" mark resends); the notification row keeps it to at most one
//! resend in that case.

use lettre::message::{Mailbox, Message, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;

/// Where e-mails go.
#[derive(Clone)]
pub enum Mailer {
    /// Writes `<dir>/<key>.eml`.
    Files(PathBuf),
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Files(dir) => f.debug_tuple("Files").field(dir).finish(),
            Mailer::Smtp { .. } => f.write_str("Smtp"),
        }
    }
}

/// A message ready to send.
#[derive(Debug, Clone)]
pub struct Email {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mailer {
    /// Sends `email`; `key` names the file in file mode (one file per key).
    pub async fn send(&self, key: &str, email: &Email) -> Result<(), String> {
        let parse = |a: &str, what: &str| a.parse::<Mailbox>().map_err(|e| format!("invalid {what} address: {e}"));
        let message = Message::builder()
            .from(parse(&email.from, "sender")?)
            .to(parse(&email.to, "recipient")?)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| format!("building the e-mail: {e}"))?;
        match self {
            Mailer::Files(dir) => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| format!("creating {}: {e}", dir.display()))?;
                let tmp = dir.join(format!(".{key}.eml.tmp"));
                tokio::fs::write(&tmp, message.formatted()).await.map_err(|e| format!("writing the e-mail: {e}"))?;
                tokio::fs::rename(&tmp, dir.join(format!("{key}.eml")))
                    .await
                    .map_err(|e| format!("writing the e-mail: {e}"))
            }
            Mailer::Smtp { transport } => transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}")),
        }
    }
}
