//! Shared helpers: sheets to render, payloads, and a tiny PDF writer for hand-made files.

use veedor_sim::sheet::{Degradation, FileFormat, Sheet, Ve2024Place, encode, render};

/// The three real payloads of shared/data/ve2024/README.md.
pub const REAL_PAYLOADS: [&str; 3] = [
    "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0",
    "110601011.04.1.0001!122,1,0,0,4,2,0,0,2,1,0,1,2,1,0,0,0,5,0,2,0,0,0,0,0,0,0,0,1,0,0,0,0,8,22,406,0,1!0!0",
    "150702005.02.1.0001!105,7,2,0,4,1,0,1,1,1,0,2,44,2,1,0,0,1,0,1,0,0,0,1,0,0,0,0,1,0,1,0,0,7,13,350,0,2!0!0",
];

/// Payloads made up for the tests, in the real format, with larger counts than the real ones
/// (longer payloads, denser codes).
pub const GENERATED_PAYLOADS: [&str; 2] = [
    "240305012.07.1.0001!211,3,9,4,0,2,1,0,5,0,3,0,38,2,1,0,4,0,1,6,0,2,0,0,1,0,3,0,0,1,0,2,0,11,29,488,3,0!2!0",
    "010101001.01.1.0001!0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0!0!0",
];

pub fn sheet(payload: &str) -> Sheet {
    let place = Ve2024Place {
        state: "EDO. MIRANDA".to_owned(),
        municipality: "MP. SUCRE".to_owned(),
        parish: "PQ. PETARE".to_owned(),
        centre: "UNIDAD EDUCATIVA JOSE FELIX RIBAS".to_owned(),
    };
    Sheet::ve2024(payload, &place).unwrap()
}

/// A rendered sheet saved as the JPEG a scanner would write under `degradation`.
pub fn jpeg(payload: &str, degradation: &Degradation) -> Vec<u8> {
    let image = render(&sheet(payload), degradation).unwrap();
    encode(
        &[image],
        FileFormat::Jpeg {
            quality: degradation.jpeg_quality,
        },
    )
    .unwrap()
}

/// A small, quick page (60 dpi) for tests about containers rather than decoding.
pub fn small_page(payload: &str) -> image::DynamicImage {
    let degradation = Degradation {
        dpi: 60,
        noise: 0.0,
        blur_sigma: 0.0,
        ..Degradation::default()
    };
    render(&sheet(payload), &degradation).unwrap()
}

/// A PDF from object bodies (object n is `bodies[n - 1]`), with a correct cross-reference table;
/// object 1 must be the catalog.
pub fn pdf(bodies: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, body) in bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", bodies.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            bodies.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A stream object's body.
pub fn stream(dictionary: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("<< {dictionary} /Length {} >>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}
