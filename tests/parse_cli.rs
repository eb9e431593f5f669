//! An investigator adds a market no template knows: writes its `[parser]` section (the
//! README's worked example), checks it, and develops it against a saved page with
//! `centinela parse` until the listings come out right.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const HOST: &str = "yu3jf6obdagopgqshta7oszvws2b7bwcpliojeli7thwj4hqmo6q3zid.onion";

fn centinela(config: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_centinela"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A configuration folder with the worked example's site file, as the README says.
fn config_with_site(site_toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sites")).unwrap();
    std::fs::copy(
        Path::new(ROOT).join("config/peru.toml"),
        dir.path().join("peru.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("centinela.toml"),
        "[storage]\ndata_dir = \"data\"\n",
    )
    .unwrap();
    let site = site_toml.replace(
        "name = \"mercado-pacifico\"",
        &format!("name = \"mercado-pacifico\"\nonion_hosts = [\"{HOST}\"]"),
    );
    std::fs::write(dir.path().join("sites/mercado-pacifico.toml"), site).unwrap();
    dir
}

#[test]
fn the_worked_example_yields_its_listings_through_the_cli() {
    let site = std::fs::read_to_string(
        Path::new(ROOT).join("samples/worked-example/mercado-pacifico.toml"),
    )
    .unwrap();
    let dir = config_with_site(&site);
    let config = dir.path().join("centinela.toml");
    let (code, stdout, stderr) = centinela(&config, &["config", "check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("its own [parser] section"), "{stdout}");

    let page = Path::new(ROOT).join("samples/worked-example/tienda/cocaina.html");
    let url = format!("http://{HOST}/tienda/cocaina.html");
    let (code, stdout, stderr) = centinela(
        &config,
        &[
            "parse",
            "--site",
            "mercado-pacifico",
            "--url",
            &url,
            page.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let parsed: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(parsed["parser"], "site:mercado-pacifico");
    assert_eq!(parsed["page_type"], "listing_index");
    let first = &parsed["listings"][0];
    assert_eq!(first["title"], "Perica boliviana 10 g");
    assert_eq!(first["price"]["shown"], "S/ 650,00");
    assert_eq!(first["price"]["amount"], 650.0);
    assert_eq!(first["price"]["currency"], "PEN");
    assert_eq!(first["vendor"], "NevadoSur");
    assert_eq!(first["ships_from"], "Bolivia");
    assert_eq!(first["ships_to"], serde_json::json!(["Perú", "Chile"]));
    assert_eq!(first["peru"]["targets_peru"], true);
    // The same JSON the golden file holds.
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(ROOT).join("samples/worked-example/tienda/cocaina.expected.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(parsed, golden);
}

#[test]
fn parser_section_mistakes_are_located() {
    let site = "name = \"mercado-pacifico\"\n\n[parser]\n[[parser.listing]]\ncontainer = \"ul.ofertas >>> li\"\ntitle = \".nombre\"\nprice = { selector = \".precio\", regex = '([0-9' }\ncolour = \"red\"\n";
    let dir = config_with_site(site);
    let (code, _stdout, stderr) =
        centinela(&dir.path().join("centinela.toml"), &["config", "check"]);
    assert_eq!(code, 2, "{stderr}");
    let located: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("mercado-pacifico.toml:"))
        .collect();
    assert_eq!(located.len(), 3, "{stderr}");
    assert!(
        located
            .iter()
            .any(|l| l.contains(":6:13: invalid CSS selector")),
        "{stderr}"
    );
    assert!(
        located.iter().any(|l| l.contains(":8:41: invalid regex")),
        "{stderr}"
    );
    assert!(
        located
            .iter()
            .any(|l| l.contains(":9:1: unknown field `colour`")),
        "{stderr}"
    );
}

#[test]
fn without_a_site_the_page_picks_its_parser_and_says_which() {
    let config = Path::new(ROOT).join("config/centinela.toml");
    let page = Path::new(ROOT).join("samples/mercado-andino/producto/cocaina-lima.html");
    let (code, stdout, stderr) = centinela(&config, &["parse", page.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("parser: template:mercado-andino"),
        "{stdout}"
    );
    assert!(stdout.contains("Cocaína — envío a Lima"), "{stdout}");
    let gate = Path::new(ROOT).join("samples/mercado-andino/cola.html");
    let (_, stdout, _) = centinela(&config, &["parse", gate.to_str().unwrap()]);
    assert!(
        stdout.contains("page type: ddos_queue") && stdout.contains("a person must pass this page"),
        "{stdout}"
    );
}
