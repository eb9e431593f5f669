//! Pages that stand between the crawler and the content: login forms, captchas, DDoS
//! queues and anti-phishing checks, redirects and error pages.
//!
//! A gate is short (little text, no grid of listings, no posts) and says what it wants in
//! its title, headings or form: a password field, an image or input named captcha, a row
//! of one-character inputs, "DDoS protection", "please wait", "prove you are not a
//! robot", in any of our languages. Content pages with a login box in a corner (forums
//! show one to guests) are not gates, because they are not short.

use super::words::Cue;
use super::{Classification, Features};
use crate::records::PageType;

fn verdict(page_type: PageType, confidence: f32, reasons: Vec<String>) -> Option<Classification> {
    Some(Classification {
        page_type,
        confidence,
        reasons,
    })
}

/// The gate this page is, if it is one.
pub fn gate(f: &Features) -> Option<Classification> {
    let thin = f.thin();
    let captcha_form = f.captcha_markers > 0 || f.puzzle_inputs >= 3;
    // A captcha asks for an answer: words alone (a link "prove you are not a bot") are not one.
    let answerable = f.text_inputs > 0 || f.captcha_markers > 0;
    let captcha_words =
        answerable && (f.headline(Cue::Captcha) || (thin && f.text_cues.has(Cue::Captcha)));
    // A page of posts or listings that talks about queues (a PSA on a forum) is content,
    // not a queue page.
    let content = f.structure.posts > 0 || f.structure.cards >= 3;
    let ddos_words = f.headline(Cue::Ddos) && !content;
    if ddos_words && (thin || captcha_form) {
        let mut why = vec![format!(
            "DDoS/queue words in title or headings: {:?}",
            f.title
        )];
        if captcha_form {
            why.push("with a captcha challenge".into());
        }
        return verdict(PageType::DdosQueue, 0.95, why);
    }
    let login_words = f.headline(Cue::Login) || f.button_cues.has(Cue::Login);
    if f.password_inputs > 0
        && (login_words || (thin && f.buy_controls == 0))
        && f.structure.posts == 0
        && f.structure.cards < 3
    {
        let why = vec![format!(
            "{} password field(s) on a short page",
            f.password_inputs
        )];
        return verdict(PageType::Login, 0.95, why);
    }
    if thin && (captcha_form || captcha_words) {
        let why = vec![format!(
            "captcha: {} marked image/input(s), {} one-character input(s), words: {}",
            f.captcha_markers, f.puzzle_inputs, captcha_words
        )];
        return verdict(PageType::Captcha, 0.9, why);
    }
    if thin && !content && f.text_cues.has(Cue::Ddos) && f.words < 150 && f.links < 15 {
        let why = vec!["a short page asking to wait (queue/DDoS words)".into()];
        return verdict(PageType::DdosQueue, 0.7, why);
    }
    if thin && f.headline(Cue::Phishing) && f.text_inputs > 0 {
        let why = vec!["anti-phishing check with an input to fill".into()];
        return verdict(PageType::Captcha, 0.8, why);
    }
    if thin && f.text_cues.get(Cue::Block) >= 2 {
        let why = vec!["an anti-bot block page (security breach/blocked/strike words)".into()];
        return verdict(PageType::Captcha, 0.6, why);
    }
    if (f.refresh.is_some() || f.script_redirect) && f.words < 80 {
        let why = vec!["meta refresh or script redirect on a near-empty page".into()];
        return verdict(PageType::Redirect, 0.9, why);
    }
    if f.headline(Cue::Error) && f.structure.cards < 3 && f.structure.posts == 0 {
        let why = vec![format!("error words in title or headings: {:?}", f.title)];
        return verdict(PageType::Error, 0.8, why);
    }
    None
}
