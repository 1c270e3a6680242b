//! A notice's attachments (附件): the documents and pictures a notice carries — a PDF of the
//! policy, a photo of the water-cut map, the vaccination form as Word or WPS — accepted by
//! what their first bytes say they are, not by the name they came with.

use crate::register::labels::labelled;

/// Largest attachment.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Most attachments on one notice.
pub const MAX_PER_NOTICE: usize = 5;

labelled! {
    /// What an attachment is.
    FileKind {
        /// PDF.
        Pdf = "pdf", "PDF 文档";
        /// A JPEG photo.
        Jpeg = "jpeg", "图片";
        /// A PNG picture.
        Png = "png", "图片（PNG）";
        /// Word (docx) or WPS 文字 saved as docx.
        Docx = "docx", "Word 文档";
        /// Excel (xlsx) or WPS 表格 saved as xlsx.
        Xlsx = "xlsx", "Excel 表格";
        /// An older Office or WPS file (doc, xls, wps, et): one compound-file format.
        Legacy = "legacy", "Office/WPS 文档";
    }
}

impl FileKind {
    /// The media type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Legacy => "application/octet-stream",
        }
    }
}

/// What the file is, by its first bytes (a zip is Word or Excel by its name, as the name is
/// all that tells them apart without unpacking); `None` for anything else.
pub fn sniff(bytes: &[u8], name: &str) -> Option<FileKind> {
    let lower = name.to_lowercase();
    if bytes.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileKind::Png)
    } else if bytes.starts_with(b"PK\x03\x04") && lower.ends_with(".docx") {
        Some(FileKind::Docx)
    } else if bytes.starts_with(b"PK\x03\x04") && lower.ends_with(".xlsx") {
        Some(FileKind::Xlsx)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(FileKind::Legacy)
    } else {
        None
    }
}

/// The attachment checked: its kind, or what to tell the person who sent it.
pub fn check(bytes: &[u8], name: &str) -> Result<FileKind, String> {
    if bytes.is_empty() {
        return Err(format!("附件“{name}”是空文件"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(format!("附件“{name}”超过 10 MB，请压缩后再上传"));
    }
    sniff(bytes, name).ok_or_else(|| format!("附件“{name}”不是 PDF、图片、Word、Excel 或 WPS 文件"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_known_by_their_bytes() {
        assert_eq!(check(b"%PDF-1.7 ...", "通知.pdf"), Ok(FileKind::Pdf));
        assert_eq!(
            check(b"PK\x03\x04....", "接种登记表.docx"),
            Ok(FileKind::Docx)
        );
        assert_eq!(
            check(
                &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0],
                "登记表.wps"
            ),
            Ok(FileKind::Legacy)
        );
        // A name is not enough.
        assert!(
            check(b"MZ\x90\x00", "通知.pdf")
                .unwrap_err()
                .contains("不是 PDF")
        );
        assert!(check(b"", "空.pdf").unwrap_err().contains("空文件"));
    }
}
