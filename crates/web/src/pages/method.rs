//! The page that explains the method and how to verify, in each language.

use maud::{PreEscaped, html};

use super::Here;
use super::layout::layout;
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

/// The page that explains the method and how to verify.
#[must_use]
pub fn method_page(snapshot: &Snapshot, lang: Lang, here: &Here) -> String {
    let body = match lang {
        Lang::Es => METHOD_ES,
        Lang::En => METHOD_EN,
    };
    let (api, data) = if here.is_static() {
        ("api/v1/", "data/")
    } else {
        ("/api/v1/", "/api/v1/")
    };
    // A compact mirror has no JSON API: its machine-readable data is the open data, described in
    // data/README.txt.
    let compact = here.centre_pages().is_some();
    let body = if compact {
        body.replace(
            "<a href=\"{openapi}\">openapi.json</a>",
            &format!(
                "<a href=\"{}\">README.txt</a>",
                html! { (here.resource("/data/README.txt")) }.0
            ),
        )
        .replace("{api}", "data/")
    } else {
        body.to_owned()
    };
    let body = body
        .replace(
            "{openapi}",
            &html! { (here.resource("/api/v1/openapi.json")) }.0,
        )
        .replace("{api}", api)
        .replace("{data}", data)
        .replace(
            "{checkpoint}",
            &html! { (here.resource("/log/checkpoint")) }.0,
        )
        .replace(
            "{privacy}",
            lang.t(if here.is_static() {
                Text::PrivacyStatic
            } else {
                Text::PrivacyServer
            }),
        );
    layout(
        Some(snapshot),
        lang,
        lang.t(Text::NavMethod),
        here,
        // The method's text is this crate's own HTML; what is put into it is escaped above.
        &PreEscaped(body),
        false,
    )
}

const METHOD_ES: &str = "<h1>Método y verificación</h1>\
<h2>De dónde salen los números</h2>\
<p>Cada mesa de votación imprime un acta de escrutinio con los votos de cada tarjeta y un código QR con los mismos números. Testigos y voluntarios escanean o fotografían las actas; veedor lee el código QR de cada escaneo, guarda el archivo original con su huella SHA-256, y suma las actas mesa por mesa.</p>\
<h2>Qué se cuenta</h2>\
<ul><li><strong>Aceptada</strong>: una copia del acta, sin errores.</li>\
<li><strong>Corroborada</strong>: dos o más copias con los mismos números.</li>\
<li><strong>En conflicto</strong>: copias con números distintos; no se cuenta hasta que una persona lo resuelva.</li>\
<li><strong>Decidida</strong>: copias con números distintos y la decisión de un coordinador, publicada con su seudónimo y su motivo, de cuál vale; se cuenta esa copia. Una copia posterior con otros números la devuelve al conflicto.</li>\
<li><strong>Espera revisión</strong>: una copia con un error (más votos que electores, sumas que no cuadran); no se cuenta hasta que una persona la mire.</li>\
<li><strong>Sin acta</strong>: no ha llegado ninguna copia.</li></ul>\
<p>Solo se suman las mesas aceptadas, corroboradas y decididas. Nada se sobrescribe: cada copia queda guardada con su procedencia.</p>\
<h2>Cobertura</h2>\
<p>Un resultado solo vale por las actas en que se basa. Por eso cada resultado dice cuántas mesas cuenta, de cuántas, y cuántos electores inscritos reúnen; y ningún porcentaje aparece sin el número de mesas detrás.</p>\
<h2>Cómo verificar</h2>\
<ol><li>Busca tu mesa con tu cédula y abre su acta.</li>\
<li>Compara los números con el acta que viste o fotografiaste en tu centro.</li>\
<li>Descarga el escaneo original y calcula su SHA-256 (<code>sha256sum ARCHIVO</code>); debe coincidir con la huella publicada.</li>\
<li>Descarga los datos en JSON desde <code>{api}</code> (descritos en <a href=\"{openapi}\">openapi.json</a>) y suma tú mismo.</li></ol>\
<h2>Cómo comprobar una copia entera</h2>\
<p>Cada copia de acta es una entrada de un registro público de solo añadir (un árbol de Merkle, RFC 6962), y su estado se firma: el <a href=\"{checkpoint}\">punto de control</a> dice cuántas entradas tiene el registro y su raíz. Cualquiera puede copiar este sitio y alojarlo donde quiera; para comprobar que una copia está completa y sin cambios, consigue la clave pública del registro por otra vía (la web de los organizadores, la prensa) y ejecuta <code>veedor verify URL-DE-LA-COPIA --key CLAVE</code>: comprueba la firma, cada entrada, cada fila de los datos en <code>{data}</code>, cada total y cada escaneo. La página de cada acta muestra su prueba de inclusión.</p>\
<h2>Privacidad</h2>\
<p>El registro electoral guarda solo números de cédula y mesas, sin nombres. {privacy}</p>";

const METHOD_EN: &str = "<h1>Method and verification</h1>\
<h2>Where the numbers come from</h2>\
<p>Every polling table prints a tally sheet (acta) with the votes of each ballot card and a QR code with the same numbers. Witnesses and volunteers scan or photograph the actas; veedor reads the QR code of each scan, keeps the original file with its SHA-256 fingerprint, and adds the actas up table by table.</p>\
<h2>What is counted</h2>\
<ul><li><strong>Accepted</strong>: one copy of the acta, without errors.</li>\
<li><strong>Corroborated</strong>: two or more copies with the same numbers.</li>\
<li><strong>In conflict</strong>: copies with different numbers; not counted until a person resolves it.</li>\
<li><strong>Decided</strong>: copies with different numbers and a coordinator's decision, published with their pseudonym and reason, of which one stands; that copy is counted. A later copy with other numbers puts the table back in conflict.</li>\
<li><strong>Awaiting a person</strong>: a copy with an error (more votes than voters, sums that do not add up); not counted until a person looks.</li>\
<li><strong>Missing</strong>: no copy has arrived.</li></ul>\
<p>Only accepted, corroborated and decided tables are added up. Nothing is overwritten: every copy is kept with its provenance.</p>\
<h2>Coverage</h2>\
<p>A result is only as good as the actas behind it. So every result says how many tables it counts, out of how many, and how many registered voters they hold; and no percentage appears without the number of tables behind it.</p>\
<h2>How to verify</h2>\
<ol><li>Find your table with your ID number and open its acta.</li>\
<li>Compare the numbers with the acta you saw or photographed at your centre.</li>\
<li>Download the original scan and compute its SHA-256 (<code>sha256sum FILE</code>); it must equal the published fingerprint.</li>\
<li>Download the data as JSON from <code>{api}</code> (described in <a href=\"{openapi}\">openapi.json</a>) and add it up yourself.</li></ol>\
<h2>How to check a whole copy</h2>\
<p>Every acta copy is an entry of a public append-only log (a Merkle tree, RFC 6962), and its state is signed: the <a href=\"{checkpoint}\">checkpoint</a> says how many entries the log holds and its root. Anyone may copy this site and host it anywhere; to check that a copy is complete and unaltered, get the log's public key by another way (the organisers' own site, the press) and run <code>veedor verify URL-OF-THE-COPY --key KEY</code>: it checks the signature, every entry, every row of the data in <code>{data}</code>, every total and every scan. Each acta's page shows its inclusion proof.</p>\
<h2>Privacy</h2>\
<p>The voter registry holds only ID numbers and tables, no names. {privacy}</p>";
