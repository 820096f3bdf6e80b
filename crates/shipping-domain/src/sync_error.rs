//! Why creating the Shiprocket order failed, as a class stored beside Shiprocket's own message
//! (`shipments.sync_error_class`): the page tells the operator what to do from the class, never
//! from the message's words.

use serde::{Deserialize, Serialize};

/// The class of a failed sync. Stored by [`SyncErrorClass::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncErrorClass {
    /// The order failed our own checks before anything was sent (its draft cannot be built).
    InvalidOrder,
    /// Shiprocket refused the order's details (a validation answer, usually naming fields).
    Refused,
    /// Shiprocket refused only the pickup location we sent: our settings, not the order.
    PickupLocation,
    /// No courier serves the lane.
    NotServiceable,
    /// Shiprocket refused our login.
    Auth,
    /// Shiprocket asked us to slow down.
    RateLimited,
    /// No usable answer: a network failure, a timeout or a server error.
    Unreachable,
    /// Anything else (something the order refers to was not found, an unreadable answer).
    Other,
}

impl SyncErrorClass {
    pub const ALL: [SyncErrorClass; 8] = [
        SyncErrorClass::InvalidOrder,
        SyncErrorClass::Refused,
        SyncErrorClass::PickupLocation,
        SyncErrorClass::NotServiceable,
        SyncErrorClass::Auth,
        SyncErrorClass::RateLimited,
        SyncErrorClass::Unreachable,
        SyncErrorClass::Other,
    ];

    /// Stable snake_case code, for storage and the API.
    pub fn code(self) -> &'static str {
        match self {
            SyncErrorClass::InvalidOrder => "invalid_order",
            SyncErrorClass::Refused => "refused",
            SyncErrorClass::PickupLocation => "pickup_location",
            SyncErrorClass::NotServiceable => "not_serviceable",
            SyncErrorClass::Auth => "auth",
            SyncErrorClass::RateLimited => "rate_limited",
            SyncErrorClass::Unreachable => "unreachable",
            SyncErrorClass::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<SyncErrorClass> {
        SyncErrorClass::ALL.into_iter().find(|c| c.code() == code)
    }

    /// What happened and what to do, in one sentence for the operator (Shiprocket's own
    /// message is shown below it).
    pub fn explanation(self) -> &'static str {
        match self {
            SyncErrorClass::InvalidOrder => {
                "The order's details are not valid (see below). Correct them in the form below; the sync starts again by itself."
            }
            SyncErrorClass::Refused => {
                "Shiprocket refused the order's details (see below). Correct them in the form below; the sync starts again by itself."
            }
            SyncErrorClass::PickupLocation => {
                "Shiprocket does not know the pickup location in our settings. Correct its name there; the failed-sync retry sends the order again."
            }
            SyncErrorClass::NotServiceable => "No courier delivers to this address's pincode from our pickup location.",
            SyncErrorClass::Auth => {
                "Shiprocket refused our login. Check the API user's e-mail and password in the settings."
            }
            SyncErrorClass::RateLimited => "Shiprocket asked us to slow down. It is retried automatically.",
            SyncErrorClass::Unreachable => {
                "Shiprocket could not be reached. It is retried automatically; you can also sync again."
            }
            SyncErrorClass::Other => "The order could not be created in Shiprocket.",
        }
    }

    /// The class of a validation refusal from the fields Shiprocket named: only the pickup
    /// location is a matter of our settings; any other field (or none) is the order's.
    pub fn of_refused_fields<'a>(fields: impl IntoIterator<Item = &'a str>) -> SyncErrorClass {
        let mut fields = fields.into_iter().peekable();
        if fields.peek().is_some() && fields.all(|f| f == "pickup_location") {
            SyncErrorClass::PickupLocation
        } else {
            SyncErrorClass::Refused
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_every_class_explains_itself() {
        for c in SyncErrorClass::ALL {
            assert_eq!(SyncErrorClass::from_code(c.code()), Some(c));
            assert!(c.explanation().ends_with('.'), "{c:?}");
        }
        assert_eq!(SyncErrorClass::from_code("bored"), None);
    }

    #[test]
    fn only_a_refused_pickup_location_alone_is_a_settings_matter() {
        assert_eq!(SyncErrorClass::of_refused_fields(["pickup_location"]), SyncErrorClass::PickupLocation);
        assert_eq!(SyncErrorClass::of_refused_fields(["pickup_location", "order_id"]), SyncErrorClass::Refused);
        assert_eq!(SyncErrorClass::of_refused_fields(["billing_phone"]), SyncErrorClass::Refused);
        assert_eq!(SyncErrorClass::of_refused_fields([]), SyncErrorClass::Refused);
    }
}
