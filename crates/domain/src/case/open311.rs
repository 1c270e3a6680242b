//! How cases appear to Open311 GeoReport v2 clients: which categories are offered as public
//! services, and the open/closed status of a stage.

use super::workflow::Stage;

/// Whether a category is offered to Open311 clients. Disputes (private matters between named
/// people) and public order (反诈、禁毒: police matters) are never listed publicly nor taken from
/// anonymous clients.
pub fn is_public_service(code: &str, dispute: bool) -> bool {
    !dispute && !code.starts_with("06")
}

/// The GeoReport status: `open` while anything remains to be done, `closed` once the case is
/// closed, rated, followed up, rejected or merged.
pub fn status(stage: Stage) -> &'static str {
    match stage {
        Stage::Reported
        | Stage::Accepted
        | Stage::Dispatched
        | Stage::InProgress
        | Stage::Handled
        | Stage::Verified => "open",
        Stage::Closed | Stage::Rated | Stage::FollowedUp | Stage::Rejected | Stage::Merged => {
            "closed"
        }
    }
}

/// The stages behind a GeoReport status filter value.
pub fn stages_with_status(status: &str) -> Option<Vec<Stage>> {
    matches!(status, "open" | "closed").then(|| {
        Stage::ALL
            .into_iter()
            .filter(|s| self::status(*s) == status)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_is_open_or_closed_and_filters_partition_them() {
        let open = stages_with_status("open").unwrap_or_default();
        let closed = stages_with_status("closed").unwrap_or_default();
        assert_eq!(open.len() + closed.len(), Stage::ALL.len());
        assert!(open.iter().all(|s| !closed.contains(s)));
        assert!(closed.contains(&Stage::Closed) && open.contains(&Stage::Handled));
        assert_eq!(stages_with_status("pending"), None);
    }

    #[test]
    fn private_matters_are_not_public_services() {
        assert!(is_public_service("0201", false));
        assert!(!is_public_service("0101", true));
        assert!(!is_public_service("0601", false));
    }
}
