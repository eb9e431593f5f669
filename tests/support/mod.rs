//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The warcio executable: `CENTINELA_WARCIO`, else the venv `scripts/test` makes, else
/// `PATH`. Without it the check is skipped with a message — unless
/// `CENTINELA_REQUIRE_WARCIO=1` (CI), which makes its absence a failure.
pub fn warcio() -> Option<PathBuf> {
    let found = std::env::var_os("CENTINELA_WARCIO")
        .map(PathBuf::from)
        .or_else(|| {
            Some(PathBuf::from("/var/cache/centinela-venv/bin/warcio")).filter(|p| p.is_file())
        })
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join("warcio"))
                    .find(|p| p.is_file())
            })
        });
    if found.is_none() {
        assert_ne!(
            std::env::var("CENTINELA_REQUIRE_WARCIO").as_deref(),
            Ok("1"),
            "warcio is required (CENTINELA_REQUIRE_WARCIO=1) but was not found"
        );
        eprintln!("warcio not found: skipping the independent WARC check (pip install warcio)");
    }
    found
}

/// Copies a folder tree (the sample sites, to change them in a test).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn chmod_600(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}
