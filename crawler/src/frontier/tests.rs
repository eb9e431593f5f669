#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn db() -> (tempfile::TempDir, sled::Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new()
        .path(dir.path().join("db"))
        .open()
        .unwrap();
    (dir, db)
}

fn fetched(links: &[(&str, LinkPriority)]) -> Completion {
    Completion::Fetched {
        memo: PageMemo {
            status: 200,
            ..Default::default()
        },
        links: links
            .iter()
            .map(|(u, p)| NewLink {
                url: u.to_string(),
                priority: *p,
            })
            .collect(),
    }
}

#[test]
fn listings_are_fetched_before_other_pages() {
    let (_d, db) = db();
    let f = Frontier::open(&db).unwrap();
    f.begin("m", &["http://a/".into()], 1).unwrap();
    let home = f.pop("m").unwrap().unwrap();
    assert_eq!(home.url, "http://a/");
    f.complete(
        "m",
        &home,
        fetched(&[
            ("http://a/rules", LinkPriority::Other),
            ("http://a/cat?page=2", LinkPriority::NextPage),
            ("http://a/item/1", LinkPriority::Record),
            ("http://a/", LinkPriority::Other),
        ]),
        10,
    )
    .unwrap();
    let order: Vec<String> = std::iter::from_fn(|| f.pop("m").unwrap().map(|j| j.url)).collect();
    assert_eq!(
        order,
        ["http://a/item/1", "http://a/cat?page=2", "http://a/rules"],
        "the start page, already fetched in this pass, is not queued again"
    );
}

#[test]
fn in_flight_urls_return_to_the_queue_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let db = sled::Config::new().path(&path).open().unwrap();
        let f = Frontier::open(&db).unwrap();
        f.begin("m", &["http://a/".into()], 1).unwrap();
        let home = f.pop("m").unwrap().unwrap();
        f.complete(
            "m",
            &home,
            fetched(&[
                ("http://a/1", LinkPriority::Record),
                ("http://a/2", LinkPriority::Record),
            ]),
            10,
        )
        .unwrap();
        let one = f.pop("m").unwrap().unwrap();
        assert_eq!(one.url, "http://a/1");
        db.flush().unwrap();
        // The process dies here with /1 in flight.
    }
    let db = sled::Config::new().path(&path).open().unwrap();
    let f = Frontier::open(&db).unwrap();
    let info = f.begin("m", &["http://a/".into()], 2).unwrap();
    assert!(info.resumed, "an unfinished pass is resumed, not restarted");
    let order: Vec<String> = std::iter::from_fn(|| f.pop("m").unwrap().map(|j| j.url)).collect();
    assert_eq!(order, ["http://a/1", "http://a/2"]);
}

#[test]
fn a_new_pass_revisits_linked_pages_once() {
    let (_d, db) = db();
    let f = Frontier::open(&db).unwrap();
    for pass in 1..=2 {
        let info = f.begin("m", &["http://a/".into()], pass).unwrap();
        assert_eq!(info.pass, pass as u32);
        let mut seen = Vec::new();
        while let Some(job) = f.pop("m").unwrap() {
            seen.push(job.url.clone());
            f.complete(
                "m",
                &job,
                fetched(&[
                    ("http://a/", LinkPriority::Other),
                    ("http://a/x", LinkPriority::Record),
                ]),
                10,
            )
            .unwrap();
        }
        assert_eq!(seen, ["http://a/", "http://a/x"], "pass {pass}");
        f.finish_pass("m", true, pass).unwrap();
    }
}

#[test]
fn a_gate_pauses_the_site_and_keeps_its_url() {
    let (_d, db) = db();
    let f = Frontier::open(&db).unwrap();
    f.begin("m", &["http://a/".into()], 1).unwrap();
    let job = f.pop("m").unwrap().unwrap();
    f.needs_human("m", &job, "captcha", 7).unwrap();
    let s = f.site("m").unwrap().unwrap();
    assert_eq!(
        s.status,
        SiteStatus::NeedsHuman {
            url: "http://a/".into(),
            page_type: "captcha".into(),
            at: 7
        }
    );
    assert_eq!(f.queued("m"), 1);
    assert!(f.resume("m").unwrap());
    assert_eq!(f.site("m").unwrap().unwrap().status, SiteStatus::Active);
    assert_eq!(f.pop("m").unwrap().unwrap().url, "http://a/");
}

#[test]
fn depth_budget_stops_link_following() {
    let (_d, db) = db();
    let f = Frontier::open(&db).unwrap();
    f.begin("m", &["http://a/".into()], 1).unwrap();
    let home = f.pop("m").unwrap().unwrap();
    let n = f
        .complete(
            "m",
            &home,
            fetched(&[("http://a/1", LinkPriority::Record)]),
            0,
        )
        .unwrap();
    assert_eq!(n, 0, "links of a page at max depth are not followed");
    assert!(f.pop("m").unwrap().is_none());
}

#[test]
fn a_pass_left_open_in_this_process_gets_its_in_flight_urls_back_when_it_resumes() {
    // The daemon does not reopen the frontier between passes: a site that went down
    // mid-pass left URLs in flight, and resuming the pass must fetch them again.
    let (_d, db) = db();
    let f = Frontier::open(&db).unwrap();
    f.begin("m", &["http://a/".into()], 1).unwrap();
    f.begin("other", &["http://b/".into()], 1).unwrap();
    let home = f.pop("m").unwrap().unwrap();
    let other = f.pop("other").unwrap().unwrap();
    assert_eq!(f.queued("m"), 0);
    let again = f.begin("m", &["http://a/".into()], 2).unwrap();
    assert!(again.resumed);
    assert_eq!(f.queued("m"), 1);
    assert_eq!(f.pop("m").unwrap().unwrap().url, home.url);
    // Another site's fetch under way is left alone.
    assert_eq!(f.queued("other"), 0);
    f.complete("other", &other, fetched(&[]), 10).unwrap();
}
