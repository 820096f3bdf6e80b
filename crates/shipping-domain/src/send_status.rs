//! Where something we send once on a shipment's behalf stands: a notification (an e-mail) or an
//! NDR decision (to Shiprocket). Stored as the row's `status`.

use serde::{Deserialize, Serialize};

/// The status of a notification or an NDR action. Stored by [`SendStatus::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendStatus {
    /// Recorded, its job promised, not sent yet.
    Pending,
    /// Sent: a retried job does nothing.
    Sent,
    /// Given up for good, with the reason stored beside it.
    Failed,
}

impl SendStatus {
    pub const ALL: [SendStatus; 3] = [SendStatus::Pending, SendStatus::Sent, SendStatus::Failed];

    pub fn name(self) -> &'static str {
        match self {
            SendStatus::Pending => "pending",
            SendStatus::Sent => "sent",
            SendStatus::Failed => "failed",
        }
    }

    pub fn from_name(name: &str) -> Option<SendStatus> {
        SendStatus::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The status after a send: sent, or failed when it ended with an error.
    pub fn after_send(error: Option<&str>) -> SendStatus {
        if error.is_some() { SendStatus::Failed } else { SendStatus::Sent }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in SendStatus::ALL {
            assert_eq!(SendStatus::from_name(s.name()), Some(s));
        }
        assert_eq!(SendStatus::from_name("lost"), None);
        assert_eq!(SendStatus::after_send(None), SendStatus::Sent);
        assert_eq!(SendStatus::after_send(Some("550 no such user")), SendStatus::Failed);
    }
}
