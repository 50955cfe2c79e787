//! The data directory holds what no other local user may read: the SQLite
//! database (password hashes), the development signing secret and the mail
//! log (codes). The process creates every file owner-only from its first
//! byte ([`private_by_default`]), and the directory is 0700 with every file
//! in it 0600 ([`prepare`]), also when an older authd left them readable.

use std::path::Path;

use anyhow::Context;

/// Owner-only permissions for every file and directory the process creates
/// from now on (umask 077): SQLite's database, `-wal` and `-shm`, the secret
/// and the mail log are never readable by others, not even for a moment.
pub fn private_by_default() {
    #[cfg(unix)]
    // SAFETY: umask only swaps the process's file mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `dir` as 0700 if it is missing; otherwise takes away whatever
/// others may do in it and with the files directly in it (0700, 0600),
/// logging each change (files authd wrote become 0600). A directory authd does not own (a volume mounted
/// read-only for others, say) keeps its mode, with a warning.
pub fn prepare(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("cannot create data dir {}", dir.display()))?;
    #[cfg(unix)]
    {
        restrict(dir);
        let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read data dir {}", dir.display()))?;
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                restrict(&entry.path());
            }
        }
    }
    Ok(())
}

/// Clears the group and other bits of `path`'s mode; the owner keeps its own.
#[cfg(unix)]
fn restrict(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else { return };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 == 0 {
        return;
    }
    let tightened = mode & !0o077;
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(tightened)) {
        Ok(()) => tracing::warn!(
            path = %path.display(),
            from = format!("{mode:o}"),
            to = format!("{tightened:o}"),
            "others could read this; now only authd's user can"
        ),
        Err(e) => tracing::warn!(path = %path.display(), error = %e, "others can read this and authd cannot change it"),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_data_dir_left_readable_by_an_older_version_is_made_owner_only_with_its_files() {
        let dir = std::env::temp_dir().join(format!("authd-data-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        for (name, was) in [("authd.db", 0o644), ("authd.db-wal", 0o664), ("mail.log", 0o600), ("run.sh", 0o755)] {
            std::fs::write(dir.join(name), b"x").unwrap();
            std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(was)).unwrap();
        }
        prepare(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        for name in ["authd.db", "authd.db-wal", "mail.log"] {
            assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
        }
        assert_eq!(mode(&dir.join("run.sh")), 0o700, "the owner keeps what it had");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
