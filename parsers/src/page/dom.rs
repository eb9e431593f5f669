//! A flat, document-order copy of the parsed tree, made once per page, that every
//! heuristic of the classifier and the generic parser walks.
//!
//! The heuristics ask the same questions of thousands of subtrees ("what text is under
//! this card?", "how many elements does it hold?"). On a pointer tree each answer is a
//! walk; here the nodes are stored in pre-order with the end of their subtree, and the
//! page's visible text is laid out once with each node's slice of it, so both answers
//! are O(1). Node indices are `usize` positions in [`Dom::nodes`].

use crate::text::html::BLOCK;
use scraper::{node::Element, Html, Node};
use std::ops::Range;

/// Elements whose content a reader never sees (SOURCES.md's "visible text" rules).
const HIDDEN: &[&str] = &["script", "style", "template", "svg", "math", "noembed"];

/// Elements whose white space is kept (PGP key blocks live in them).
const PREFORMATTED: &[&str] = &["pre", "textarea", "plaintext", "xmp", "listing"];

/// One element or text node.
#[derive(Clone, Debug)]
pub struct DomNode {
    /// The node in the scraper tree, for attribute look-ups.
    pub id: ego_tree::NodeId,
    /// Lower-case tag name; empty for text nodes.
    pub tag: Box<str>,
    pub parent: Option<usize>,
    /// One past the last node of this node's subtree (pre-order).
    pub end: usize,
    pub depth: u32,
    /// This subtree's slice of [`Dom::text`].
    pub text: Range<usize>,
}

impl DomNode {
    pub fn is_text(&self) -> bool {
        self.tag.is_empty()
    }
}

/// The visible elements and text of a page in document order.
#[derive(Clone, Debug, Default)]
pub struct Dom {
    pub nodes: Vec<DomNode>,
    /// The page's visible text: white space collapsed, `\n` between blocks, `\t`
    /// between table cells.
    pub text: String,
}

enum Step<'a> {
    Enter(ego_tree::NodeRef<'a, Node>, Option<usize>, u32, bool, bool),
    Leave(usize, bool),
}

impl Dom {
    /// Flattens `html`. Hidden elements (scripts, styles, the head except its title) keep
    /// their element node, so forms and metadata stay visible to the heuristics, but
    /// contribute no text.
    pub fn build(html: &Html) -> Dom {
        let mut dom = Dom {
            nodes: Vec::new(),
            text: String::new(),
        };
        let mut stack = vec![Step::Enter(html.tree.root(), None, 0, false, false)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Leave(idx, block) => {
                    if block {
                        dom.separator('\n');
                    }
                    let end = dom.nodes.len();
                    let text_end = dom.text.len();
                    if let Some(n) = dom.nodes.get_mut(idx) {
                        n.end = end;
                        n.text.end = text_end;
                    }
                }
                Step::Enter(node, parent, depth, hidden, pre) => match node.value() {
                    Node::Text(t) if !hidden => dom.push_text(node.id(), parent, depth, t, pre),
                    Node::Element(e) => {
                        let (idx, block, hide, keep) =
                            dom.open(node.id(), e, parent, depth, hidden);
                        stack.push(Step::Leave(idx, block));
                        push_children(&mut stack, node, Some(idx), depth + 1, hide, pre || keep);
                    }
                    Node::Document | Node::Fragment => {
                        push_children(&mut stack, node, parent, depth, hidden, pre)
                    }
                    _ => {}
                },
            }
        }
        dom
    }

    fn open(
        &mut self,
        id: ego_tree::NodeId,
        e: &Element,
        parent: Option<usize>,
        depth: u32,
        hidden: bool,
    ) -> (usize, bool, bool, bool) {
        let tag = e.name().to_ascii_lowercase();
        let hide = hidden
            || HIDDEN.contains(&tag.as_str())
            || tag == "head"
            || (tag == "noscript" && parent.is_some_and(|p| &*self.nodes[p].tag == "head"));
        // The title is the one part of the head a reader sees.
        let visible_title = tag == "title" && !HIDDEN.iter().any(|h| self.inside(parent, h));
        let hide = hide && !visible_title;
        let block = !hide && BLOCK.contains(&tag.as_str());
        let cell = !hide && (tag == "td" || tag == "th");
        if block {
            self.separator('\n');
        } else if cell {
            self.separator('\t');
        }
        let keep = PREFORMATTED.contains(&tag.as_str());
        let at = self.text.len();
        self.nodes.push(DomNode {
            id,
            tag: tag.into_boxed_str(),
            parent,
            end: 0,
            depth,
            text: at..at,
        });
        (self.nodes.len() - 1, block, hide, keep)
    }

    fn inside(&self, mut at: Option<usize>, tag: &str) -> bool {
        while let Some(i) = at {
            if &*self.nodes[i].tag == tag {
                return true;
            }
            at = self.nodes[i].parent;
        }
        false
    }

    fn push_text(
        &mut self,
        id: ego_tree::NodeId,
        parent: Option<usize>,
        depth: u32,
        t: &str,
        pre: bool,
    ) {
        let start = self.text.len();
        if pre {
            self.text.extend(t.chars().filter(|c| *c != '\r'));
        } else {
            for c in t.chars() {
                if c.is_whitespace() {
                    if !matches!(
                        self.text.chars().next_back(),
                        None | Some(' ' | '\n' | '\t')
                    ) {
                        self.text.push(' ');
                    }
                } else {
                    self.text.push(c);
                }
            }
        }
        let end = self.text.len();
        self.nodes.push(DomNode {
            id,
            tag: "".into(),
            parent,
            end: self.nodes.len() + 1,
            depth,
            text: start..end,
        });
    }

    /// Ends the current line or cell unless it is already ended.
    fn separator(&mut self, sep: char) {
        while self.text.ends_with(' ') {
            self.text.pop();
        }
        // Consecutive tabs keep empty table cells visible ("Origin Country\t\t"), so a
        // label with no value is not read as labelling the next line.
        match self.text.chars().next_back() {
            None | Some('\n') => {}
            _ => self.text.push(sep),
        }
    }

    /// The visible text under node `i`, trimmed.
    pub fn text_of(&self, i: usize) -> &str {
        self.nodes
            .get(i)
            .and_then(|n| self.text.get(n.text.clone()))
            .map_or("", str::trim)
    }

    /// The direct children of node `i` (elements and text).
    pub fn children(&self, i: usize) -> Children<'_> {
        let end = self.nodes.get(i).map_or(i, |n| n.end);
        Children {
            dom: self,
            next: i + 1,
            end,
        }
    }

    /// Node `i`'s subtree, `i` included, as a range of indices.
    pub fn subtree(&self, i: usize) -> Range<usize> {
        i..self.nodes.get(i).map_or(i, |n| n.end)
    }

    pub fn tag(&self, i: usize) -> &str {
        self.nodes.get(i).map_or("", |n| &n.tag)
    }

    /// Whether `anc` is `i` or one of its ancestors.
    pub fn contains(&self, anc: usize, i: usize) -> bool {
        self.subtree(anc).contains(&i)
    }
}

/// Iterator over a node's direct children.
pub struct Children<'a> {
    dom: &'a Dom,
    next: usize,
    end: usize,
}

impl Iterator for Children<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let at = self.next;
        self.next = self
            .dom
            .nodes
            .get(at)
            .map_or(self.end, |n| n.end.max(at + 1));
        Some(at)
    }
}

fn push_children<'a>(
    stack: &mut Vec<Step<'a>>,
    node: ego_tree::NodeRef<'a, Node>,
    parent: Option<usize>,
    depth: u32,
    hidden: bool,
    pre: bool,
) {
    let mut child = node.last_child();
    while let Some(c) = child {
        stack.push(Step::Enter(c, parent, depth, hidden, pre));
        child = c.prev_sibling();
    }
}
