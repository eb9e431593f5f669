//! Reading the page's repeated groups (see [`crate::generic::layout`]) as the things a
//! market or forum repeats: listing cards, posts, thread rows, forum rows and feedback
//! entries. Each is recognised by what its members hold: a post is long dated text
//! that is mostly not links; a thread or forum row is a short, link-dense line with
//! counters; a feedback entry is a short dated comment. Class names (which forum and
//! shop software of every vendor takes from the same English words) only break ties
//! between thread rows and forum rows.

use crate::generic::cards::{self, CardGroup};
use crate::generic::layout::Layout;
use crate::page::Page;

/// The repeated things found on a page.
#[derive(Clone, Debug, Default)]
pub struct Structure {
    pub cards: usize,
    pub card_group: Option<CardGroup>,
    /// Post blocks: long dated text, mostly not links, with an author link.
    pub posts: usize,
    /// Link-dense rows with counters (thread lists and forum lists).
    pub rows: usize,
    /// Of those, rows whose class names say thread/topic.
    pub thread_rows: usize,
    /// Of those, rows whose class names say forum/node/category.
    pub forum_rows: usize,
    /// Short dated comments.
    pub feedback_rows: usize,
    /// Share of the page's text inside the post group (0..1).
    pub posts_cover: f32,
    /// The post blocks, in document order.
    pub post_nodes: Vec<usize>,
    /// Share of the page's text inside the row group (0..1).
    pub rows_cover: f32,
}

/// Elements that can hold a post, a thread or forum row or a feedback entry.
const BLOCKS: &[&str] = &[
    "div",
    "li",
    "tr",
    "article",
    "section",
    "table",
    "tbody",
    "dl",
    "dd",
    "blockquote",
    "ol",
    "ul",
    "form",
    "fieldset",
    "main",
    "aside",
];

/// What a group's members hold.
#[derive(Clone, Debug, Default)]
struct Profile {
    n: usize,
    with_date: usize,
    with_link: usize,
    with_price: usize,
    /// Members with at least 100 characters of which at most a third are link text.
    prose: usize,
    /// Members with at most 400 characters, a third or more of it link text, or short.
    linky: usize,
    with_numbers: usize,
    avg_text: usize,
    total_text: usize,
    hint: String,
}

pub fn analyze(page: &Page, layout: &Layout) -> Structure {
    let card_group = cards::find_cards(page, layout, 2);
    let mut s = Structure {
        cards: card_group.as_ref().map_or(0, |c| c.cards.len()),
        card_group,
        ..Structure::default()
    };
    let page_text = page.visible_text().chars().count().max(1) as f32;
    let card_roots: Vec<usize> = s_cards(&s).to_vec();
    let inside_cards = |m: usize| {
        let k = card_roots.partition_point(|&c| c < m);
        k > 0 && page.dom().contains(card_roots[k - 1], m)
    };
    let mut post_group = (0, 0.0f32);
    let mut post_nodes: &[usize] = &[];
    let mut row_group = (0, 0.0f32);
    for group in &layout.groups {
        let first = group.members[0];
        // Posts, rows and entries are blocks; inline elements repeat far more often and
        // are never one of them on their own.
        if group.members.len() > 3000 || !BLOCKS.contains(&page.tag(first)) || inside_cards(first) {
            continue;
        }
        let p = profile(page, layout, &group.members);
        let cover = p.total_text as f32 / page_text;
        let most = |x: usize| x * 10 >= p.n * 7;
        let hint = |words: &[&str]| words.iter().any(|w| p.hint.contains(w));
        let posts = most(p.with_date) && most(p.with_link) && most(p.prose);
        if posts && p.with_price * 3 <= p.n && (p.n, cover) > post_group {
            post_group = (p.n, cover);
            post_nodes = &group.members;
        }
        let rowlike = most(p.with_link) && most(p.linky) && most(p.with_numbers);
        if rowlike && p.with_price * 3 <= p.n && p.n >= 3 {
            if (p.n, cover) > row_group {
                row_group = (p.n, cover);
            }
            if hint(&["thread", "topic", "discussion"]) {
                s.thread_rows = s.thread_rows.max(p.n);
            }
            if hint(&["forum", "node", "board", "subforum"]) {
                s.forum_rows = s.forum_rows.max(p.n);
            }
        }
        if most(p.with_date) && p.avg_text < 600 && p.avg_text >= 15 && !most(p.prose) {
            s.feedback_rows = s.feedback_rows.max(p.n);
        }
    }
    (s.posts, s.posts_cover) = post_group;
    s.post_nodes = post_nodes.to_vec();
    (s.rows, s.rows_cover) = row_group;
    if s.posts == 0 {
        if let Some(post) = single_post(page, layout) {
            s.posts = 1;
            s.posts_cover = 0.2;
            s.post_nodes = vec![post];
        }
    }
    s
}

fn s_cards(s: &Structure) -> &[usize] {
    s.card_group.as_ref().map_or(&[], |g| g.cards.as_slice())
}

fn profile(page: &Page, layout: &Layout, members: &[usize]) -> Profile {
    let mut p = Profile {
        n: members.len(),
        hint: hint_of(page, members[0]),
        ..Profile::default()
    };
    let mut total = 0;
    for &m in members {
        let st = layout.stats(page, m);
        let link_chars: usize = layout
            .anchors_in(page, m)
            .iter()
            .map(|&a| page.text_of(a).chars().count())
            .sum();
        p.with_date += usize::from(st.dates > 0);
        p.with_link += usize::from(st.links > 0);
        p.with_price += usize::from(st.prices > 0);
        p.prose += usize::from(st.text >= 100 && link_chars * 3 <= st.text);
        p.linky += usize::from(st.text <= 400 && (link_chars * 3 >= st.text || st.text < 120));
        p.with_numbers += usize::from(count_numbers(page.text_of(m)) >= 1);
        total += st.text;
    }
    p.avg_text = total / p.n.max(1);
    p.total_text = total;
    p
}

/// The class and id words of a node and its parent, lower case.
fn hint_of(page: &Page, i: usize) -> String {
    let mut h = page.class_id(i);
    if let Some(parent) = page.dom().nodes.get(i).and_then(|n| n.parent) {
        h.push(' ');
        h.push_str(&page.class_id(parent));
    }
    h
}

fn count_numbers(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit() && c != ',' && c != '.')
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
        .count()
}

/// A thread page with one post has no repeated group: look for one dated, linked block
/// of prose whose class says post or message.
fn single_post(page: &Page, layout: &Layout) -> Option<usize> {
    let dom = page.dom();
    for i in 0..dom.nodes.len() {
        if dom.nodes[i].is_text() || !matches!(page.tag(i), "div" | "article" | "li" | "table") {
            continue;
        }
        let ci = page.class_id(i);
        let first = ci.split_whitespace().next().unwrap_or("");
        let posty = ["post", "message", "cpost"].iter().any(|w| {
            first == *w
                || first.starts_with(&format!("{w}-"))
                || first.starts_with(&format!("{w}_"))
                || first.starts_with(&format!("{w}--"))
        });
        if !posty {
            continue;
        }
        let st = layout.stats(page, i);
        if st.dates > 0 && st.links > 0 && st.text >= 60 && st.prices == 0 {
            return Some(i);
        }
    }
    None
}
