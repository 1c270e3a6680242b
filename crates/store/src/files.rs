//! Files the server keeps beside its data — the SQLite database, the key file, uploads waiting
//! to be imported (full ID numbers in them) — are created readable by the server's account
//! only, whatever the umask (a umask can only take permissions away).

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Creates `dir` and any missing parents, owner-only (0700). An existing directory is left as
/// it is.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    let mut b = DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Creates a new file at `path`, owner-only (0600); fails if it exists.
pub fn private_file(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

/// Writes `bytes` to a new owner-only file at `path`.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    private_file(path)?.write_all(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn directories_and_files_are_the_owners_only() {
        let root = std::env::temp_dir().join(format!("shanzhi-files-{}", std::process::id()));
        let dir = root.join("a/b");
        private_dir(&dir).unwrap();
        let file = dir.join("f");
        write_private(&file, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root.join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert!(write_private(&file, b"y").is_err(), "never overwrites");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
