//! Watchlists: rules that say what supervisors want to hear about ([`rules`]), and the
//! matcher that checks every new or changed record against them and enqueues the hits in
//! the outbox ([`matcher`]).

pub mod matcher;
pub mod rules;

pub use matcher::{
    contact_matches, entity_id, facts, handle_matches, hits, VendorState, WatchError, Watcher,
    STATE_TREE,
};
pub use rules::{
    add_rule, load_dir, parse_rules, query_words, remove_rule, EditError, Language, Rule,
    RuleError, RuleErrors, RuleKind, Severity, CLI_FILE,
};
