//! Spanish first, English on request. Strings are written in pairs where they are used
//! (`lang.t("Buscar", "Search")`): a page reads in both languages at once, and a missing
//! translation is a compile error rather than a key shown to an officer.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    pub fn t(self, es: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Es => es,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }
}
