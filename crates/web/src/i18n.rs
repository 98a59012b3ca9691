//! The two languages of the pages, Spanish and English: which one a request gets, the texts,
//! and how numbers are written in each.

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};

/// A language of the pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Español.
    Es,
    /// English.
    En,
}

/// The name of the cookie that keeps the choice.
pub const LANG_COOKIE: &str = "lang";

impl Lang {
    /// Both, Spanish first: the default for a Venezuelan election when nothing else says.
    pub const ALL: [Self; 2] = [Self::Es, Self::En];

    /// The language tag (`es`, `en`).
    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            Self::Es => "es",
            Self::En => "en",
        }
    }

    /// Parses a tag (`es`, `en`, also `es-VE`, `en-GB`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let primary = text.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "es" => Some(Self::Es),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The other language, for the switch link.
    #[must_use]
    pub const fn other(self) -> Self {
        match self {
            Self::Es => Self::En,
            Self::En => Self::Es,
        }
    }

    /// The text in this language, from its Spanish and English (the volunteers' pages, which
    /// are few and say much, keep their words beside the markup).
    #[must_use]
    pub const fn pick<'a>(self, es: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Es => es,
            Self::En => en,
        }
    }

    /// The language's own name.
    #[must_use]
    pub const fn own_name(self) -> &'static str {
        match self {
            Self::Es => "Español",
            Self::En => "English",
        }
    }

    /// The language of a request: `?lang=` first, then the cookie, then `Accept-Language`,
    /// then Spanish. Returns whether the choice came from the query (then the response sets the
    /// cookie).
    #[must_use]
    pub fn choose(query: Option<&str>, headers: &HeaderMap) -> (Self, bool) {
        if let Some(lang) = query.and_then(Self::parse) {
            return (lang, true);
        }
        let from_cookie = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == LANG_COOKIE)
            .and_then(|(_, value)| Self::parse(value));
        if let Some(lang) = from_cookie {
            return (lang, false);
        }
        let accepted = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .map(accept_language)
            .unwrap_or(None);
        (accepted.unwrap_or(Self::Es), false)
    }

    /// A number with thousands separators: `7.156.462` in Spanish, `7,156,462` in English.
    #[must_use]
    pub fn int(self, value: u64) -> String {
        let separator = match self {
            Self::Es => '.',
            Self::En => ',',
        };
        let digits = value.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                out.push(separator);
            }
            out.push(digit);
        }
        out
    }

    /// A percentage with `decimals` places: `67,14 %` in Spanish, `67.14%` in English.
    #[must_use]
    pub fn percent(self, value: f64, decimals: usize) -> String {
        let text = format!("{value:.decimals$}");
        match self {
            Self::Es => format!("{} %", text.replace('.', ",")),
            Self::En => format!("{text}%"),
        }
    }

    /// Points of difference with a sign: `+12,3` / `+12.3`.
    #[must_use]
    pub fn points(self, value: f64) -> String {
        let text = format!("{value:+.2}");
        match self {
            Self::Es => text.replace('.', ","),
            Self::En => text,
        }
    }

    /// A text of the pages.
    #[must_use]
    pub const fn t(self, text: Text) -> &'static str {
        let (es, en) = text.both();
        match self {
            Self::Es => es,
            Self::En => en,
        }
    }
}

/// The best supported language in an `Accept-Language` header, by its q-values.
fn accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else {
            continue;
        };
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if quality > 0.0 && best.is_none_or(|(_, q)| quality > q) {
            best = Some((lang, quality));
        }
    }
    best.map(|(lang, _)| lang)
}

macro_rules! texts {
    ($($name:ident => $es:literal, $en:literal;)*) => {
        /// Every fixed text of the pages.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Text { $(
            #[doc = $en]
            $name,
        )* }

        impl Text {
            const fn both(self) -> (&'static str, &'static str) {
                match self { $(Self::$name => ($es, $en),)* }
            }
        }
    };
}

texts! {
    SiteName => "veedor", "veedor";
    NavResults => "Resultados", "Results";
    NavLookup => "Busca tu mesa", "Find your table";
    NavMethod => "Método y verificación", "Method and verification";
    SkipToContent => "Ir al contenido", "Skip to content";
    WhatActasSay => "Lo que dicen las actas", "What the actas say";
    CoverageBased => "Basado en", "Based on";
    CoverageOf => "de", "of";
    CoverageTables => "mesas", "tables";
    CoverageHold => "que reúnen", "which hold";
    CoverageRegistered => "electores inscritos", "registered voters";
    AnalysisTitle => "¿Se sostiene el resultado?", "Does the result stand?";
    AnalysisMissing => "Lo que podrían cambiar las mesas que faltan", "What the missing tables could change";
    AnalysisLink => "Análisis completo: proyección, cifras oficiales y pruebas forenses", "Full analysis: projection, official figures and forensic tests";
    AnalysisIntro => "Lo que dicen las actas contadas más allá de sus totales. Cada cifra se puede reproducir a mano con los datos abiertos (docs/analysis.md).", "What the counted actas say beyond their totals. Every figure can be reproduced by hand from the open data (docs/analysis.md).";
    AnalysisMargin => "Ventaja del primero", "Leader's margin";
    AnalysisWithout => "Electores inscritos en mesas sin acta aceptada", "Registered voters of tables without an accepted acta";
    AnalysisAtLeast => "al menos", "at least";
    AnalysisHighest => "Votos de esas mesas con la participación más alta observada", "Their votes at the highest turnout observed";
    AnalysisTipping => "Porcentaje de esos votos que necesitaría el segundo", "Share of those votes the runner-up would need";
    VerdictCannot => "no pueden cambiar al ganador", "cannot change the winner";
    VerdictCould => "podrían cambiar al ganador", "could change the winner";
    VerdictUnknown => "no se puede saber", "cannot be said";
    ProjectionTitle => "Proyección de toda la elección", "Projection of the whole election";
    ProjectionActas => "Actas contadas", "Counted actas";
    ProjectionEstimate => "Proyección", "Projection";
    ProjectionInterval => "Intervalo del 95 %", "95% interval";
    ProjectionChart => "Proyección de cada candidato con su intervalo del 95 %; la marca fina es su porcentaje en las actas contadas", "Each candidate's projection with its 95% interval; the thin mark is their share in the counted actas";
    Assumption => "Supuesto", "Assumption";
    MethodWord => "Método", "Method";
    OfficialChecks => "Frente a las cifras oficiales", "Against the official figures";
    Impossible => "Imposible", "Impossible";
    ForensicsTitle => "Pruebas forenses", "Forensic tests";
    LastDigit => "Último dígito (uniforme)", "Last digit (uniform)";
    SecondDigit => "Segundo dígito (Benford)", "Second digit (Benford)";
    ZeroOrFive => "Terminadas en 0 o 5", "Ending in 0 or 5";
    Observed => "observado", "observed";
    ExpectedWord => "esperado", "expected";
    PValue => "valor p", "p-value";
    CountsWord => "cifras", "counts";
    TooFew => "muy pocas cifras para la prueba", "too few counts for the test";
    DigitChart => "Cifras de votos por último dígito: barras observadas, línea esperada", "Vote counts by last digit: bars observed, line expected";
    FingerprintTitle => "Participación frente a porcentaje (huella de Klimek et al., PNAS 2012)", "Turnout against share (Klimek et al.'s fingerprint, PNAS 2012)";
    FingerprintNote => "Cada celda cuenta las mesas con esa participación (de izquierda a derecha, 0 a 100 %) y ese porcentaje del candidato (de abajo arriba, 0 a 100 %); más oscura, más mesas. Los autores señalan como anomalía una mancha en la esquina superior derecha, donde participación y porcentaje rozan el 100 %.", "Each cell counts the tables at that turnout (left to right, 0 to 100%) and that share for the candidate (bottom to top, 0 to 100%); darker, more tables. The authors point to a patch in the top right corner, where turnout and share near 100%, as the anomaly.";
    FingerprintCorner => "Mesas con participación y porcentaje de al menos 95 %", "Tables with turnout and share both at least 95%";
    Turnout => "Participación", "Turnout";
    Replicates => "réplicas del bootstrap:", "bootstrap replicates:";
    Seed => "semilla", "seed";
    Correlation => "Correlación entre participación y porcentaje", "Correlation of turnout and share";
    AnalysisAreas => "Por zona", "By area";
    CoverageUnknown => "de un total esperado que nada declara", "of an expected total that nothing declares";
    CoverageNone => "Todavía no hay actas contadas aquí: no hay resultado que mostrar.", "No acta is counted here yet: there is no result to show.";
    Candidate => "Candidato", "Candidate";
    Votes => "Votos", "Votes";
    Share => "Porcentaje", "Share";
    ValidVotes => "Votos válidos", "Valid votes";
    NullVotes => "Votos nulos", "Null votes";
    Seal => "Firma de la autoridad electoral", "The electoral authority's signature";
    SealVerified => "verificada con la clave", "verified with the key";
    SealBroken => "no se sostiene:", "does not hold:";
    SealUnchecked => "no se pudo comprobar:", "could not be checked:";
    ChartLabel => "Porcentaje de votos válidos por candidato según las actas contadas", "Share of the valid votes per candidate in the counted actas";
    TableStatuses => "Estado de las mesas", "Tables by status";
    StatusAccepted => "aceptada", "accepted";
    StatusCorroborated => "corroborada", "corroborated";
    StatusConflict => "impugnada: copias distintas", "contested: copies differ";
    StatusDecided => "decidida: copias distintas, un coordinador eligió una", "decided: copies differ, a coordinator chose one";
    DecidedTable => "Sus copias dicen números distintos; un coordinador decidió cuál vale, y la mesa se cuenta con sus números.", "Its copies give different numbers; a coordinator decided which stands, and the table is counted with its numbers.";
    DecisionKept => "Se cuenta", "Counted";
    DecisionBy => "decisión de", "decision by";
    DecisionReason => "Motivo", "Reason";
    DecisionOutdated => "Una decisión anterior eligió una copia, pero una copia recibida después dice otros números: la decisión ya no la cubre y la mesa vuelve a estar impugnada.", "An earlier decision chose a copy, but a copy received since gives other numbers: the decision no longer covers it, and the table is contested again.";
    ContestedVotes => "Votos en disputa (mesas impugnadas, no contados hasta que una persona decida)", "Votes at stake (contested tables, not counted until a person decides)";
    ContestedTable => "Sus copias dicen números distintos: la mesa está impugnada y no se cuenta hasta que una persona decida cuál vale. Están en juego hasta", "Its copies give different numbers: the table is contested and not counted until a person decides which stands. At stake: up to";
    VotesWord => "votos", "votes";
    Evidence => "Pruebas independientes", "Independent evidence";
    EvidenceNote => "Copias del mismo origen (el mismo escáner o voluntario, el mismo archivo o la misma imagen) son una sola prueba: solo se corroboran con otro origen.", "Copies of one origin (the same scanner or volunteer, the same file, or the same image) are one piece of evidence: only another origin corroborates them.";
    SameImageAs => "misma imagen que", "same image as";
    PublishedHashOf => "La huella del escaneo publicado (sin metadatos: ni posición, ni dispositivo, ni horas):", "The fingerprint of the published scan (without metadata: no position, device or times):";
    OriginalHashOf => "La huella del archivo original, que guarda quien lo envió y no se publica:", "The fingerprint of the original file, which its sender keeps and which is not published:";
    StatusAwaiting => "espera revisión de una persona", "awaiting a person";
    StatusMissing => "sin acta", "missing";
    Official => "Frente a los boletines oficiales", "Beside the official bulletins";
    OfficialIntro => "Los boletines del CNE no publicaron resultados por mesa. Cada porcentaje es del total de votos válidos de su propia fuente.", "The electoral council's bulletins published no per-table results. Each share is of its own source's valid votes.";
    OfficialClaimed => "declaró haber contado", "claimed to count";
    OfficialOfActas => "de las actas", "of the actas";
    Actas => "Actas", "Actas";
    OfficialCol => "Oficial", "Official";
    Difference => "Diferencia (puntos)", "Difference (points)";
    Others => "Los demás", "The others";
    ByLevel => "Por", "By";
    Area => "Área", "Area";
    Code => "Código", "Code";
    TablesCounted => "Mesas contadas", "Tables counted";
    Leader => "Primero", "First";
    Second => "Segundo", "Second";
    NoName => "(nombre desconocido)", "(name not known)";
    National => "Nacional", "National";
    UpTo => "Subir a", "Up to";
    TablesOfCentre => "Mesas de este centro", "Tables of this centre";
    TableWord => "Mesa", "Table";
    Registered => "Electores inscritos", "Registered voters";
    Unknown => "desconocido", "unknown";
    MissingOfKnown => "entre las mesas conocidas; el total esperado no se sabe", "among the known tables; the expected total is unknown";
    Status => "Estado", "Status";
    Counted => "contada", "counted";
    NotCounted => "no contada", "not counted";
    CopiesOfActa => "Copias de su acta", "Copies of its acta";
    NoCopies => "Ninguna copia de esta acta ha llegado todavía.", "No copy of this acta has arrived yet.";
    CopyWord => "Copia", "Copy";
    Scan => "Escaneo", "Scan";
    NoScan => "sin escaneo", "no scan";
    OpenActa => "ver el acta", "see the acta";
    SourceQr => "código QR de un acta escaneada", "QR code of a scanned acta";
    SourceManual => "transcrita por voluntarios", "typed by volunteers";
    SourceCsv => "fila de un archivo de resultados publicado", "row of a published result file";
    SourcePayload => "contenido de un código QR importado como texto", "QR payload imported as text";
    ResultOfTable => "Resultado de esta mesa (una sola mesa)", "This table's result (one table)";
    ResultNone => "Sin resultado: falta el acta o sus copias no coinciden.", "No result: the acta is missing or its copies disagree.";
    Findings => "Observaciones", "Findings";
    Error => "error", "error";
    Warning => "aviso", "warning";
    ActaTitle => "Acta", "Acta";
    OfTable => "de la mesa", "of table";
    ScanSmallAlt => "Escaneo del acta de la mesa", "Scan of the acta of table";
    ScanOriginal => "Descargar el original", "Download the original";
    ScanMissing => "Esta copia no viene de un escaneo guardado aquí: no hay imagen que mostrar.", "This copy does not come from a scan kept here: there is no image to show.";
    HashTitle => "Huella SHA-256", "SHA-256 fingerprint";
    HashHow => "Para comprobar un archivo, descárguelo y calcule su SHA-256; debe ser igual a su huella, carácter por carácter.", "To check a file, download it and compute its SHA-256; it must equal its fingerprint, character by character.";
    HashOf => "La huella es del archivo entero del que salió esta copia:", "The fingerprint is of the whole file this copy came from:";
    Provenance => "Procedencia", "Provenance";
    Source => "Origen", "Source";
    FileName => "Archivo", "File";
    Location => "Ubicación", "Location";
    Page => "página", "page";
    Line => "línea", "line";
    Received => "Recibida", "Received";
    Device => "Dispositivo", "Device";
    Volunteer => "Voluntario (seudónimo)", "Volunteer (pseudonym)";
    EnteredBy => "Transcrita por (seudónimos; dos entradas independientes iguales)", "Typed by (pseudonyms; two independent entries that agreed)";
    Decoded => "Lo que dice esta copia", "What this copy says";
    Card => "Tarjeta", "Card";
    LookupTitle => "Busca tu mesa", "Find your table";
    LookupIntro => "Escribe tu número de cédula para ver tu centro de votación, tu mesa y lo que dice su acta.", "Type your ID number to see your voting centre, your table and what its acta says.";
    LookupLabel => "Número de cédula", "ID number";
    LookupHint => "Solo los números, por ejemplo 12345678. No guardamos lo que buscas.", "Just the digits, for example 12345678. We keep no record of what you search.";
    LookupButton => "Buscar", "Search";
    LookupFoundVoter => "La cédula", "ID";
    LookupVotesAt => "vota en la", "votes at";
    LookupOfCentre => "del centro", "of the centre";
    LookupSeeCentre => "Ver todas las mesas de este centro", "See every table of this centre";
    LookupNotFound => "No encontramos esa cédula en el registro electoral que tenemos. Revisa el número; si es correcto, puede que no estuvieras inscrito para esta elección o que nuestro registro esté incompleto.", "We did not find that ID in the voter registry we have. Please check the number; if it is right, you may not have been registered for this election, or our registry may be incomplete.";
    LookupInvalid => "Eso no parece un número de cédula. Escribe solo los números, por ejemplo 12345678.", "That does not look like an ID number. Please type only the digits, for example 12345678.";
    LookupNoRegistry => "El registro electoral todavía no está cargado en este servidor: no podemos buscar cédulas por ahora.", "The voter registry is not loaded on this server yet: we cannot look up IDs for now.";
    TooManyTitle => "Demasiadas búsquedas", "Too many searches";
    TooManyText => "Se hicieron demasiadas búsquedas desde tu conexión. Espera un momento y vuelve a intentarlo. Este límite protege a los electores: impide que alguien copie el registro entero.", "Too many searches came from your connection. Please wait a moment and try again. This limit protects voters: it stops anyone from copying the whole registry.";
    TryAgainIn => "Puedes volver a intentarlo en", "You can try again in";
    Seconds => "segundos", "seconds";
    NotFoundTitle => "No encontrado", "Not found";
    NotFoundText => "No hay nada en esta dirección.", "There is nothing at this address.";
    BadRequestTitle => "Solicitud no válida", "Invalid request";
    ErrorTitle => "Algo falló", "Something went wrong";
    ErrorText => "El servidor no pudo responder. Inténtalo de nuevo en un momento.", "The server could not answer. Please try again in a moment.";
    UnavailableTitle => "Aún no disponible", "Not available yet";
    Reference => "Referencia", "Reference";
    BackHome => "Volver a los resultados", "Back to the results";
    AsJson => "Esta página en JSON", "This page as JSON";
    DataAsOf => "Datos cargados el", "Data loaded at";
    Footer => "veedor: software libre para que cualquiera verifique una elección con sus actas.", "veedor: free software with which anyone verifies an election from its actas.";
    Percent => "%", "%";
    DataAsOfCheckpoint => "Datos del punto de control firmado el", "Data of the checkpoint signed at";
    FooterLog => "Registro de transparencia:", "Transparency log:";
    FooterCheckpoint => "punto de control de", "checkpoint of";
    StaticBrowse => "busca tu centro por estado, municipio y parroquia", "find your centre by state, municipality and parish";
    StaticNoLookup => "Esta copia del sitio no incluye la búsqueda por cédula:", "This copy of the site has no search by ID number:";
    StaticNoScript => "En esta copia del sitio, la búsqueda por cédula necesita JavaScript. Sin él,", "In this copy of the site, searching by ID number needs JavaScript. Without it,";
    StaticSearching => "Buscando…", "Searching…";
    StaticFailed => "No se pudo leer la búsqueda de esta copia (¿está incompleta, o abierta desde un disco?). Busca tu centro por estado, municipio y parroquia.", "The lookup files of this copy could not be read (is it incomplete, or opened from a disk?). Find your centre by state, municipality and parish.";
    PrivacyServer => "Las búsquedas no se registran, y un límite por conexión impide copiar el registro entero.", "Searches are not logged, and a limit per connection stops anyone from copying the whole registry.";
    PrivacyStatic => "Esta copia estática busca tu cédula en tu propio navegador: descarga un pequeño archivo con las huellas SHA-256 de unos cientos de cédulas (nunca las cédulas en claro) y no envía lo que escribes a nadie. Esas huellas solo impiden listar el registro de un vistazo: quien pruebe todos los números posibles puede reconstruir qué cédula vota en qué mesa.", "This static copy looks up your ID in your own browser: it downloads a small file of a few hundred IDs hashed with SHA-256 (never the ID in the clear) and sends what you type to no one. The hashing only stops casual listing of the registry: someone who tries every possible number can rebuild which ID votes at which table.";
    LogTitle => "En el registro de transparencia", "In the transparency log";
    LogEntryIs => "Esta copia es la entrada", "This copy is entry";
    LogNotYet => "Todavía no está en un punto de control firmado y publicado: lo estará tras el próximo lote.", "It is not yet in a signed, published checkpoint: it will be after the next batch.";
    LogNone => "Esta copia no está en el registro de transparencia.", "This copy is not in the transparency log.";
    LogIncluded => "El registro la incluye en su", "The log includes it in its";
    LogCheckpointOf => "punto de control firmado de", "signed checkpoint of";
    LogEntries => "entradas", "entries";
    LogBundle => "Lote de entradas", "Entry bundle";
    LogPosition => "posición", "position";
    LogLeafHash => "Hash de hoja", "Leaf hash";
    LogRoot => "Raíz del punto de control", "Checkpoint's root";
    LogName => "Registro", "Log";
    LogProof => "Prueba de inclusión (de abajo arriba)", "Inclusion proof (bottom up)";
    LogHowTitle => "Cómo comprobarlo", "How to check it";
    LogHowEntry => "Descarga el lote de entradas: cada entrada va precedida de su longitud en dos bytes (big-endian); la de esta copia es la de la posición indicada, contando desde 0. Es texto: el tipo de copia, la mesa, los votos y el SHA-256 del archivo del que salió.", "Download the entry bundle: each entry is preceded by its length in two bytes (big-endian); this copy's is at the position shown, counting from 0. It is text: the kind of copy, the table, the votes and the SHA-256 of the file it came from.";
    LogHowLeaf => "Su hash de hoja es SHA-256 del byte 0x00 seguido de los bytes de la entrada; debe ser el de arriba.", "Its leaf hash is SHA-256 of the byte 0x00 followed by the entry's bytes; it must be the one above.";
    LogHowProof => "Combina ese hash con los de la prueba, en orden, como dice RFC 9162 (sección 2.1.3.2; cada nodo es SHA-256 de 0x01 y sus dos hijos): debe dar la raíz del punto de control.", "Combine that hash with the proof's, in order, as RFC 9162 says (section 2.1.3.2; each node is SHA-256 of 0x01 and its two children): it must give the checkpoint's root.";
    LogHowSignature => "El punto de control está firmado: comprueba la firma con la clave pública del registro, obtenida de sus organizadores por otra vía. veedor verify URL --key CLAVE hace todo esto con cada entrada de una copia.", "The checkpoint is signed: check its signature with the log's public key, obtained from its organisers by another way. veedor verify URL --key KEY does all of this for every entry of a copy.";
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn choose(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Lang {
        let mut headers = HeaderMap::new();
        if let Some(cookie) = cookie {
            headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        }
        if let Some(accept) = accept {
            headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_str(accept).unwrap());
        }
        Lang::choose(query, &headers).0
    }

    #[test]
    fn language_comes_from_query_cookie_header_in_that_order() {
        assert_eq!(choose(None, None, None), Lang::Es);
        assert_eq!(choose(None, None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(choose(None, None, Some("fr, es;q=0.5, en;q=0.8")), Lang::En);
        assert_eq!(choose(None, None, Some("de")), Lang::Es);
        assert_eq!(choose(None, Some("a=1; lang=en"), Some("es")), Lang::En);
        assert_eq!(choose(Some("es"), Some("lang=en"), Some("en")), Lang::Es);
        assert_eq!(choose(Some("xx"), Some("lang=en"), None), Lang::En);
    }

    #[test]
    fn numbers_are_written_as_each_language_does() {
        assert_eq!(Lang::Es.int(7_156_462), "7.156.462");
        assert_eq!(Lang::En.int(7_156_462), "7,156,462");
        assert_eq!(Lang::En.int(999), "999");
        assert_eq!(Lang::Es.percent(67.139, 2), "67,14 %");
        assert_eq!(Lang::En.percent(67.139, 1), "67.1%");
        assert_eq!(Lang::Es.points(-3.256), "-3,26");
    }
}
