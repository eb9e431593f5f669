//! Posts of a forum thread: author, time and body of each post block the classifier
//! found (see [`crate::classify::structure`]).
//!
//! Inside a post, the author is the first short link to a member page (or an element
//! whose class says author/username); the time is the machine-readable `datetime` of a
//! `<time>` element when there is one, else the first date in the text; the body is the
//! descendant whose class says message/content/body with the most text, else the largest
//! block of prose that is not mostly links.

use super::fields::is_profile_href;
use super::layout::Layout;
use crate::page::{collapse, Page};
use crate::records::{PeruScore, Post};

/// One post per post block.
pub fn from_blocks(page: &Page, layout: &Layout, blocks: &[usize]) -> Vec<Post> {
    let thread_title = page
        .elements("h1")
        .map(|h| collapse(page.text_of(h)))
        .find(|t| !t.is_empty())
        .or_else(|| page.title());
    blocks
        .iter()
        .map(|&b| Post {
            url: page.url().to_string(),
            thread_title: thread_title.clone(),
            author: author_node(page, layout, b).and_then(|a| author_name(page, layout, a)),
            posted_at: posted_at(page, layout, b),
            body: body(page, b, author_node(page, layout, b)),
            addresses: Vec::new(),
            contacts: Vec::new(),
            peru: PeruScore::default(),
        })
        .collect()
}

/// The node naming the post's author.
fn author_node(page: &Page, layout: &Layout, block: usize) -> Option<usize> {
    let by_class = page.dom().subtree(block).find(|&i| {
        let ci = page.class_id(i);
        ["author", "username", "poster", "user-name", "postername"]
            .iter()
            .any(|w| ci.contains(w))
            && !page.text_of(i).is_empty()
            && page.text_of(i).chars().count() <= 40
    });
    let by_link = layout.anchors_in(page, block).iter().copied().find(|&a| {
        let text = page.text_of(a);
        page.attr(a, "href").is_some_and(is_profile_href)
            && !text.is_empty()
            && text.chars().count() <= 40
    });
    by_class.or(by_link)
}

/// The author's name: the link inside the author element if there is one (badges and
/// counters sit beside it), else its first line.
fn author_name(page: &Page, layout: &Layout, node: usize) -> Option<String> {
    let inner = layout
        .anchors_in(page, node)
        .iter()
        .find(|&&a| !page.text_of(a).is_empty())
        .copied()
        .unwrap_or(node);
    let name = collapse(page.text_of(inner).lines().next().unwrap_or(""));
    (!name.is_empty()).then_some(name)
}

fn posted_at(page: &Page, layout: &Layout, block: usize) -> Option<String> {
    let range = page.dom().subtree(block);
    let machine = layout
        .times
        .iter()
        .filter(|t| range.contains(t))
        .find_map(|&t| {
            page.attr(t, "datetime")
                .or_else(|| page.attr(t, "data-time"))
                .map(str::to_string)
        });
    machine.or_else(|| {
        layout
            .dates_in(page, block)
            .first()
            .and_then(|d| page.visible_text().get(d.clone()))
            .map(collapse)
    })
}

/// Class words of the element that holds a post's text, most specific first.
const BODY_WORDS: &[&str] = &[
    "bbwrapper",
    "body",
    "text",
    "post_message",
    "message",
    "content",
    "entry",
];

/// The post's text: the descendant whose class says body/text (else message/content)
/// with the most text, and that does not hold the author box (whose name, rank and
/// counters are not the post).
fn body(page: &Page, block: usize, author: Option<usize>) -> String {
    let dom = page.dom();
    let hinted = dom
        .subtree(block)
        .filter_map(|i| {
            let ci = page.class_id(i);
            let rank = BODY_WORDS.iter().position(|w| ci.contains(w))?;
            let ok = !ci.contains("user") && author.is_none_or(|a| !dom.contains(i, a));
            ok.then(|| (usize::from(rank < 3), dom.nodes[i].text.len(), i))
        })
        .max()
        .map(|(_, _, i)| i);
    let pick = hinted.unwrap_or(block);
    collapse(page.text_of(pick))
}
