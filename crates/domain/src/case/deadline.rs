//! Deadline lights: green while time remains, yellow once 75% of the allowed time is used,
//! red when overdue. Times are milliseconds since the epoch.

use super::workflow::Stage;

/// A deadline light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// Time remains.
    Green,
    /// Due soon: at least 75% of the time is used.
    Yellow,
    /// Overdue.
    Red,
}

impl Light {
    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Light::Green => "正常",
            Light::Yellow => "临期",
            Light::Red => "超期",
        }
    }
}

/// The light for a span from `start` to `due`, at `now`.
pub fn light(start: i64, due: i64, now: i64) -> Light {
    if now > due {
        return Light::Red;
    }
    if due <= start {
        return Light::Yellow;
    }
    let total = due - start;
    // Integer arithmetic: used/total ≥ 3/4.
    if (now - start) * 4 >= total * 3 {
        Light::Yellow
    } else {
        Light::Green
    }
}

/// The light of a case: against the accept deadline while waiting to be accepted, against the
/// handle deadline until handled; none once handled or finished.
pub fn case_light(
    stage: Stage,
    created: i64,
    accept_due: i64,
    handle_due: i64,
    now: i64,
) -> Option<Light> {
    match stage {
        Stage::Reported => Some(light(created, accept_due, now)),
        Stage::Accepted | Stage::Dispatched | Stage::InProgress => {
            Some(light(created, handle_due, now))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lights_turn_at_75_percent_and_at_the_deadline() {
        assert_eq!(light(0, 100, 0), Light::Green);
        assert_eq!(light(0, 100, 74), Light::Green);
        assert_eq!(light(0, 100, 75), Light::Yellow);
        assert_eq!(light(0, 100, 100), Light::Yellow);
        assert_eq!(light(0, 100, 101), Light::Red);
        assert_eq!(
            light(50, 50, 50),
            Light::Yellow,
            "a zero-length span is due at once"
        );
    }

    #[test]
    fn which_deadline_applies() {
        assert_eq!(
            case_light(Stage::Reported, 0, 10, 100, 11),
            Some(Light::Red)
        );
        assert_eq!(
            case_light(Stage::InProgress, 0, 10, 100, 11),
            Some(Light::Green)
        );
        assert_eq!(case_light(Stage::Handled, 0, 10, 100, 1000), None);
        assert_eq!(case_light(Stage::Closed, 0, 10, 100, 1000), None);
    }
}
