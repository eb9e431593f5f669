/// Maps byte offsets of a rewritten text back to the source it was made from.
///
/// For every byte of the rewritten text we keep the source range of the character that
/// produced it. Rewrites only ever shrink, drop or replace characters in order, so the
/// ranges are monotonic and a span maps to `[start of its first byte, end of its last]`.
#[derive(Clone, Debug)]
pub enum OffsetMap {
    /// The text is the source: nothing needed rewriting (the common, fast case).
    Identity,
    /// `ranges[i]` is the source range behind byte `i` of the rewritten text.
    Mapped { ranges: Vec<(u32, u32)> },
}

impl OffsetMap {
    /// The source span behind `start..end` of the rewritten text.
    pub fn source_span(&self, start: usize, end: usize) -> (usize, usize) {
        match self {
            OffsetMap::Identity => (start, end),
            OffsetMap::Mapped { ranges } => {
                if ranges.is_empty() {
                    return (0, 0);
                }
                let last = ranges.len() - 1;
                let s = ranges[start.min(last)].0 as usize;
                let e = if end == 0 {
                    s
                } else {
                    ranges[(end - 1).min(last)].1 as usize
                };
                (s, e.max(s))
            }
        }
    }

    /// The map of `outer ∘ self`: `self` maps text B to source A, `outer` maps text C to B.
    pub fn then(&self, outer: &OffsetMap) -> OffsetMap {
        match (self, outer) {
            (_, OffsetMap::Identity) => self.clone(),
            (OffsetMap::Identity, _) => outer.clone(),
            (OffsetMap::Mapped { .. }, OffsetMap::Mapped { ranges }) => OffsetMap::Mapped {
                ranges: ranges
                    .iter()
                    .map(|&(s, e)| {
                        let (a, b) = self.source_span(s as usize, e as usize);
                        (a as u32, b as u32)
                    })
                    .collect(),
            },
        }
    }
}

/// Builds a rewritten string and its [`OffsetMap`] side by side.
pub(crate) struct MappedText {
    pub text: String,
    pub ranges: Vec<(u32, u32)>,
}

impl MappedText {
    pub fn with_capacity(n: usize) -> Self {
        MappedText {
            text: String::with_capacity(n),
            ranges: Vec::with_capacity(n),
        }
    }

    /// Appends `c`, produced by the source bytes `src_start..src_end`.
    pub fn push(&mut self, c: char, src_start: usize, src_end: usize) {
        let before = self.text.len();
        self.text.push(c);
        for _ in before..self.text.len() {
            self.ranges.push((src_start as u32, src_end as u32));
        }
    }

    /// Removes the last character (and its map entries).
    pub fn pop(&mut self) {
        if let Some(c) = self.text.pop() {
            self.ranges.truncate(self.ranges.len() - c.len_utf8());
        }
    }

    pub fn last_char(&self) -> Option<char> {
        self.text.chars().next_back()
    }

    pub fn finish(self) -> (String, OffsetMap) {
        (
            self.text,
            OffsetMap::Mapped {
                ranges: self.ranges,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_maps_reach_the_original_source() {
        // source "a&amp;b" -> "a&b" -> (drop '&') "ab"
        let inner = OffsetMap::Mapped {
            ranges: vec![(0, 1), (1, 6), (6, 7)],
        };
        let outer = OffsetMap::Mapped {
            ranges: vec![(0, 1), (2, 3)],
        };
        let both = inner.then(&outer);
        assert_eq!(both.source_span(0, 2), (0, 7));
        assert_eq!(both.source_span(1, 2), (6, 7));
    }
}
