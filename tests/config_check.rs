//! An operator edits the configuration and runs `centinela config check` before starting
//! anything: every mistake must come back as one `file:line:column: message` line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

const GOOD_ONION: &str = "fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion";

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn check(config: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_centinela"))
        .args(["--config", config.to_str().unwrap(), "config", "check"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn lexicon() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/peru.toml")).unwrap()
}

#[test]
fn the_shipped_example_configuration_is_valid() {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/centinela.toml");
    let (code, stdout, stderr) = check(&config);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("mercado-andino"), "{stdout}");
}

#[test]
fn three_mistakes_give_three_located_lines_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "peru.toml", &lexicon());
    write(
        dir.path(),
        "centinela.toml",
        "[storage]\ndata_dir = \"data\"\n\n[transport]\nkind = \"arti\"\ntimeout = 30\n",
    );
    write(
        dir.path(),
        "sites/foro.toml",
        &format!("name = \"foro\"\nonion_hosts = [\"{GOOD_ONION}\", \"forum.example.com\"]\n"),
    );
    let typo = GOOD_ONION.replacen('m', "n", 1);
    write(
        dir.path(),
        "sites/tienda.toml",
        &format!("name = \"tienda\"\nonion_hosts = [\n  \"{typo}\",\n]\n"),
    );
    let (code, _stdout, stderr) = check(&dir.path().join("centinela.toml"));
    assert_eq!(code, 2, "{stderr}");
    let located: Vec<&str> = stderr.lines().filter(|l| l.contains(".toml:")).collect();
    assert_eq!(located.len(), 3, "{stderr}");
    assert!(
        located[0].contains("centinela.toml:6:1: unknown field `timeout`, expected one of `kind`"),
        "{stderr}"
    );
    assert!(
        located[1].contains("sites/foro.toml:2:") && located[1].contains("clearnet host"),
        "{stderr}"
    );
    assert!(
        located[2].contains("sites/tienda.toml:3:3:") && located[2].contains("checksum"),
        "{stderr}"
    );
}

#[test]
fn wrong_types_unreadable_secrets_and_bad_lexicon_entries_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "peru.toml",
        "[[signal]]\nname = \"ships_to_peru\"\nweight = 1.5\nphrases = [\"ships to peru\"]\n",
    );
    write(
        dir.path(),
        "centinela.toml",
        "[smtp]\nhost = \"mail.example\"\nport = \"587\"\nfrom = \"a@b\"\npassword_file = \"missing-secret\"\n",
    );
    write(
        dir.path(),
        "sites/mercado.toml",
        &format!(
            "name = \"mercado\"\nonion_hosts = [\"{GOOD_ONION}\"]\n[limits]\nconcurrency = 99\n"
        ),
    );
    let (code, _stdout, stderr) = check(&dir.path().join("centinela.toml"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("centinela.toml:3:8: invalid type: string \"587\", expected u16"),
        "{stderr}"
    );
    assert!(
        stderr.contains("peru.toml:3:10: weight 1.5 is outside 0..1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("mercado.toml:4:15: limits.concurrency 99"),
        "{stderr}"
    );
    // The secret file is checked once the types are right.
    write(
        dir.path(),
        "centinela.toml",
        "[smtp]\nhost = \"mail.example\"\nport = 587\nfrom = \"a@b\"\npassword_file = \"missing-secret\"\n",
    );
    let (_, _, stderr) = check(&dir.path().join("centinela.toml"));
    assert!(
        stderr.contains("centinela.toml:5:17: secret file"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("mail.example\"\n"),
        "no secret or config value is echoed: {stderr}"
    );
}

#[test]
fn test_only_transport_settings_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "peru.toml", &lexicon());
    write(
        dir.path(),
        "centinela.toml",
        &format!("[storage]\ndata_dir = \"data\"\n\n[transport]\nkind = \"direct\"\n\n[transport.loopback_hosts]\n\"{GOOD_ONION}\" = 8080\n"),
    );
    write(
        dir.path(),
        "sites/mercado.toml",
        &format!("name = \"mercado\"\nonion_hosts = [\"{GOOD_ONION}\"]\n"),
    );
    let (code, stdout, stderr) = check(&dir.path().join("centinela.toml"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("centinela.toml:4:1: warning: TEST-ONLY settings are on"),
        "{stdout}"
    );
    // A Tor SOCKS port off this machine would send traffic elsewhere: refused, located.
    write(
        dir.path(),
        "centinela.toml",
        "[transport]\nkind = \"socks5\"\nsocks5_addr = \"192.0.2.1:9050\"\n",
    );
    let (code, _, stderr) = check(&dir.path().join("centinela.toml"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("centinela.toml:1:1: [transport]"),
        "{stderr}"
    );
}

#[test]
fn schedule_and_daemon_mistakes_point_at_the_faulty_character() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "peru.toml", &lexicon());
    write(
        dir.path(),
        "centinela.toml",
        "[storage]\ndata_dir = \"data\"\n\n[daemon]\nlisten = \"0.0.0.0:9477\"\nmax_connections = 0\n",
    );
    write(
        dir.path(),
        "sites/foro.toml",
        &format!("name = \"foro\"\nonion_hosts = [\"{GOOD_ONION}\"]\n\n[schedule]\ncron = \"0 25 * * *\"\n"),
    );
    write(
        dir.path(),
        "sites/tienda.toml",
        &format!(
            "name = \"tienda\"\nonion_hosts = [\"{GOOD_ONION}\"]\n\n[schedule]\nevery = \"6 hours\"\njitter = \"5m\"\n"
        ),
    );
    write(
        dir.path(),
        "sites/mercado.toml",
        &format!("name = \"mercado\"\nonion_hosts = [\"{GOOD_ONION}\"]\n\n[schedule]\nevery = \"1h\"\ncron = \"@daily\"\n"),
    );
    let (code, _stdout, stderr) = check(&dir.path().join("centinela.toml"));
    assert_eq!(code, 2, "{stderr}");
    let has = |needle: &str| stderr.lines().any(|l| l.contains(needle));
    assert!(
        has("centinela.toml:5:10: daemon.listen 0.0.0.0:9477 is not a loopback address"),
        "{stderr}"
    );
    assert!(
        has("centinela.toml:6:19: daemon.max_connections 0"),
        "{stderr}"
    );
    // The hour field "25" starts at column 11 of the line `cron = "0 25 * * *"`.
    assert!(
        has("sites/foro.toml:5:11: schedule.cron: hour: 25 is outside 0–23"),
        "{stderr}"
    );
    assert!(
        has("sites/tienda.toml:5:9: schedule.every: \"6 hours\" is not a duration"),
        "{stderr}"
    );
    assert!(
        has("sites/mercado.toml:5:9: [schedule] takes `every` or `cron`, not both"),
        "{stderr}"
    );
}
