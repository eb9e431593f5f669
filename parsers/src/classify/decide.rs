//! Telling content pages apart: each type collects points from the evidence that speaks
//! for it, and the type with most points wins. Structure carries most weight (a grid of
//! priced cards, a buy form, dated posts); labels and words in the title, headings and
//! open tab come next; words in the body only nudge.

use super::words::Cue;
use super::{Classification, Features};
use crate::records::PageType;

#[derive(Default)]
struct Scores {
    points: Vec<(PageType, f32, String)>,
}

impl Scores {
    fn add(&mut self, t: PageType, p: f32, why: impl Into<String>) {
        self.points.push((t, p, why.into()));
    }

    fn total(&self, t: PageType) -> f32 {
        self.points
            .iter()
            .filter(|(k, _, _)| *k == t)
            .map(|(_, p, _)| p)
            .sum()
    }

    fn decide(self) -> Classification {
        let mut totals: Vec<(PageType, f32)> = PageType::ALL
            .iter()
            .map(|&t| (t, self.total(t)))
            .filter(|(_, p)| *p >= 1.0)
            .collect();
        totals.sort_by(|a, b| b.1.total_cmp(&a.1));
        let Some(&(best, top)) = totals.first() else {
            return Classification {
                page_type: PageType::Other,
                confidence: 0.3,
                reasons: vec!["no structure or words of a known page type".into()],
            };
        };
        let second = totals.get(1).map_or(0.0, |t| t.1);
        let reasons = self
            .points
            .into_iter()
            .filter(|(k, _, _)| *k == best)
            .map(|(_, p, w)| format!("{w} (+{p:.1})"))
            .collect();
        Classification {
            page_type: best,
            confidence: ((top - second) / top.max(1.0)).clamp(0.05, 1.0),
            reasons,
        }
    }
}

/// The content type of a page that is not a gate.
pub fn content(f: &Features) -> Classification {
    let mut s = Scores::default();
    link_directory(f, &mut s);
    forum(f, &mut s);
    let product = product(f, &mut s);
    grid(f, &mut s, product);
    profile(f, &mut s, product);
    info(f, &mut s, product);
    s.decide()
}

fn capped(x: usize, cap: usize) -> f32 {
    x.min(cap) as f32
}

fn link_directory(f: &Features, s: &mut Scores) {
    let share = f.onion_hosts as f32 / f.links.max(1) as f32;
    if f.onion_hosts >= 8 && (share >= 0.3 || f.onion_link_hosts >= 20) {
        s.add(
            PageType::LinkDirectory,
            2.5 + capped(f.onion_hosts, 60) / 20.0,
            format!(
                "{} onion hosts ({:.0}% of links)",
                f.onion_hosts,
                share * 100.0
            ),
        );
    } else if f.onion_hosts >= 3 && f.words < 600 && f.links < 30 && f.structure.cards == 0 {
        s.add(
            PageType::LinkDirectory,
            1.5,
            format!("{} onion addresses on a short page", f.onion_hosts),
        );
    }
}

fn forum(f: &Features, s: &mut Scores) {
    let st = &f.structure;
    let forum_words = f.outside_cues.get(Cue::Forum) >= 8 || f.headline(Cue::Forum);
    let body_thread = f.body_says(&["thread", "showthread", "topic", "showtopic", "viewtopic"]);
    if st.posts >= 1 && st.cards < 2 {
        let mut p = 2.5 + capped(st.posts, 10) * 0.1 + st.posts_cover;
        if body_thread {
            p += 1.5;
        }
        if st.rows_cover > st.posts_cover {
            p -= 1.0;
        }
        s.add(
            PageType::ForumThread,
            p,
            format!("{} post blocks", st.posts),
        );
    } else if body_thread && forum_words {
        s.add(
            PageType::ForumThread,
            2.0,
            "a thread template with forum words",
        );
    }
    let hinted = st.thread_rows + st.forum_rows > 0;
    if st.rows >= 3 && st.cards < 2 && forum_words && (hinted || st.rows_cover >= 0.1) {
        let board = f.outside_cues.get(Cue::BoardColumns);
        let index = f.outside_cues.get(Cue::IndexColumns);
        let p = 2.0 + capped(st.rows, 30) * 0.03 + st.rows_cover * 2.0;
        let why = format!("{} link rows with counters", st.rows);
        let list = f.body_says(&["list", "index", "home"]) && f.body_says(&["forum"]);
        let view = f.body_says(&["forumdisplay", "viewforum"])
            || (f.body_says(&["view"]) && f.body_says(&["forum"]));
        if list || (!view && (st.forum_rows > st.thread_rows || index > board)) {
            s.add(PageType::ForumIndex, p, why);
        } else {
            s.add(PageType::ForumBoard, p, why);
        }
    }
}

/// Points for a single product page; returns whether the page has a buy form.
fn product(f: &Features, s: &mut Scores) -> bool {
    let cards = f.structure.cards;
    // A form per card (quick-buy grids) belongs to the cards, not to one product.
    let per_card = cards >= 2 && f.buy_forms * 2 >= cards;
    // Next to a grid, a buy link without a form is the grid's own.
    let buying = (f.buy_forms > 0 && !per_card)
        || (f.buy_forms == 0 && cards < 2 && f.buy_controls > 0 && f.product_labels >= 2);
    if buying && f.prices > 0 {
        let mut p = 3.0 + capped(f.product_labels, 4) * 0.3;
        if f.body_says(&["single", "product"]) {
            p += 1.0;
        }
        s.add(
            PageType::Listing,
            p,
            format!(
                "buy form next to a price, {} product labels",
                f.product_labels
            ),
        );
    } else if f.title_cues.has(Cue::Product) && f.structure.cards == 0 {
        s.add(PageType::Listing, 1.0, "product words in the title");
    }
    buying
}

fn grid(f: &Features, s: &mut Scores, product: bool) {
    let st = &f.structure;
    let empty = f.outside_cues.has(Cue::NoResults)
        && (f.outside_cues.has(Cue::Sort) || f.headline(Cue::Category) || f.headline(Cue::Search));
    if st.cards < 2 && !empty {
        return;
    }
    let mut p = if st.cards >= 2 {
        2.0 + capped(st.cards, 20) * 0.1
    } else {
        2.0
    };
    if product {
        p -= 1.0;
    }
    let why = if st.cards >= 2 {
        format!("{} listing cards with prices and links", st.cards)
    } else {
        "an empty result list with sort/filter controls".to_string()
    };
    let search = f.filled_search
        || f.headline(Cue::Search)
        || f.outside_cues.has(Cue::Search)
        || f.url_says(&["search", "q", "query", "find"])
        || f.body_says(&["search"])
        || (empty && f.outside_cues.get(Cue::NoResults) > 0 && f.text_cues.has(Cue::Search));
    let index = f.title_cues.has(Cue::Category)
        || f.title_cues.has(Cue::Home)
        || f.heading_cues.has(Cue::Category)
        || f.body_says(&["home", "archive", "category", "cat"])
        || f.url_says(&["category", "categories", "cat", "browse"]);
    if search {
        s.add(PageType::SearchResults, p, why + ", with a query");
    } else if index {
        s.add(
            PageType::ListingIndex,
            p,
            why + ", under a category or home heading",
        );
    } else {
        s.add(PageType::SearchResults, p, why);
    }
}

fn profile(f: &Features, s: &mut Scores, product: bool) {
    let title_says = f.title_cues.has(Cue::Profile) || f.title_cues.has(Cue::Vendor);
    let strength = f.profile_labels + usize::from(f.pgp_blocks > 0);
    if f.profile_labels < 2 && !title_says && !f.tab_cues.has(Cue::Profile) {
        return;
    }
    // A grid with the market's own account box is not a profile: there a profile needs
    // its name in the title, a PGP key or many kinds of labels.
    let grid = f.structure.cards >= 2 || f.outside_cues.has(Cue::NoResults);
    if grid && !(f.pgp_blocks > 0 || strength >= 6 || (title_says && strength >= 3)) {
        return;
    }
    let mut p = 1.0 + strength as f32 * 0.7;
    let forum = f.structure.posts > 0 || f.structure.rows >= 3;
    if forum && f.outside_cues.get(Cue::Forum) >= 5 {
        p -= 2.0;
    }
    if title_says {
        p += 1.0;
    }
    if product {
        p -= 1.5;
    }
    let why = format!("{strength} kinds of profile labels");
    let buyer = f.outside_cues.get(Cue::Buyer);
    let feedback_tab = f.tab_cues.has(Cue::Feedback);
    if feedback_tab {
        s.add(
            PageType::VendorFeedback,
            p + 1.0,
            why + ", the feedback tab is open",
        );
    } else if buyer > 0
        && buyer >= f.outside_cues.get(Cue::Vendor)
        && f.structure.cards < 2
        && f.pgp_blocks == 0
    {
        s.add(PageType::UserProfile, p, why + ", buyer words");
    } else {
        s.add(PageType::Vendor, p, why);
    }
    if !feedback_tab && f.masked_names >= 5 && f.structure.feedback_rows >= 5 && strength <= 3 {
        s.add(
            PageType::VendorFeedback,
            p + 0.5,
            "a list of feedback with masked buyer names",
        );
    }
}

fn info(f: &Features, s: &mut Scores, product: bool) {
    if product || f.structure.cards >= 2 {
        return;
    }
    if f.title_cues.has(Cue::Info) || (f.title_cues.has(Cue::Pgp) && f.structure.cards == 0) {
        s.add(PageType::Info, 4.0, "FAQ/rules/PGP/mirrors in the title");
    } else if f.heading_cues.has(Cue::Info) && f.structure.cards == 0 && f.buy_forms == 0 {
        s.add(PageType::Info, 1.0, "FAQ/rules/PGP/mirrors heading");
    }
}
