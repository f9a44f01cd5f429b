//! Parsed query documents, remembered by their exact text.
//!
//! Clients send the same few query texts over and over (generated clients
//! never vary them; values travel in `variables`), and parsing (pest) was the
//! largest single cost of a small authenticated query (BENCHMARKS.md). A
//! parsed document is a pure function of the text, so a hit changes no
//! answer: limits, validation and execution still run on every request.
//!
//! Only texts without string literals are kept: a text with one may carry a
//! secret written inline (`tokenAuth(password: "…")`), which must not outlive
//! its request; clients that pass values in `variables`, as generated clients
//! do, send texts without any. The caller keeps only documents that passed
//! the request limits.
//!
//! Bounded in entries, in the length of a text kept and in the text held per
//! generation. When a generation is full, the older of two is dropped, so
//! texts in use survive a flood of one-off texts (which only cost their own
//! parse, as without the cache).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;

/// Entries per generation.
const GENERATION: usize = 256;
/// Query text per generation (a parsed document takes some ten times its
/// text): with two generations, a few MiB at most.
const GENERATION_BYTES: usize = 128 * 1024;
/// Longer texts are parsed every time (they are rarely repeated).
const MAX_TEXT: usize = 8 * 1024;

type Map = HashMap<Box<str>, Arc<ExecutableDocument>>;

#[derive(Default)]
struct Generations {
    current: Map,
    /// Bytes of text in `current`.
    current_bytes: usize,
    previous: Map,
}

/// One service's cache of parsed documents, kept in its schema's data (see
/// `graphql::schema`), so services in one process (tests start many) share
/// nothing.
#[derive(Default)]
pub struct Documents {
    inner: Mutex<Generations>,
}

impl Documents {
    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // A panic while holding the lock cannot leave a map half-changed in a
        // way that matters: at worst an entry is missing.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The document parsed from exactly `text` before, if remembered.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        let doc = {
            let mut g = self.lock();
            match g.current.get(text) {
                Some(doc) => Arc::clone(doc),
                None => {
                    // Still in use: bring it into the current generation.
                    let (key, doc) = g.previous.remove_entry(text)?;
                    Self::insert_into(&mut g, key, Arc::clone(&doc));
                    doc
                }
            }
        };
        Some(ExecutableDocument::clone(&doc))
    }

    /// Remembers the document parsed from `text`, unless the text is too
    /// long or holds a string literal.
    pub fn insert(&self, text: &str, doc: &ExecutableDocument) {
        if text.len() > MAX_TEXT || text.contains('"') {
            return;
        }
        let doc = Arc::new(doc.clone());
        Self::insert_into(&mut self.lock(), text.into(), doc);
    }

    fn insert_into(g: &mut Generations, key: Box<str>, doc: Arc<ExecutableDocument>) {
        if g.current.len() >= GENERATION || g.current_bytes + key.len() > GENERATION_BYTES {
            g.previous = std::mem::take(&mut g.current);
            g.current_bytes = 0;
        }
        g.current_bytes += key.len();
        g.current.insert(key, doc);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let g = self.lock();
        g.current.len() + g.previous.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    #[test]
    fn a_hit_is_the_same_document() {
        let cache = Documents::default();
        let text = "query Me($x: Int) { me { id username } }";
        assert!(cache.get(text).is_none());
        let parsed = parse_query(text).unwrap();
        cache.insert(text, &parsed);
        let hit = cache.get(text).unwrap();
        assert_eq!(format!("{hit:?}"), format!("{parsed:?}"));
        // Only the exact text hits.
        assert!(cache.get("query Me($x: Int) { me { id } }").is_none());
        assert!(cache
            .get(" query Me($x: Int) { me { id username } }")
            .is_none());
    }

    #[test]
    fn stays_bounded_and_keeps_texts_in_use() {
        let cache = Documents::default();
        let hot = "{ me { id } }";
        cache.insert(hot, &parse_query(hot).unwrap());
        for i in 0..GENERATION * 5 {
            let text = format!("{{ user{i} }}");
            cache.insert(&text, &parse_query(&text).unwrap());
            if i % (GENERATION / 2) == 0 {
                assert!(cache.get(hot).is_some(), "a text in use was dropped");
            }
            assert!(cache.len() <= 2 * GENERATION);
        }
        // Bounded in text too: big texts turn generations over sooner.
        let cache = Documents::default();
        let big = |i: usize| format!("{{ user{i} }}{}", " ".repeat(MAX_TEXT - 20));
        for i in 0..64 {
            cache.insert(&big(i), &parse_query(big(i)).unwrap());
            let g = cache.lock();
            let bytes: usize = g
                .current
                .keys()
                .chain(g.previous.keys())
                .map(|k| k.len())
                .sum();
            assert!(bytes <= 2 * GENERATION_BYTES, "{bytes} bytes of text kept");
        }
        let long = format!("{{ me {{ id }} }}{}", " ".repeat(MAX_TEXT));
        cache.insert(&long, &parse_query(&long).unwrap());
        assert!(cache.get(&long).is_none(), "over-long texts are not kept");
    }

    /// A text with a string literal may hold a secret written inline: it is
    /// parsed for its request and never kept.
    #[test]
    fn texts_with_string_literals_are_never_kept() {
        let cache = Documents::default();
        for text in [
            r#"mutation { tokenAuth(username: "alice", password: "hunter2-secret") { token } }"#,
            r#"mutation { refreshToken(refreshToken: """ghr_secret""") { token } }"#,
        ] {
            cache.insert(text, &parse_query(text).unwrap());
            assert!(cache.get(text).is_none());
        }
        assert_eq!(cache.len(), 0);
    }
}
