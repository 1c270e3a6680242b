//! The staff register's cells as people fill them in.

/// 党员 as a sheet writes it: 是/否, or a 政治面貌 (中共党员, 预备党员 count; 群众, 共青团员 …
/// do not). `None`: not understood.
pub fn party_member(text: &str) -> Option<bool> {
    match text.trim() {
        "" | "否" | "不是" | "非党员" | "群众" | "共青团员" | "团员" | "民主党派"
        | "无党派人士" => Some(false),
        "是" | "党员" | "中共党员" | "中共预备党员" | "预备党员" => Some(true),
        _ => None,
    }
}

/// Whether a cell says its owner agreed (公开电话 and the like): blank is no.
pub fn agreed(text: &str) -> Option<bool> {
    match text.trim() {
        "" | "否" | "不" | "不同意" | "不公开" => Some(false),
        "是" | "同意" | "公开" | "可公开" => Some(true),
        _ => None,
    }
}

/// The grid codes in a cell: one or several, separated by commas (either width), 、,
/// semicolons or spaces.
pub fn grid_codes(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ';', '；', ' ', '\n'])
        .map(|c| crate::personal::plain_number(c.trim()))
        .filter(|c| !c.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_read_as_written() {
        assert_eq!(party_member("中共党员"), Some(true));
        assert_eq!(party_member("群众"), Some(false));
        assert_eq!(party_member(""), Some(false));
        assert_eq!(party_member("也许"), None);
        assert_eq!(
            grid_codes("450802001001001、４５０８０２００１００１００２; 450802001001003"),
            ["450802001001001", "450802001001002", "450802001001003"]
        );
    }
}
