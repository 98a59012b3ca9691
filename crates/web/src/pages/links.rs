//! Where a page is and where its links point: absolute paths on the server, relative file
//! paths in a static mirror.

use crate::api::AreaRef;
use crate::i18n::Lang;

/// How a page writes its links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Links {
    /// Served by `veedor serve`: absolute paths (`/area/state/13`), the language by `?lang=`.
    Server,
    /// A file of a static mirror: relative paths to files (`../area/state/13.html`), so that the
    /// mirror works from any folder of any host; one folder per language.
    Static {
        /// From this page to its language's folder (`../../`; `es/` from the mirror's root).
        to_lang: String,
        /// From this page to the mirror's root (`../../../`; empty at the root).
        to_root: String,
        /// The page's path in its language's folder (`area/state/13.html`).
        page: String,
        /// The voter lookup from shards, when the mirror has it.
        lookup: Option<StaticLookup>,
        /// How the mirror is cut into pages.
        shape: StaticShape,
    },
}

/// How a static mirror is cut into pages, for the links between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaticShape {
    /// Only one language is published: pages have no language switch.
    pub one_language: bool,
    /// The compact profile: a table and its acta copies are sections of their centre's page
    /// (`#t-<number>`, `#acta-<copy>`), whose level is this; no page of their own.
    pub centre_level: Option<String>,
}

/// What the static lookup form needs (see [`crate::site`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticLookup {
    /// The salt of the voter id's key.
    pub salt: String,
    /// The key's scrypt parameters, as the registry's log entry states them.
    pub kdf: veedor_formats::lookup::LookupKdf,
    /// Bits of the key that name the shard.
    pub shard_bits: u8,
}

/// Where a page is, for its links, its language switch and its JSON twin.
#[derive(Clone, Debug)]
pub struct Here {
    /// The path and query without `lang` (`/lookup?voter_id=1`).
    pub path: String,
    /// The JSON twin's path, if any: absolute on the server, from the mirror's root in a
    /// static mirror.
    pub json: Option<String>,
    pub(super) links: Links,
}

impl Here {
    /// A page at `path` with a JSON twin, on the server.
    #[must_use]
    pub fn new(path: impl Into<String>, json: Option<String>) -> Self {
        Self {
            path: path.into(),
            json,
            links: Links::Server,
        }
    }

    /// A page of a static mirror: `page` is its path in its language's folder
    /// (`area/state/13.html`), `json` its twin's path from the mirror's root
    /// (`api/v1/area/state/13.json`).
    #[must_use]
    pub fn static_page(
        lang: Lang,
        page: &str,
        json: Option<String>,
        lookup: Option<StaticLookup>,
        shape: StaticShape,
    ) -> Self {
        let to_lang = "../".repeat(page.matches('/').count());
        Self {
            path: format!("{}/{page}", lang.tag()),
            json,
            links: Links::Static {
                to_root: format!("{to_lang}../"),
                to_lang,
                page: page.to_owned(),
                lookup,
                shape,
            },
        }
    }

    /// The home page at a static mirror's root: the same page as `<lang>/index.html`, with
    /// links one folder down.
    #[must_use]
    pub fn static_root(
        lang: Lang,
        json: Option<String>,
        lookup: Option<StaticLookup>,
        shape: StaticShape,
    ) -> Self {
        Self {
            path: "index.html".to_owned(),
            json,
            links: Links::Static {
                to_lang: format!("{}/", lang.tag()),
                to_root: String::new(),
                page: "index.html".to_owned(),
                lookup,
                shape,
            },
        }
    }

    /// Whether the page is a static mirror's file.
    #[must_use]
    pub fn is_static(&self) -> bool {
        matches!(self.links, Links::Static { .. })
    }

    /// A page of the same language: `server` on the server, `file` in the language's folder.
    pub(super) fn page(&self, server: &str, file: &str) -> String {
        match &self.links {
            Links::Server => server.to_owned(),
            Links::Static { to_lang, .. } => format!("{to_lang}{file}"),
        }
    }

    /// A file shared by both languages: `path` is absolute on the server (`/scans/..`) and
    /// from the mirror's root in a static mirror (`scans/..`).
    #[must_use]
    pub fn resource(&self, path: &str) -> String {
        match &self.links {
            Links::Server => path.to_owned(),
            Links::Static { to_root, .. } => format!("{to_root}{}", path.trim_start_matches('/')),
        }
    }

    /// The nation's page.
    #[must_use]
    pub fn home(&self) -> String {
        self.page("/", "index.html")
    }

    /// An area's page (the nation's for `national`).
    #[must_use]
    pub fn area(&self, area: &AreaRef) -> String {
        if area.level == "national" {
            return self.home();
        }
        self.page(
            &format!("/area/{}/{}", area.level, area.code),
            &format!("area/{}/{}.html", area.level, area.code),
        )
    }

    /// A table's page (`201301006.01`), or in a compact mirror its section of its centre's page.
    #[must_use]
    pub fn table(&self, id: &str) -> String {
        if let Some((centre_page, number)) = self.centre_page_of(id) {
            return self.in_page(&centre_page, &format!("t-{number}"));
        }
        self.page(&format!("/table/{id}"), &format!("table/{id}.html"))
    }

    /// An acta copy's page, or in a compact mirror its section of its centre's page; `table` is
    /// the copy's table (`201301006.01`).
    #[must_use]
    pub fn acta(&self, id: i64, table: &str) -> String {
        if let Some((centre_page, _)) = self.centre_page_of(table) {
            return self.in_page(&centre_page, &format!("acta-{id}"));
        }
        self.page(&format!("/acta/{id}"), &format!("acta/{id}.html"))
    }

    /// An area's analysis page (the nation's for `national`).
    #[must_use]
    pub fn analysis(&self, area: &AreaRef) -> String {
        if area.level == "national" {
            return self.page("/analysis", "analysis.html");
        }
        self.page(
            &format!("/analysis/{}/{}", area.level, area.code),
            &format!("analysis/{}/{}.html", area.level, area.code),
        )
    }

    /// In a compact mirror, the folder of the centres' pages in the language's folder
    /// (`../../area/centre/`), for the lookup script.
    #[must_use]
    pub fn centre_pages(&self) -> Option<String> {
        match &self.links {
            Links::Static {
                to_lang,
                shape:
                    StaticShape {
                        centre_level: Some(level),
                        ..
                    },
                ..
            } => Some(format!("{to_lang}area/{level}/")),
            _ => None,
        }
    }

    /// In a compact mirror, the page of a table's centre (in the language's folder) and the
    /// table's number, from its id (`201301006.01`).
    fn centre_page_of(&self, table: &str) -> Option<(String, u16)> {
        let Links::Static {
            shape:
                StaticShape {
                    centre_level: Some(level),
                    ..
                },
            ..
        } = &self.links
        else {
            return None;
        };
        let (centre, number) = table.rsplit_once('.')?;
        Some((format!("area/{level}/{centre}.html"), number.parse().ok()?))
    }

    /// A fragment of a page of the same language: `#fragment` when it is this page.
    fn in_page(&self, file: &str, fragment: &str) -> String {
        match &self.links {
            Links::Static { page, .. } if page == file => format!("#{fragment}"),
            _ => format!("{}#{fragment}", self.page(file, file)),
        }
    }

    /// Whether the page links its other language (a mirror of one language has none).
    pub(super) fn has_switch(&self) -> bool {
        match &self.links {
            Links::Server => true,
            Links::Static { shape, .. } => !shape.one_language,
        }
    }

    /// The lookup page.
    #[must_use]
    pub fn lookup(&self) -> String {
        self.page("/lookup", "lookup.html")
    }

    /// The method page.
    #[must_use]
    pub fn method(&self) -> String {
        self.page("/method", "method.html")
    }

    pub(super) fn json_href(&self) -> Option<String> {
        self.json.as_deref().map(|json| self.resource(json))
    }

    pub(super) fn switch(&self, lang: Lang) -> String {
        match &self.links {
            Links::Server => {
                let separator = if self.path.contains('?') { '&' } else { '?' };
                format!("{}{separator}lang={}", self.path, lang.tag())
            }
            Links::Static { to_root, page, .. } => format!("{to_root}{}/{page}", lang.tag()),
        }
    }
}
