//! The desk's pages: server-rendered forms that work on a cheap phone without JavaScript, in
//! Spanish and English, every `POST` form carrying the session's CSRF token.

use std::collections::BTreeMap;

use maud::{Markup, PreEscaped, html};
use serde_json::{Value, json};
use veedor_app::intake::ScanReport;
use veedor_core::entry::{Phase, Role, Task};
use veedor_core::{CentreCode, Counts, Election, Finding, Pseudonym, Sha256, TableId, TableNumber};
use veedor_store::{Account, AuditEvent};

use super::DeskOptions;
use super::common::Signed;
use crate::i18n::Lang;

/// A page waiting for people, as the queue shows it.
#[derive(Clone, Debug)]
pub(super) struct TaskRow {
    pub id: i64,
    pub file_name: String,
    pub page: u32,
    pub reason: String,
    pub phase: &'static str,
    pub entries: usize,
    pub claimed_by: Option<Pseudonym>,
    /// Whether the volunteer asking may claim it now.
    pub offered: bool,
    /// Its first-level area, when anyone said.
    pub area: Option<String>,
    /// That area's table coverage, in percent (the nation's when unknown).
    pub coverage: f64,
}

/// The labels of the counts a sheet carries, in the ballot's order: one per card (its party and
/// candidate), or one per candidate when the ballot has no cards.
pub(super) fn count_labels(election: &Election) -> Vec<String> {
    if election.cards.is_empty() {
        election
            .candidates
            .iter()
            .map(|candidate| candidate.name.clone())
            .collect()
    } else {
        election
            .cards
            .iter()
            .map(|card| {
                let candidate = election
                    .candidates
                    .get(card.candidate)
                    .map_or("", |candidate| candidate.name.as_str());
                format!("{} · {candidate}", card.party)
            })
            .collect()
    }
}

/// The entry form's values, as typed (shown again with the findings).
#[derive(Clone, Debug, Default)]
pub(super) struct EntryForm {
    pub centre: String,
    pub number: String,
    pub counts: Vec<String>,
    pub null_votes: String,
    pub stated_valid_votes: String,
    pub stated_registered: String,
    /// The election file's declared counts, in the sheet's order (`d0`...`dN`).
    pub declared_counts: Vec<String>,
    /// The typist has seen the findings once.
    pub reviewed: bool,
    /// The typist confirms that the sheet says what was typed, errors and all.
    pub confirm: bool,
    /// The findings include errors.
    pub has_errors: bool,
    /// What is wrong with the form itself.
    pub message: Option<String>,
}

fn number(text: &str, field: &str) -> Result<Option<u32>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>().map(Some).map_err(|_| {
        format!(
            "{field}: `{}` is not a whole number",
            text.chars().take(12).collect::<String>()
        )
    })
}

impl EntryForm {
    pub fn blank(election: &Election) -> Self {
        Self {
            counts: vec![String::new(); count_labels(election).len()],
            declared_counts: vec![String::new(); election.sheet.counts.len()],
            ..Self::default()
        }
    }

    /// The entry the form holds, or what is wrong with it.
    pub fn entry(&self, election: &Election) -> Result<veedor_core::entry::Entry, String> {
        let digits = election.geography.centre_digits;
        let centre =
            CentreCode::parse(&self.centre, digits).map_err(|error| format!("centre: {error}"))?;
        let number = TableNumber::parse(&self.number).map_err(|error| format!("table: {error}"))?;
        let labels = count_labels(election);
        let mut counts = Vec::with_capacity(self.counts.len());
        for (value, label) in self.counts.iter().zip(&labels) {
            counts.push(self::number(value, label)?.unwrap_or(0));
        }
        Ok(veedor_core::entry::Entry {
            table: TableId { centre, number },
            counts: if election.cards.is_empty() {
                Counts::Candidates(counts)
            } else {
                Counts::Cells(counts)
            },
            null_votes: self::number(&self.null_votes, "null votes")?,
            stated_valid_votes: self::number(&self.stated_valid_votes, "valid votes")?,
            stated_registered: self::number(&self.stated_registered, "registered voters")?,
            declared_counts: election
                .sheet
                .counts
                .iter()
                .zip(&self.declared_counts)
                .map(|(count, value)| {
                    Ok(self::number(value, &count.id)?.map(|value| (count.id.clone(), value)))
                })
                .filter_map(Result::transpose)
                .collect::<Result<_, String>>()?,
        })
    }
}

/// What became of one uploaded file.
#[derive(Clone, Debug)]
pub(super) struct UploadLine {
    pub name: String,
    pub sha256: Sha256,
    /// Added to the store (not refused, not already there).
    pub stored: bool,
    pub refused: Option<String>,
    pub already: bool,
    /// Tables read from its pages.
    pub tables: Vec<String>,
    /// Pages waiting for people: (page, why).
    pub queued: Vec<(u32, String)>,
    /// Findings of the copies read.
    pub findings: Vec<String>,
    /// The table the uploader gave, when the code read says another.
    pub mismatch: Option<String>,
}

impl UploadLine {
    pub fn new(name: String, sha256: Sha256) -> Self {
        Self {
            name,
            sha256,
            stored: false,
            refused: None,
            already: false,
            tables: Vec::new(),
            queued: Vec::new(),
            findings: Vec::new(),
            mismatch: None,
        }
    }

    pub fn absorb(&mut self, report: &ScanReport, digits: u8, hint: Option<TableId>) {
        self.already = report.already;
        self.tables = report
            .tables
            .iter()
            .map(|table| table.display(digits))
            .collect();
        self.queued.clone_from(&report.queued);
        self.findings = report
            .findings
            .iter()
            .map(|code| code.code().to_owned())
            .collect();
        if let Some(hint) = hint
            && !report.tables.is_empty()
            && !report.tables.contains(&hint)
        {
            self.mismatch = Some(hint.display(digits));
        }
    }

    pub fn to_json(&self) -> Value {
        let outcome = if self.refused.is_some() {
            "refused"
        } else if self.already {
            "already_received"
        } else if !self.tables.is_empty() && self.queued.is_empty() {
            "counted"
        } else if self.tables.is_empty() {
            "waiting_for_people"
        } else {
            "partly_waiting"
        };
        json!({
            "file": self.name,
            "sha256": self.sha256.to_hex(),
            "outcome": outcome,
            "refused": self.refused,
            "tables": self.tables,
            "waiting_pages": self.queued.iter().map(|(page, why)| json!({ "page": page, "why": why })).collect::<Vec<_>>(),
            "findings": self.findings,
            "table_given_differs": self.mismatch,
        })
    }
}

fn href(path: &str, lang: Lang) -> String {
    format!(
        "{path}{}lang={}",
        if path.contains('?') { "&" } else { "?" },
        lang.tag()
    )
}

fn csrf(who: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.session.csrf); }
}

fn role_name(role: Role, lang: Lang) -> &'static str {
    match role {
        Role::Coordinator => lang.pick("coordinación", "coordinator"),
        Role::Typist => lang.pick("digitación", "typist"),
        Role::Uploader => lang.pick("envío de actas", "uploader"),
        Role::Observer => lang.pick("observación", "observer"),
    }
}

/// The frame of every desk page.
fn layout(lang: Lang, who: Option<&Signed>, title: &str, body: &Markup) -> String {
    let page = html! {
        (PreEscaped("<!doctype html>"))
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · veedor" }
                link rel="stylesheet" href="/static/style.css";
            }
            body {
                a class="skip" href="#main" { (lang.pick("Ir al contenido", "Skip to content")) }
                header { nav aria-label=(lang.pick("Voluntariado", "Volunteers")) {
                    a class="brand" href=(href("/volunteer/", lang)) { "veedor · " (lang.pick("voluntariado", "volunteers")) } " "
                    @if let Some(who) = who {
                        @if matches!(who.role(), Role::Typist | Role::Coordinator | Role::Observer) {
                            a href=(href("/volunteer/tasks", lang)) { (lang.pick("Tareas", "Tasks")) } " "
                        }
                        @if who.role() == Role::Uploader {
                            a href=(href("/volunteer/upload", lang)) { (lang.pick("Enviar actas", "Upload")) } " "
                        }
                        @if matches!(who.role(), Role::Coordinator | Role::Observer) {
                            a href=(href("/volunteer/conflicts", lang)) { (lang.pick("Conflictos", "Conflicts")) } " "
                        }
                        @if who.role() == Role::Coordinator {
                            a href=(href("/volunteer/users", lang)) { (lang.pick("Voluntarios", "Volunteers")) } " "
                            a href=(href("/volunteer/audit", lang)) { (lang.pick("Registro", "Audit")) } " "
                        }
                    }
                    a class="lang" href=(format!("?lang={}", lang.other().tag())) hreflang=(lang.other().tag()) lang=(lang.other().tag()) {
                        (lang.other().own_name())
                    }
                } }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
                footer {
                    @if let Some(who) = who {
                        form class="inline" method="post" action=(href("/volunteer/sign-out", lang)) {
                            (csrf(who))
                            (lang.pick("Sesión de", "Signed in as")) " " strong { (who.account.pseudonym) }
                            " (" (role_name(who.role(), lang)) ") "
                            button type="submit" { (lang.pick("Salir", "Sign out")) }
                        }
                    }
                    p { a href=(href("/", lang)) { (lang.pick("Sitio público de resultados", "Public results site")) } }
                }
            }
        }
    };
    page.into_string()
}

/// An error or a notice.
pub(super) fn message(
    lang: Lang,
    who: Option<&Signed>,
    status: u16,
    text: &str,
    sign_in: bool,
) -> String {
    let title = match status {
        401 => lang.pick("Hay que entrar", "Sign in"),
        403 => lang.pick("No permitido", "Not allowed"),
        404 => lang.pick("No encontrado", "Not found"),
        429 => lang.pick("Demasiados intentos", "Too many attempts"),
        413 => lang.pick("Demasiado grande", "Too large"),
        409 => lang.pick("No se pudo hacer", "Could not be done"),
        400 | 422 => lang.pick("Revise lo enviado", "Check what was sent"),
        _ => lang.pick("Error", "Error"),
    };
    layout(
        lang,
        who,
        title,
        &html! {
            p class="v-alert" role="alert" { (text) }
            @if sign_in {
                p { a href=(href("/volunteer/", lang)) { (lang.pick("Entrar", "Sign in")) } }
            }
        },
    )
}

fn field(id: &str, label: &str, kind: &str, autocomplete: &str) -> Markup {
    html! {
        p class="field" {
            label for=(id) { (label) }
            input id=(id) name=(id) type=(kind) autocomplete=(autocomplete) required;
        }
    }
}

/// The sign-in form.
pub(super) fn sign_in(lang: Lang, notice: Option<&str>) -> String {
    layout(
        lang,
        None,
        lang.pick("Entrar", "Sign in"),
        &html! {
            @if let Some(notice) = notice { p class="v-alert" role="alert" { (notice) } }
            form class="vform" method="post" action=(href("/volunteer/sign-in", lang)) {
                (field("pseudonym", lang.pick("Seudónimo", "Pseudonym"), "text", "username"))
                (field("passphrase", lang.pick("Contraseña", "Passphrase"), "password", "current-password"))
                button type="submit" { (lang.pick("Entrar", "Sign in")) }
            }
            p {
                (lang.pick("¿Primera vez? ", "First time? "))
                a href=(href("/volunteer/activate", lang)) {
                    (lang.pick("Elija su contraseña con su código de acceso", "Choose your passphrase with your sign-in code"))
                }
            }
            p class="note" { (lang.pick(
                "Solo seudónimos: veedor nunca pide ni guarda nombres, correos ni teléfonos.",
                "Pseudonyms only: veedor never asks for or keeps names, e-mails or phone numbers.")) }
        },
    )
}

/// The form to set a passphrase with the one-time code.
pub(super) fn activate(lang: Lang, notice: Option<&str>) -> String {
    layout(
        lang,
        None,
        lang.pick("Elegir contraseña", "Choose a passphrase"),
        &html! {
            @if let Some(notice) = notice { p class="v-alert" role="alert" { (notice) } }
            form class="vform" method="post" action=(href("/volunteer/activate", lang)) {
                (field("pseudonym", lang.pick("Seudónimo", "Pseudonym"), "text", "username"))
                (field("code", lang.pick("Código de acceso (de un solo uso)", "Sign-in code (one use)"), "text", "one-time-code"))
                (field("passphrase", lang.pick("Contraseña nueva (12 caracteres o más)", "New passphrase (12 characters or more)"), "password", "new-password"))
                (field("again", lang.pick("La misma contraseña otra vez", "The same passphrase again"), "password", "new-password"))
                button type="submit" { (lang.pick("Guardar", "Save")) }
            }
        },
    )
}

/// What a signed-in volunteer can do.
pub(super) fn home(lang: Lang, who: &Signed) -> String {
    layout(
        lang,
        Some(who),
        lang.pick("Voluntariado", "Volunteers"),
        &html! {
            p { (lang.pick("Su papel: ", "Your role: ")) strong { (role_name(who.role(), lang)) } "." }
            ul {
                @match who.role() {
                    Role::Typist => {
                        li { a href=(href("/volunteer/tasks", lang)) { (lang.pick("Digitar actas que ninguna máquina pudo leer", "Type sheets no machine could read")) } }
                    }
                    Role::Uploader => {
                        li { a href=(href("/volunteer/upload", lang)) { (lang.pick("Enviar fotos o escaneos de actas", "Send photos or scans of actas")) } }
                    }
                    Role::Coordinator => {
                        li { a href=(href("/volunteer/tasks", lang)) { (lang.pick("Tareas y desacuerdos", "Tasks and disagreements")) } }
                    li { a href=(href("/volunteer/conflicts", lang)) { (lang.pick("Mesas cuyas copias no coinciden", "Tables whose copies disagree")) } }
                        li { a href=(href("/volunteer/users", lang)) { (lang.pick("Voluntarios", "Volunteers")) } }
                        li { a href=(href("/volunteer/audit", lang)) { (lang.pick("Registro de acciones", "Audit log")) } }
                    }
                    Role::Observer => {
                        li { a href=(href("/volunteer/tasks", lang)) { (lang.pick("Colas de trabajo", "Work queues")) } }
                    }
                }
            }
        },
    )
}

fn phase_name(phase: &str, lang: Lang) -> &'static str {
    match phase {
        "open" => lang.pick("abierta", "open"),
        "disputed" => lang.pick("en disputa", "disputed"),
        _ => lang.pick("resuelta", "settled"),
    }
}

/// The work queue.
pub(super) fn tasks(lang: Lang, who: &Signed, rows: &[TaskRow]) -> String {
    let open = rows.iter().filter(|row| row.phase != "settled").count();
    layout(
        lang,
        Some(who),
        lang.pick("Tareas", "Tasks"),
        &html! {
            p { (lang.int(open as u64)) " " (lang.pick("páginas esperan a personas.", "pages wait for people.")) " "
                (lang.pick("Primero las de las zonas con menos actas.", "Those of the least covered areas first.")) }
            @if who.role() == Role::Typist {
                form class="vform" method="post" action=(href("/volunteer/tasks/next", lang)) {
                    (csrf(who))
                    button type="submit" { (lang.pick("Tomar la siguiente", "Take the next one")) }
                }
            }
            div class="wide" tabindex="0" role="region" aria-label=(lang.pick("Tabla desplazable", "Scrollable table")) { table {
                caption { (lang.pick("Páginas", "Pages")) }
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (lang.pick("Página", "Page")) }
                    th scope="col" { (lang.pick("Zona", "Area")) }
                    th scope="col" { (lang.pick("Estado", "State")) }
                    th scope="col" { (lang.pick("Entradas", "Entries")) }
                } }
                tbody {
                    @for row in rows {
                        tr {
                            td { a href=(href(&format!("/volunteer/tasks/{}", row.id), lang)) { (row.id) } }
                            td { (row.file_name) ", p. " (row.page) br; small { (row.reason) } }
                            td { (row.area.as_deref().unwrap_or("?")) br; small { (lang.percent(row.coverage, 1)) } }
                            td {
                                (phase_name(row.phase, lang))
                                @if let Some(by) = &row.claimed_by { br; small { (lang.pick("tomada por ", "claimed by ")) (by) } }
                            }
                            td { (row.entries) }
                        }
                    }
                }
            } }
        },
    )
}

fn finding_list(findings: &[Finding], lang: Lang) -> Markup {
    html! {
        @if !findings.is_empty() {
            div class="v-alert" role="alert" {
                p { strong { (lang.pick("Revise antes de enviar:", "Check before sending:")) } }
                ul { @for finding in findings {
                    li {
                        strong { (finding.code.code()) } " "
                        @if finding.is_error() { (lang.pick("(error) ", "(error) ")) } @else { (lang.pick("(aviso) ", "(warning) ")) }
                        (finding.detail)
                    }
                } }
            }
        }
    }
}

fn number_field(id: &str, label: &str, value: &str, required: bool) -> Markup {
    html! {
        p class="field" {
            label for=(id) { (label) }
            input id=(id) name=(id) type="text" inputmode="numeric" pattern="[0-9]*" value=(value) required[required];
        }
    }
}

fn entry_form(
    lang: Lang,
    who: &Signed,
    election: &Election,
    id: i64,
    form: &EntryForm,
    findings: &[Finding],
) -> Markup {
    let labels = count_labels(election);
    html! {
        (finding_list(findings, lang))
        @if let Some(message) = &form.message { p class="v-alert" role="alert" { (message) } }
        form class="vform" method="post" action=(href(&format!("/volunteer/tasks/{id}/entry"), lang)) {
            (csrf(who))
            fieldset {
                legend { (lang.pick("Mesa (como la dice el acta)", "Table (as the sheet says)")) }
                (number_field("centre", lang.pick("Código del centro", "Centre code"), &form.centre, true))
                (number_field("number", lang.pick("Número de mesa", "Table number"), &form.number, true))
            }
            fieldset {
                legend { (lang.pick("Votos", "Votes")) }
                @for (index, label) in labels.iter().enumerate() {
                    (number_field(&format!("c{index}"), label, form.counts.get(index).map_or("", String::as_str), true))
                }
            }
            fieldset {
                legend { (lang.pick("Totales del acta (deje vacío lo que el acta no trae)", "The sheet's totals (leave empty what it does not show)")) }
                (number_field("null_votes", lang.pick("Votos nulos", "Null votes"), &form.null_votes, false))
                (number_field("stated_valid_votes", lang.pick("Votos válidos", "Valid votes"), &form.stated_valid_votes, false))
                (number_field("stated_registered", lang.pick("Electores inscritos", "Registered voters"), &form.stated_registered, false))
                @for (index, count) in election.sheet.counts.iter().enumerate() {
                    (number_field(&format!("d{index}"), count.label(lang.tag()), form.declared_counts.get(index).map_or("", String::as_str), false))
                }
            }
            @if form.reviewed {
                input type="hidden" name="reviewed" value="1";
                @if form.has_errors {
                    p class="field" {
                        input id="confirm" name="confirm" type="checkbox" value="1";
                        " "
                        label for="confirm" { (lang.pick("Confirmo que el acta dice exactamente esto", "I confirm the sheet says exactly this")) }
                    }
                }
            }
            button type="submit" { (lang.pick("Enviar", "Send")) }
        }
    }
}

/// A task: the page, and the entry form (its typist), the entries side by side (a
/// coordinator), or where it stands (others).
pub(super) fn task(
    lang: Lang,
    who: &Signed,
    election: &Election,
    row: &TaskRow,
    task: &Task,
    form: Option<&EntryForm>,
    findings: &[Finding],
) -> String {
    let id = row.id;
    let holds = row.claimed_by.as_ref() == Some(&who.account.pseudonym);
    let digits = election.geography.centre_digits;
    let title = format!("{} {id}", lang.pick("Tarea", "Task"));
    layout(
        lang,
        Some(who),
        &title,
        &html! {
            p { (row.file_name) ", " (lang.pick("página", "page")) " " (row.page) ": " (row.reason) ". "
                (lang.pick("Estado: ", "State: ")) (phase_name(row.phase, lang)) "." }
            figure class="scan" {
                a href=(format!("/volunteer/tasks/{id}/page.jpg")) {
                    img src=(format!("/volunteer/tasks/{id}/page.jpg")) alt=(lang.pick("La página a digitar", "The page to type"));
                }
                figcaption { (lang.pick("Toque la imagen para verla entera y ampliarla.", "Tap the image to see it whole and zoom in.")) }
            }
            @if who.role() == Role::Typist {
                @if holds {
                    @if let Some(form) = form { (entry_form(lang, who, election, id, form, findings)) }
                } @else if row.offered {
                    form class="vform" method="post" action=(href(&format!("/volunteer/tasks/{id}/claim"), lang)) {
                        (csrf(who))
                        button type="submit" { (lang.pick("Tomar esta página", "Take this page")) }
                    }
                } @else {
                    p { (lang.pick("Esta página no está disponible para usted ahora.", "This page is not yours to take now.")) }
                }
            }
            @if who.role() == Role::Coordinator {
                @if !task.entries.is_empty() {
                    div class="wide" tabindex="0" role="region" aria-label=(lang.pick("Tabla desplazable", "Scrollable table")) { table {
                        caption { (lang.pick("Entradas", "Entries")) }
                        thead { tr {
                            th scope="col" { (lang.pick("Quién", "Who")) }
                            th scope="col" { (lang.pick("Mesa", "Table")) }
                            th scope="col" { (lang.pick("Votos", "Votes")) }
                            th scope="col" { (lang.pick("Nulos / válidos / inscritos", "Null / valid / registered")) }
                        } }
                        tbody { @for (typist, entry) in &task.entries { tr {
                            td { (typist) }
                            td { (entry.table.display(digits)) }
                            td { (entry.counts.values().iter().map(u32::to_string).collect::<Vec<_>>().join(" ")) }
                            td {
                                (opt(entry.null_votes)) " / " (opt(entry.stated_valid_votes)) " / " (opt(entry.stated_registered))
                                @for (id, value) in &entry.declared_counts { " · " (id) " " (value) }
                            }
                        } } }
                    } }
                }
                @if task.entries.len() >= 2 && !matches!(task.phase, Phase::Settled { .. }) {
                    form class="vform" method="post" action=(href(&format!("/volunteer/tasks/{id}/resolve"), lang)) {
                        (csrf(who))
                        fieldset {
                            legend { (lang.pick("Decisión", "Decision")) }
                            p class="field" {
                                label for="decision" { (lang.pick("Qué hacer", "What to do")) }
                                select id="decision" name="decision" {
                                    option value="keep" { (lang.pick("Quedarse con la entrada de…", "Keep the entry of…")) }
                                    option value="return" { (lang.pick("Devolver para corregir la entrada de…", "Return for correction the entry of…")) }
                                    option value="discard" { (lang.pick("Descartar todas", "Discard them all")) }
                                }
                            }
                            p class="field" {
                                label for="typist" { (lang.pick("Digitador", "Typist")) }
                                select id="typist" name="typist" {
                                    @for (typist, _) in &task.entries { option value=(typist) { (typist) } }
                                }
                            }
                            p class="field" {
                                label for="reason" { (lang.pick("Razón (queda en el registro)", "Reason (goes on the record)")) }
                                input id="reason" name="reason" type="text" required maxlength="500";
                            }
                        }
                        button type="submit" { (lang.pick("Decidir", "Decide")) }
                    }
                }
            }
        },
    )
}

fn opt(value: Option<u32>) -> String {
    value.map_or_else(|| "–".to_owned(), |value| value.to_string())
}

/// The volunteers, with their agreement rates, and the form to add one (with a new code, once).
pub(super) fn users(
    lang: Lang,
    who: &Signed,
    accounts: &[Account],
    agreed: &BTreeMap<Pseudonym, (usize, usize)>,
    added: Option<(&Pseudonym, &str)>,
) -> String {
    layout(
        lang,
        Some(who),
        lang.pick("Voluntarios", "Volunteers"),
        &html! {
            @if let Some((name, code)) = added {
                div class="v-done" role="status" {
                    p { (lang.pick("Cuenta creada para ", "Account created for ")) strong { (name) } ". "
                        (lang.pick("Su código de acceso, que no se vuelve a mostrar:", "Their sign-in code, not shown again:")) }
                    p { code class="hash" { (code) } }
                }
            }
            form class="vform" method="post" action=(href("/volunteer/users", lang)) {
                (csrf(who))
                fieldset {
                    legend { (lang.pick("Nueva cuenta", "New account")) }
                    p class="field" {
                        label for="pseudonym" { (lang.pick("Seudónimo (nunca un nombre real)", "Pseudonym (never a real name)")) }
                        input id="pseudonym" name="pseudonym" type="text" required maxlength="40" pattern="[A-Za-z0-9_-]+";
                    }
                    p class="field" {
                        label for="role" { (lang.pick("Papel", "Role")) }
                        select id="role" name="role" {
                            @for role in [Role::Typist, Role::Uploader, Role::Observer, Role::Coordinator] {
                                option value=(role.as_str()) { (role_name(role, lang)) }
                            }
                        }
                    }
                }
                button type="submit" { (lang.pick("Crear", "Create")) }
            }
            div class="wide" tabindex="0" role="region" aria-label=(lang.pick("Tabla desplazable", "Scrollable table")) { table {
                caption { (lang.pick("Cuentas", "Accounts")) }
                thead { tr {
                    th scope="col" { (lang.pick("Seudónimo", "Pseudonym")) }
                    th scope="col" { (lang.pick("Papel", "Role")) }
                    th scope="col" { (lang.pick("Acuerdo con otros", "Agreement with others")) }
                    th scope="col" { (lang.pick("Estado", "State")) }
                } }
                tbody { @for account in accounts {
                    @let (agree, total) = agreed.get(&account.pseudonym).copied().unwrap_or_default();
                    tr {
                        td { (account.pseudonym) }
                        td { (role_name(account.role, lang)) }
                        td { @if total > 0 { (agree) " / " (total) } @else { "–" } }
                        td {
                            @if account.suspended_at.is_some() {
                                (lang.pick("suspendida", "suspended"))
                            } @else if account.passphrase_hash.is_none() {
                                (lang.pick("sin activar", "not yet active"))
                            } @else if account.pseudonym != who.account.pseudonym {
                                form class="inline" method="post" action=(href(&format!("/volunteer/users/{}/suspend", account.pseudonym), lang)) {
                                    (csrf(who))
                                    label for=(format!("reason-{}", account.pseudonym)) { (lang.pick("Razón", "Reason")) }
                                    " "
                                    input id=(format!("reason-{}", account.pseudonym)) name="reason" type="text" required maxlength="500";
                                    " "
                                    button type="submit" { (lang.pick("Suspender", "Suspend")) }
                                }
                            } @else {
                                (lang.pick("activa", "active"))
                            }
                        }
                    }
                } }
            } }
        },
    )
}

/// The audit log, newest first.
pub(super) fn audit(
    lang: Lang,
    who: &Signed,
    events: &[AuditEvent],
    actor: Option<&str>,
    action: Option<&str>,
) -> String {
    layout(
        lang,
        Some(who),
        lang.pick("Registro de acciones", "Audit log"),
        &html! {
            form class="vform" method="get" action="/volunteer/audit" {
                input type="hidden" name="lang" value=(lang.tag());
                p class="field" {
                    label for="actor" { (lang.pick("Voluntario", "Volunteer")) }
                    input id="actor" name="actor" type="text" value=(actor.unwrap_or_default());
                }
                p class="field" {
                    label for="action" { (lang.pick("Acción (empieza por)", "Action (starts with)")) }
                    input id="action" name="action" type="text" value=(action.unwrap_or_default());
                }
                button type="submit" { (lang.pick("Filtrar", "Filter")) }
            }
            div class="wide" tabindex="0" role="region" aria-label=(lang.pick("Tabla desplazable", "Scrollable table")) { table {
                caption { (lang.pick("Acciones", "Actions")) }
                thead { tr {
                    th scope="col" { (lang.pick("Cuándo (UTC)", "When (UTC)")) }
                    th scope="col" { (lang.pick("Quién", "Who")) }
                    th scope="col" { (lang.pick("Acción", "Action")) }
                    th scope="col" { (lang.pick("Sobre", "On")) }
                    th scope="col" { (lang.pick("Detalle", "Detail")) }
                } }
                tbody { @for event in events { tr {
                    td { (event.at.strftime("%Y-%m-%d %H:%M:%S")) }
                    td { (event.actor.as_ref().map_or("–", Pseudonym::as_str)) }
                    td { (event.action) }
                    td class="hash" { (event.object) }
                    td { (event.detail) }
                } } }
            } }
        },
    )
}

/// The upload form, with what became of the last files sent.
pub(super) fn upload(
    lang: Lang,
    who: &Signed,
    quota: (u32, u32),
    options: &DeskOptions,
    lines: &[UploadLine],
) -> String {
    layout(
        lang,
        Some(who),
        lang.pick("Enviar actas", "Upload actas"),
        &html! {
            @if !lines.is_empty() {
                div class="v-done" role="status" {
                    h2 { (lang.pick("Lo que pasó con cada archivo", "What happened to each file")) }
                    ul { @for line in lines { li { (upload_line(line, lang)) } } }
                }
            }
            p { (lang.pick("Archivos enviados: ", "Files sent: ")) (quota.0) " / " (quota.1) ". "
                (lang.pick("El límite crece cuando otros confirman sus actas.", "The limit grows as others confirm your actas.")) }
            form class="vform" method="post" enctype="multipart/form-data" action=(href("/volunteer/upload", lang)) {
                (csrf(who))
                p class="field" {
                    label for="file" { (lang.pick("Fotos o escaneos (JPEG, PNG, TIFF, PDF)", "Photos or scans (JPEG, PNG, TIFF, PDF)")) }
                    input id="file" name="file" type="file" multiple accept="image/jpeg,image/png,image/tiff,application/pdf" capture="environment" required;
                }
                p class="note" { (lang.pick("Hasta ", "Up to ")) (options.max_files_per_upload) (lang.pick(" archivos de ", " files of ")) (options.max_file_bytes >> 20) " MB." }
                p class="field" {
                    label for="table" { (lang.pick("Mesa, si la sabe (centro.mesa, opcional)", "Table, if you know it (centre.table, optional)")) }
                    input id="table" name="table" type="text" inputmode="decimal";
                }
                button type="submit" { (lang.pick("Enviar", "Send")) }
            }
        },
    )
}

fn upload_line(line: &UploadLine, lang: Lang) -> Markup {
    html! {
        strong { (line.name) } ": "
        @if let Some(why) = &line.refused {
            (lang.pick("rechazado: ", "refused: ")) (why)
        } @else if line.already {
            (lang.pick("ya lo teníamos; nada cambió.", "we had it already; nothing changed."))
        } @else {
            @if !line.tables.is_empty() {
                (lang.pick("leído, mesa ", "read, table ")) (line.tables.join(", ")) ". "
            }
            @if !line.findings.is_empty() {
                (lang.pick("Observaciones: ", "Findings: ")) (line.findings.join(", ")) ". "
            }
            @for (page, why) in &line.queued {
                (lang.pick("Página ", "Page ")) (page) (lang.pick(" espera a que la digiten personas: ", " waits for people to type it: ")) (why) ". "
            }
            @if let Some(given) = &line.mismatch {
                (lang.pick("Ojo: usted dijo la mesa ", "Note: you said table ")) (given) (lang.pick(", pero el código dice otra.", ", but the code says another."))
            }
        }
    }
}

/// The tables whose copies disagree: the copies side by side with their scans, and, for a
/// coordinator, the form to keep one.
pub(super) fn conflicts(
    lang: Lang,
    who: &Signed,
    election: &Election,
    tables: &[veedor_app::decisions::TableInConflict],
) -> String {
    let digits = election.geography.centre_digits;
    let names: Vec<&str> = election.candidates.iter().map(|c| c.id.as_str()).collect();
    layout(
        lang,
        Some(who),
        lang.pick("Conflictos entre copias", "Conflicts between copies"),
        &html! {
            p { (lang.int(tables.len() as u64)) " "
                (lang.pick("mesas cuyas copias no coinciden. Una decisión es un registro nuevo, con su razón: ninguna copia se cambia ni se borra.",
                           "tables whose copies disagree. A decision is a new record, with its reason: no copy is changed or deleted.")) }
            @for conflict in tables {
                @let id = conflict.table.display(digits);
                section class="mesa" {
                    h2 { a href=(href(&format!("/table/{id}"), lang)) { (lang.pick("Mesa ", "Table ")) (id) } " "
                         span class="badge" { (conflict.status.as_str()) } }
                    @if let Some(decision) = &conflict.decision {
                        p { (lang.pick("Decidió ", "Decided by ")) strong { (decision.coordinator) } ": " (decision.reason.as_str()) }
                    }
                    div class="wide" tabindex="0" role="region" aria-label=(format!("{} {id}", lang.pick("Copias de la mesa", "Copies of table"))) { table {
                        caption { (lang.pick("Copias", "Copies")) }
                        thead { tr {
                            th scope="col" { (lang.pick("Copia", "Copy")) }
                            th scope="col" { (lang.pick("Votos", "Votes")) }
                            th scope="col" { (lang.pick("Imagen", "Scan")) }
                        } }
                        tbody { @for copy in &conflict.copies { tr {
                            td { a href=(href(&format!("/acta/{}", copy.id.get()), lang)) { "#" (copy.id.get()) } " "
                                 (copy.provenance.source.as_str()) br; small { (copy.provenance.file_name) ", " (copy.provenance.location.describe()) } }
                            td { (copy.record.candidate_votes(election).iter().zip(&names).map(|(v, n)| format!("{n} {v}")).collect::<Vec<_>>().join(", ")) }
                            td { @if let Some(hash) = copy.provenance.published_sha256 {
                                a href=(format!("/scans/{}", hash.to_hex())) { (lang.pick("ver", "view")) }
                            } @else { "–" } }
                        } } }
                    } }
                    @if who.role() == Role::Coordinator {
                        form class="vform" method="post" action=(href(&format!("/volunteer/conflicts/{id}/decide"), lang)) {
                            (csrf(who))
                            fieldset {
                                legend { (lang.pick("La copia que cuenta", "The copy that counts")) }
                                @for (index, copy) in conflict.copies.iter().enumerate() {
                                    p class="field" {
                                        input type="radio" name="keep" id=(format!("keep-{id}-{index}")) value=(veedor_app::decisions::copy_name(copy)) required;
                                        " "
                                        label class="radio" for=(format!("keep-{id}-{index}")) { "#" (copy.id.get()) " " (copy.provenance.source.as_str()) }
                                    }
                                }
                            }
                            p class="field" {
                                label for=(format!("reason-{id}")) { (lang.pick("Razón (pública)", "Reason (published)")) }
                                input id=(format!("reason-{id}")) name="reason" type="text" required maxlength="500";
                            }
                            button type="submit" { (lang.pick("Decidir", "Decide")) }
                        }
                    }
                }
            }
        },
    )
}
